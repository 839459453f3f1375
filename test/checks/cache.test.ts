import { createTtlCache } from '../../src/checks/cache';

describe('createTtlCache', () => {
  it('shares one load between concurrent callers of the same key', async () => {
    const cache = createTtlCache<string>(1000);
    const load = jest.fn(() => Promise.resolve('answer'));
    const answers = await Promise.all([cache.get('k', load), cache.get('k', load), cache.get('k', load)]);
    expect(answers).toEqual(['answer', 'answer', 'answer']);
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('loads again after the TTL, counted from when the answer arrived', async () => {
    let now = 0;
    const cache = createTtlCache<number>(100, () => now);
    let calls = 0;
    const load = () => Promise.resolve(++calls);
    expect(await cache.get('k', load)).toBe(1);
    now = 99;
    expect(await cache.get('k', load)).toBe(1);
    now = 100;
    expect(await cache.get('k', load)).toBe(2);
  });

  it('forgets a load that rejected', async () => {
    const cache = createTtlCache<string>(1000);
    await expect(cache.get('k', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(cache.get('k', () => Promise.resolve('fresh'))).resolves.toBe('fresh');
  });

  it('forgets an answer `keep` refuses, but still shares it with callers that came while it loaded', async () => {
    const cache = createTtlCache<string>(1000, undefined, (value) => value !== 'unreachable');
    const load = jest.fn(() => Promise.resolve('unreachable'));
    expect(await Promise.all([cache.get('k', load), cache.get('k', load)])).toEqual([
      'unreachable',
      'unreachable',
    ]);
    expect(load).toHaveBeenCalledTimes(1);
    await expect(cache.get('k', () => Promise.resolve('fresh'))).resolves.toBe('fresh');
    await expect(cache.get('k', () => Promise.resolve('newer'))).resolves.toBe('fresh');
  });
});
