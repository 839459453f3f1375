import { spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { Redis } from 'ioredis';

/**
 * A throwaway redis-server for benchmarks and fault tests: loopback only, on a
 * free port, no RDB or AOF unless `persistDir` asks for one. Benchmarks write
 * millions of keys and FLUSHALL, fault tests restart and pause it; neither
 * must ever do that to the shared Redis at 127.0.0.1:6379.
 */
export interface PrivateRedis {
  readonly url: string;
  readonly port: number;
  /** A client for setup and assertions; `stop()` closes it. */
  readonly client: Redis;
  /** Closes the client, kills the server and waits for it to exit. Idempotent. */
  stop(): Promise<void>;
  /**
   * Stops the server (SIGTERM, or SIGKILL with `{ crash: true }`) without
   * starting it again: clients see connection refused until `start()`.
   */
  kill(options?: { readonly crash?: boolean }): Promise<void>;
  /** Starts the server again on the same port and directory (after `kill()`). */
  start(): Promise<void>;
  /** `kill()` then `start()`: with `persist`, the data survives as in a production Redis. */
  restart(options?: { readonly crash?: boolean; readonly downMs?: number }): Promise<void>;
}

export interface PrivateRedisOptions {
  /** `--maxmemory`, e.g. `2gb`; unset means no limit. */
  readonly maxmemory?: string;
  /**
   * Keep the data across `restart()`: append-only file in this directory,
   * fsynced on every write (so even a SIGKILL loses nothing acknowledged),
   * as a production Redis configured for durability would. Off for benchmarks.
   */
  readonly persistDir?: string;
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

function serverArgs(port: number, options: PrivateRedisOptions): string[] {
  const persistence = options.persistDir
    ? ['--dir', options.persistDir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '']
    : ['--save', '', '--appendonly', 'no'];
  return [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    ...persistence,
    '--daemonize',
    'no',
    '--loglevel',
    'warning',
    '--logfile',
    '',
    ...(options.maxmemory ? ['--maxmemory', options.maxmemory] : []),
  ];
}

interface Server {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
}

/** Spawns redis-server on `port` and waits until that port answers as this process. */
async function spawnServer(port: number, options: PrivateRedisOptions): Promise<Server> {
  const child = spawn(redisServerBin(), serverArgs(port, options), { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const probe = new Redis(`redis://127.0.0.1:${port}`, {
    maxRetriesPerRequest: 3,
    disconnectTimeout: 200,
    lazyConnect: true,
  });
  probe.on('error', () => undefined);
  try {
    await waitForListen(port, child, () => stderr);
    await probe.connect();
    // Another process may have taken the port between freePort() and the bind: make sure it is ours.
    const pid = /process_id:(\d+)/.exec(await probe.info('server'))?.[1];
    if (pid !== String(child.pid)) throw new Error(`port ${port} is served by another process (${pid})`);
    // Loading a large AOF answers LOADING for a while: wait until the data is there.
    while (/loading:1/.test(await probe.info('persistence'))) await new Promise((r) => setTimeout(r, 20));
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    throw err;
  } finally {
    probe.disconnect();
  }
  return { child, exited };
}

async function startOnPort(port: number, options: PrivateRedisOptions): Promise<PrivateRedis> {
  let server = await spawnServer(port, options);
  const url = `redis://127.0.0.1:${port}`;
  const client = new Redis(url, { maxRetriesPerRequest: 3, disconnectTimeout: 200 });
  client.on('error', () => undefined);
  try {
    if ((await client.ping()) !== 'PONG') throw new Error('redis-server did not answer PING');
  } catch (err) {
    client.disconnect();
    server.child.kill('SIGKILL');
    await server.exited;
    throw err;
  }
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= stopServer(client, server.child, server.exited);
    return stopping;
  };
  const kill = async (killOptions: { readonly crash?: boolean } = {}): Promise<void> => {
    await terminate(server.child, server.exited, killOptions.crash ? 'SIGKILL' : 'SIGTERM');
  };
  const start = async (): Promise<void> => {
    if (stopping) throw new Error('private redis was stopped for good');
    if (server.child.exitCode === null && server.child.signalCode === null) return;
    // The port was ours a moment ago; if another process took it meanwhile, spawnServer says so.
    server = await spawnServer(port, options);
  };
  const restart = async (restartOptions: { readonly crash?: boolean; readonly downMs?: number } = {}) => {
    await kill(restartOptions);
    if (restartOptions.downMs) await new Promise((resolve) => setTimeout(resolve, restartOptions.downMs));
    await start();
  };
  return { url, port, client, stop, kill, start, restart };
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
  await terminate(child, exited, 'SIGTERM');
}

/** Signals the server and waits for it to exit; SIGKILL after STOP_TIMEOUT_MS. */
async function terminate(child: ChildProcess, exited: Promise<void>, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}
