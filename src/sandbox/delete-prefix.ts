import type { Redis } from 'ioredis';

const escapeGlob = (text: string): string => text.replace(/[*?[\]\\]/g, '\\$&');

/**
 * Deletes every key under `prefix:` with SCAN (never KEYS: Redis may be
 * shared and busy) and returns how many went. Refuses an empty prefix, which
 * would mean the whole database.
 */
export async function deleteUnderPrefix(redis: Redis, prefix: string): Promise<number> {
  if (prefix.length === 0) throw new Error('refusing to delete keys without a prefix');
  const match = `${escapeGlob(`${prefix}:`)}*`;
  let deleted = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) deleted += await redis.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}
