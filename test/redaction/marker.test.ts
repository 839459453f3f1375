import { markerForLength, secretMarker, UNMEASURABLE_MARKER } from '../../src/redaction';

describe('secretMarker', () => {
  it.each([
    ['', '[redacted:empty]'],
    ['a', '[redacted:1-7]'],
    ['1234567', '[redacted:1-7]'],
    ['12345678', '[redacted:8-31]'],
    ['x'.repeat(31), '[redacted:8-31]'],
    ['x'.repeat(32), '[redacted:32+]'],
    ['x'.repeat(5000), '[redacted:32+]'],
  ])('string of length %#', (value, expected) => {
    expect(secretMarker(value)).toBe(expected);
  });

  it('measures other values by their JSON text', () => {
    expect(secretMarker(1234)).toBe('[redacted:1-7]');
    expect(secretMarker(null)).toBe('[redacted:1-7]');
    expect(secretMarker(true)).toBe('[redacted:1-7]');
    expect(secretMarker({ user: 'bob', pass: 'x' })).toBe('[redacted:8-31]'); // 25 characters
    expect(secretMarker(['a'.repeat(40)])).toBe('[redacted:32+]');
    expect(secretMarker(12345678901234567890n)).toBe('[redacted:8-31]');
    expect(secretMarker(undefined)).toBe('[redacted:empty]');
  });

  it('never shows the content', () => {
    expect(secretMarker('hunter2')).not.toContain('hunter2');
  });

  it('still marks values it cannot measure', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(secretMarker(cyclic)).toBe(UNMEASURABLE_MARKER);
  });

  it('has the same classes by length', () => {
    expect([0, 1, 7, 8, 31, 32].map(markerForLength)).toEqual([
      '[redacted:empty]',
      '[redacted:1-7]',
      '[redacted:1-7]',
      '[redacted:8-31]',
      '[redacted:8-31]',
      '[redacted:32+]',
    ]);
  });
});
