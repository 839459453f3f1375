import { randomBytes } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import { deleteKeysStartingWith } from '../../src/sandbox/delete-prefix';

/** The shared test Redis: REDIS_URL when set, else the local default. */
export function testRedisUrl(): string {
  return process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
}

/**
 * A key prefix no other test (or engineer) uses. The Redis is shared, so every
 * test writes and deletes only under its own prefix; never FLUSHDB.
 */
export function randomPrefix(label = 'test'): string {
  return `${label}-${randomBytes(6).toString('hex')}`;
}

/** A plain client for test setup and assertions; the caller quits it. */
export function testRedis(options: RedisOptions = {}): Redis {
  const client = new Redis(testRedisUrl(), { maxRetriesPerRequest: 2, ...options });
  // A test that loses Redis should fail on its command, not crash jest.
  client.on('error', () => undefined);
  return client;
}

/** Delete every key under `prefix` (SCAN MATCH, never KEYS); returns how many. */
export async function deleteKeysWithPrefix(redis: Redis, prefix: string): Promise<number> {
  if (prefix.length < 6) throw new Error(`refusing to delete keys under a short prefix: '${prefix}'`);
  return deleteKeysStartingWith(redis, prefix);
}

export interface KeyDump {
  readonly type: string;
  readonly value: unknown;
  /** Whether the key has a TTL (the remaining time itself moves on its own). */
  readonly expires: boolean;
}

/**
 * Every key under `prefix` with its full value, read with the type's own
 * command: comparing two dumps shows whether anything changed a key.
 */
export async function dumpKeysWithPrefix(redis: Redis, prefix: string): Promise<Map<string, KeyDump>> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  const dump = new Map<string, KeyDump>();
  for (const key of keys.sort()) {
    const type = await redis.type(key);
    const expires = (await redis.pttl(key)) >= 0;
    let value: unknown;
    if (type === 'string') value = await redis.get(key);
    else if (type === 'hash') value = await redis.hgetall(key);
    else if (type === 'list') value = await redis.lrange(key, 0, -1);
    else if (type === 'set') value = (await redis.smembers(key)).sort();
    else if (type === 'zset') value = await redis.zrange(key, 0, '-1', 'WITHSCORES');
    else if (type === 'stream') value = await redis.xrange(key, '-', '+');
    else value = `unsupported type ${type}`;
    dump.set(key, { type, value, expires });
  }
  return dump;
}
