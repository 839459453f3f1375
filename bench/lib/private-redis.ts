import { spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { Redis } from 'ioredis';

/**
 * A throwaway redis-server for benchmarks: loopback only, no RDB or AOF, on a
 * free port. Benchmarks write millions of keys and FLUSHALL; they must never
 * do that to the shared Redis at 127.0.0.1:6379.
 */
export interface PrivateRedis {
  readonly url: string;
  readonly port: number;
  /** A client for setup and assertions; `stop()` closes it. */
  readonly client: Redis;
  /** Closes the client, kills the server and waits for it to exit. Idempotent. */
  stop(): Promise<void>;
}

export interface PrivateRedisOptions {
  /** `--maxmemory`, e.g. `2gb`; unset means no limit. */
  readonly maxmemory?: string;
}

/** REDIS_SERVER_BIN overrides the Debian path. */
export function redisServerBin(): string {
  return process.env.REDIS_SERVER_BIN ?? '/usr/bin/redis-server';
}

const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;
const PORT_ATTEMPTS = 5;

/** A port the kernel just handed out on loopback; another process may take it first, so callers retry. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

export async function startPrivateRedis(options: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  let lastError: unknown;
  for (let attempt = 0; attempt < PORT_ATTEMPTS; attempt++) {
    try {
      return await startOnPort(await freePort(), options);
    } catch (err) {
      lastError = err;
    }
  }
  throw new Error(`could not start a private redis-server: ${String(lastError)}`);
}

async function startOnPort(port: number, options: PrivateRedisOptions): Promise<PrivateRedis> {
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--daemonize',
    'no',
    '--loglevel',
    'warning',
    '--logfile',
    '',
    ...(options.maxmemory ? ['--maxmemory', options.maxmemory] : []),
  ];
  const child = spawn(redisServerBin(), args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `redis://127.0.0.1:${port}`;
  let client: Redis | undefined;
  try {
    await waitForListen(port, child, () => stderr);
    client = new Redis(url, { maxRetriesPerRequest: 3, disconnectTimeout: 200 });
    client.on('error', () => undefined);
    if ((await client.ping()) !== 'PONG') throw new Error('redis-server did not answer PING');
    // Another process may have taken the port between freePort() and the bind: make sure it is ours.
    const pid = /process_id:(\d+)/.exec(await client.info('server'))?.[1];
    if (pid !== String(child.pid)) throw new Error(`port ${port} is served by another process (${pid})`);
  } catch (err) {
    client?.disconnect();
    child.kill('SIGKILL');
    await exited;
    throw err;
  }
  const ready = client;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= stopServer(ready, child, exited);
    return stopping;
  };
  return { url, port, client: ready, stop };
}

/** Polls the port until redis-server accepts a connection, or fails if it exits first. */
async function waitForListen(port: number, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`redis-server exited (${child.exitCode ?? child.signalCode}): ${stderr().trim()}`);
    }
    if (await accepts(port)) return;
    if (Date.now() > deadline) throw new Error(`redis-server did not listen on ${port}: ${stderr().trim()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Every step runs even if an earlier one fails: the client goes, then the server, by SIGTERM then SIGKILL. */
async function stopServer(client: Redis, child: ChildProcess, exited: Promise<void>): Promise<void> {
  await client.quit().catch(() => client.disconnect());
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}
