import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { ConfigError } from '../errors';
import type { Logger } from '../logger';

/** Where the sandbox's Redis is, and how to give it back. */
export interface SandboxRedis {
  readonly url: string;
  /** `true` when the sandbox started it (and so stops it on exit). */
  readonly private: boolean;
  stop(): Promise<void>;
}

export interface SandboxRedisOptions {
  /** REDIS_URL as the operator set it (undefined when not set: the default is not a choice). */
  readonly redisUrl?: string;
  /** Where a machine of this kind runs Redis. */
  readonly defaultUrl?: string;
  readonly redisServer?: string;
  readonly logger: Logger;
  /** How long to wait for an answer, or for a started server to come up. */
  readonly timeoutMs?: number;
}

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export const INSTALL_REDIS =
  'Redis is not answering on 127.0.0.1:6379 and redis-server is not installed. Install it (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis) or set REDIS_URL to a Redis the sandbox may use.';

async function answers(url: string, timeoutMs: number): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/**
 * Issue 6, item 3: REDIS_URL when set; else the machine's Redis on
 * 127.0.0.1:6379 when it answers; else a private `redis-server` on a free
 * loopback port that keeps nothing on disk and stops with the sandbox; else
 * one clear message saying how to get one.
 */
export async function sandboxRedis(options: SandboxRedisOptions): Promise<SandboxRedis> {
  const timeoutMs = options.timeoutMs ?? 1_500;
  const none = () => Promise.resolve();
  if (options.redisUrl !== undefined) return { url: options.redisUrl, private: false, stop: none };
  const defaultUrl = options.defaultUrl ?? DEFAULT_REDIS_URL;
  if (await answers(defaultUrl, timeoutMs)) return { url: defaultUrl, private: false, stop: none };

  const port = await freePort();
  const child = spawn(
    options.redisServer ?? 'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const started = await new Promise<boolean>((resolve) => {
    child.once('error', () => resolve(false));
    child.once('spawn', () => resolve(true));
  });
  if (!started) throw new ConfigError(INSTALL_REDIS, ['REDIS_URL: no Redis for the sandbox']);
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + Math.max(timeoutMs, 5_000);
  while (!(await answers(url, timeoutMs))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stopChild(child);
      throw new ConfigError(
        `A private redis-server was started for the sandbox but did not answer on ${url}.`,
        ['REDIS_URL: no Redis for the sandbox'],
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  options.logger.info(
    { url, pid: child.pid },
    'sandbox: started a private redis-server (nothing kept on disk)',
  );
  let stopping: Promise<void> | undefined;
  return { url, private: true, stop: () => (stopping ??= stopChild(child)) };
}
