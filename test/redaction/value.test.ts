import { CIRCULAR, redactValue, TOO_DEEP } from '../../src/redaction';

describe('redactValue', () => {
  it('replaces secret keys with markers and masks strings, leaving the input untouched', () => {
    const input = {
      job: 'r123',
      attempts: 3,
      ok: false,
      headers: { Authorization: 'Bearer abcdefgh', accept: 'application/json' },
      reason: 'HTTP 503 from https://u:p@hooks.acme.example/x?token=1 for jane@acme.example',
      credentials: { user: 'bob', password: 'x' },
    };
    const snapshot = JSON.stringify(input);
    expect(redactValue(input)).toEqual({
      job: 'r123',
      attempts: 3,
      ok: false,
      headers: { Authorization: '[redacted:8-31]', accept: 'application/json' },
      reason: 'HTTP 503 from https://***@hooks.acme.example/x?token=*** for j***@a***.example',
      credentials: '[redacted:8-31]',
    });
    expect(JSON.stringify(input)).toBe(snapshot);
  });

  it('handles arrays of objects and JSON held in strings', () => {
    expect(redactValue([{ apiKey: 'k' }, { body: '{"token":"abc","n":1}' }, 'plain'])).toEqual([
      { apiKey: '[redacted:1-7]' },
      { body: '{"token":"[redacted:1-7]","n":1}' },
      'plain',
    ]);
  });

  it('uses the configured extra secret keys', () => {
    expect(redactValue({ msisdn: '4917012345678' }, { extraSecretKeys: ['msisdn'] })).toEqual({
      msisdn: '[redacted:8-31]',
    });
  });

  it('replaces cycles but copies shared references', () => {
    const shared = { name: 'shared' };
    const node: Record<string, unknown> = { shared, again: shared };
    node.self = node;
    node.list = [node];
    expect(redactValue(node)).toEqual({
      shared: { name: 'shared' },
      again: { name: 'shared' },
      self: CIRCULAR,
      list: [CIRCULAR],
    });
  });

  it('bounds depth', () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 10_000; i += 1) deep = { next: deep };
    let cursor = redactValue(deep);
    let levels = 0;
    while (typeof cursor === 'object' && cursor !== null) {
      cursor = (cursor as { next: unknown }).next;
      levels += 1;
    }
    expect(cursor).toBe(TOO_DEEP);
    expect(levels).toBe(64);
  });

  it('copies errors, dates, maps, sets and binary safely', () => {
    const error = Object.assign(new Error('failed for jane@acme.example'), { code: 'E_X', token: 't' });
    const copied = redactValue({
      error,
      at: new Date(0),
      map: new Map<unknown, unknown>([
        ['password', 'x'],
        [1, 'one'],
      ]),
      set: new Set(['+49 170 1234567']),
      bytes: Buffer.from('secret'),
    }) as Record<string, unknown>;
    expect(copied.error).toMatchObject({
      type: 'Error',
      message: 'failed for j***@a***.example',
      code: 'E_X',
      token: '[redacted:1-7]',
    });
    expect(copied.at).toEqual(new Date(0));
    expect(copied.map).toEqual({ password: '[redacted:1-7]', 1: 'one' });
    expect(copied.set).toEqual(['+49 *** *****67']);
    expect(copied.bytes).toBe('[binary 6 bytes]');
  });

  it('treats a __proto__ key as data', () => {
    const input = JSON.parse('{"__proto__":{"password":"x"}}') as unknown;
    const copied = redactValue(input) as Record<string, unknown>;
    expect(Object.getPrototypeOf(copied)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(copied, '__proto__')?.value).toEqual({
      password: '[redacted:1-7]',
    });
  });

  it('returns primitives as they are', () => {
    expect([1, true, null, undefined, 10n].map((value) => redactValue(value))).toEqual([
      1,
      true,
      null,
      undefined,
      10n,
    ]);
  });
});
