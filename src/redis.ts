import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from './logger';

/**
 * Why a connection exists. One shared connection per role: reads for diagnosis
 * never queue behind the bot's own state writes, and nothing opens a connection
 * per request (Bull #1453). `replay` is the only role that writes Delphi's
 * queues; it may log in as its own Redis user (docs/redis-acl.md).
 */
export type RedisRole = 'queues' | 'state' | 'replay';

export interface RedisConnectOptions {
  readonly role: RedisRole;
  readonly logger: Logger;
  /** Per-command deadline: a paused or hung Redis turns into an error, not a wait. */
  readonly commandTimeoutMs?: number;
  readonly extra?: RedisOptions;
}

export function connectRedis(url: string, options: RedisConnectOptions): Redis {
  const log = options.logger.child({ redis: options.role });
  const client = new Redis(url, {
    connectionName: `stuckjobs:${options.role}`,
    commandTimeout: options.commandTimeoutMs ?? 5_000,
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    lazyConnect: false,
    // After QUIT the server closes the socket at once; this only bounds a socket that never
    // connected (a Redis down), which ioredis would otherwise keep for 2 s after we are done.
    disconnectTimeout: 250,
    ...options.extra,
  });
  // Without a listener, ioredis re-emits connection errors as unhandled and a
  // Redis blip during an incident would take the bot down with it.
  let lastError = '';
  client.on('error', (err: Error) => {
    if (err.message === lastError) return;
    lastError = err.message;
    log.warn({ err }, 'redis connection error');
  });
  client.on('ready', () => {
    lastError = '';
  });
  return client;
}

/**
 * Quit politely, and disconnect if Redis does not answer: shutdown never hangs.
 * A client that is not connected has nothing to flush; QUIT would only wait in
 * its offline queue while reconnect timers keep the process alive.
 */
export async function closeRedis(client: Redis): Promise<void> {
  if (client.status === 'end') return;
  if (client.status !== 'ready') {
    client.disconnect();
    return;
  }
  try {
    await Promise.race([
      client.quit(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('quit timed out')), 1_000).unref()),
    ]);
  } catch {
    client.disconnect();
  }
}
