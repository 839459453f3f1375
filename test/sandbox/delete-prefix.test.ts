import { deleteUnderPrefix } from '../../src/sandbox/delete-prefix';
import { deleteKeysWithPrefix, randomPrefix, testRedis } from '../helpers/redis';

describe('deleteUnderPrefix', () => {
  const redis = testRedis();
  const prefix = randomPrefix('del');
  afterAll(async () => {
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
  });

  it('deletes every key under prefix: and nothing beside it, glob characters taken literally', async () => {
    const inside = `${prefix}:a*[x]`;
    await redis.mset(
      `${inside}:1`,
      '1',
      `${inside}:2`,
      '2',
      `${prefix}:a-other`,
      '3',
      `${prefix}-sibling`,
      '4',
    );
    expect(await deleteUnderPrefix(redis, inside)).toBe(2);
    expect(await redis.exists(`${inside}:1`, `${inside}:2`)).toBe(0);
    expect(await redis.get(`${prefix}:a-other`)).toBe('3');
    expect(await redis.get(`${prefix}-sibling`)).toBe('4');
    await redis.del(`${prefix}-sibling`);
  });

  it('refuses an empty prefix', async () => {
    await expect(deleteUnderPrefix(redis, '')).rejects.toThrow(/without a prefix/);
  });
});
