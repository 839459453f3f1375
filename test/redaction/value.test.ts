import { CIRCULAR, redactValue, TOO_DEEP, UNREADABLE } from '../../src/redaction';
import {
  BUDGET_SPENT,
  MAX_CHARS_PER_CALL,
  MAX_ITEMS_PER_LEVEL,
  MAX_STRING_CHARS,
  MAX_VALUES_PER_CALL,
} from '../../src/redaction/bounds';

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

describe('redactValue with hostile or huge values (a log line never throws and never leaks)', () => {
  const stripeKey = `sk_live_${'a1B2'.repeat(6)}`;

  it('turns an object whose key enumeration throws into [unreadable] instead of throwing', () => {
    const hostile = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('ownKeys trap');
        },
      },
    );
    const revoked = Proxy.revocable([], {});
    revoked.revoke();
    expect(redactValue({ hostile, revoked: revoked.proxy, ok: 1 })).toEqual({
      hostile: UNREADABLE,
      revoked: UNREADABLE,
      ok: 1,
    });
    expect(redactValue(hostile)).toBe(UNREADABLE);
  });

  it('masks what an own toJSON returns and copies no function (pino would call it unmasked)', () => {
    const copied = redactValue({
      order: { id: 'o1', toJSON: () => ({ note: `charged with ${stripeKey}` }) },
      throws: {
        toJSON() {
          throw new Error('no');
        },
      },
      same: {
        id: 's1',
        toJSON() {
          return this;
        },
      },
      callback: () => stripeKey,
    });
    const line = JSON.stringify(copied);
    expect(line).not.toContain(stripeKey);
    expect(copied).toEqual({
      order: { note: expect.stringContaining('charged with') as unknown },
      throws: UNREADABLE,
      same: { id: 's1' },
    });
  });

  it('a toJSON that returns a fresh toJSON forever is bounded by depth', () => {
    const endless = (): unknown => ({ toJSON: endless });
    expect(JSON.stringify(redactValue({ endless: endless() }))).toContain(TOO_DEEP);
  });

  it('logs a URL and URLSearchParams as their masked text, not {}', () => {
    expect(
      redactValue({
        url: new URL('https://user:hunter2@hooks.acme.example/x?token=abc&page=2'),
        query: new URLSearchParams({ token: 'abc', page: '2' }),
      }),
    ).toEqual({
      url: 'https://***@hooks.acme.example/x?token=***&page=***',
      query: 'token=***&page=2',
    });
  });

  it('copies at most 1,000 items or keys per level and says how many more there were', () => {
    const items = Array.from({ length: 200_000 }, (_, i) => ({ i, s: 'x' }));
    const copiedItems = redactValue(items) as unknown[];
    expect(copiedItems).toHaveLength(MAX_ITEMS_PER_LEVEL + 1);
    expect(copiedItems[999]).toEqual({ i: 999, s: 'x' });
    expect(copiedItems[1000]).toBe('… 199000 more items');

    const wide = Object.fromEntries(Array.from({ length: 1_500 }, (_, i) => [`k${i}`, i]));
    const copiedWide = redactValue(wide) as Record<string, unknown>;
    expect(Object.keys(copiedWide)).toHaveLength(MAX_ITEMS_PER_LEVEL + 1);
    expect(copiedWide['…']).toBe('500 more keys');

    const set = redactValue(new Set(Array.from({ length: 1_001 }, (_, i) => i))) as unknown[];
    expect(set.at(-1)).toBe('… 1 more items');
    const map = redactValue(new Map(Array.from({ length: 1_002 }, (_, i) => [i, i]))) as object;
    expect(map).toHaveProperty(['…'], '2 more keys');
  });

  it('cuts a string at 64 KB before masking and notes how much was left out', () => {
    const big = `password=hunter22 ${'word '.repeat(900_000)}`;
    const copied = redactValue({ big }) as { big: string };
    expect(copied.big.length).toBeLessThan(MAX_STRING_CHARS + 100);
    expect(copied.big.startsWith('password=***')).toBe(true);
    expect(copied.big).toMatch(/… \[cut: \d+ more characters\]$/);
  });

  it('stops copying once the call has spent its budget of values and characters', () => {
    const nested = Array.from({ length: 100 }, () => Array.from({ length: 1_000 }, () => 1));
    const line = JSON.stringify(redactValue(nested));
    expect(line).toContain(BUDGET_SPENT);
    expect(line.length).toBeLessThan(2 * MAX_VALUES_PER_CALL * 2 + 10_000);

    const strings = Array.from({ length: 40 }, () => 'x '.repeat(40_000));
    const copied = redactValue(strings) as string[];
    const kept = copied.reduce((sum, text) => sum + text.length, 0);
    expect(kept).toBeLessThan(MAX_CHARS_PER_CALL + 40 * 100);
    expect(copied.at(-1)).toMatch(/^… \[cut: 80000 more characters\]$/);
  });
});
