import type { Redis } from 'ioredis';

const escapeGlob = (text: string): string => text.replace(/[*?[\]\\]/g, '\\$&');

/**
 * Deletes every key that starts with `start` (taken literally) with SCAN,
 * never KEYS (Redis may be shared and busy), and returns how many went.
 */
export async function deleteKeysStartingWith(redis: Redis, start: string): Promise<number> {
  if (start.length === 0) throw new Error('refusing to delete keys without a prefix');
  const match = `${escapeGlob(start)}*`;
  let deleted = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) deleted += await redis.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}

/** Every key under `prefix:`; refuses an empty prefix, which would mean the whole database. */
export function deleteUnderPrefix(redis: Redis, prefix: string): Promise<number> {
  if (prefix.length === 0) return Promise.reject(new Error('refusing to delete keys without a prefix'));
  return deleteKeysStartingWith(redis, `${prefix}:`);
}
