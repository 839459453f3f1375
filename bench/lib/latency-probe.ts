import { Worker } from 'node:worker_threads';

/**
 * What another client of the same Redis feels: a PING every ~1 ms on its own
 * connection, one in flight at a time, timing each round trip.
 *
 * The probe runs in a worker thread with a raw socket, so the bench's own
 * JavaScript (parsing SCAN replies, say) does not delay its timers and show up
 * as Redis latency. Times are `process.hrtime.bigint()`, which is monotonic
 * and shared by all threads, so a window is just [from, to] on that clock.
 */
export interface LatencyStats {
  readonly samples: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export interface LatencyProbe {
  /** Stats over the PINGs sent between `from` and `to` (`now()` readings). */
  window(from: bigint, to: bigint): Promise<LatencyStats>;
  /** Stats over the PINGs sent in any of these [from, to] ranges, pooled. */
  windows(ranges: readonly (readonly [bigint, bigint])[]): Promise<LatencyStats>;
  /** Stops the worker and closes its connection. Idempotent. */
  stop(): Promise<void>;
}

export interface LatencyProbeOptions {
  readonly port: number;
  readonly host?: string;
  /** Pause between a reply and the next PING (default 1 ms). */
  readonly intervalMs?: number;
}

export const now = (): bigint => process.hrtime.bigint();

/** Plain JS so it runs the same under ts-jest and from dist/. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const net = require('node:net');
const sent = [];
const rtt = [];
let stopped = false;
let inFlight = 0n;
let buffer = '';
const socket = net.connect({ port: workerData.port, host: workerData.host });
socket.setNoDelay(true);
const ping = () => {
  if (stopped) return;
  inFlight = process.hrtime.bigint();
  socket.write('PING\\r\\n');
};
socket.on('connect', () => { parentPort.postMessage({ type: 'ready' }); ping(); });
socket.on('error', (err) => parentPort.postMessage({ type: 'error', message: String(err) }));
socket.on('data', (chunk) => {
  buffer += chunk.toString('latin1');
  while (buffer.includes('\\r\\n')) {
    buffer = buffer.slice(buffer.indexOf('\\r\\n') + 2);
    const t = process.hrtime.bigint();
    sent.push(inFlight);
    rtt.push(Number(t - inFlight) / 1e6);
    setTimeout(ping, workerData.intervalMs);
  }
});
parentPort.on('message', (msg) => {
  if (msg.type === 'window') {
    const ranges = msg.ranges.map(([from, to]) => [BigInt(from), BigInt(to)]);
    const values = [];
    for (let i = 0; i < sent.length; i++) {
      if (ranges.some(([from, to]) => sent[i] >= from && sent[i] <= to)) values.push(rtt[i]);
    }
    parentPort.postMessage({ type: 'window', id: msg.id, values });
  } else if (msg.type === 'stop') {
    stopped = true;
    socket.end();
    socket.destroy();
    parentPort.close();
  }
});
`;

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? 0;
}

export function latencyStats(values: readonly number[]): LatencyStats {
  const sorted = [...values].sort((a, b) => a - b);
  const r = (x: number): number => Math.round(x * 1000) / 1000;
  return {
    samples: sorted.length,
    p50Ms: r(percentile(sorted, 50)),
    p99Ms: r(percentile(sorted, 99)),
    maxMs: r(sorted[sorted.length - 1] ?? 0),
  };
}

interface WorkerMessage {
  readonly type: 'ready' | 'error' | 'window';
  readonly id?: number;
  readonly values?: number[];
  readonly message?: string;
}

export async function startLatencyProbe(options: LatencyProbeOptions): Promise<LatencyProbe> {
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      port: options.port,
      host: options.host ?? '127.0.0.1',
      intervalMs: options.intervalMs ?? 1,
    },
  });
  const pending = new Map<number, (values: number[]) => void>();
  let nextId = 0;
  let failure: string | undefined;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    worker.on('message', (msg: WorkerMessage) => {
      if (msg.type === 'ready') resolve();
      else if (msg.type === 'error') {
        failure = msg.message;
        reject(new Error(`latency probe: ${msg.message}`));
      } else if (msg.type === 'window' && msg.id !== undefined) {
        pending.get(msg.id)?.(msg.values ?? []);
        pending.delete(msg.id);
      }
    });
    worker.once('error', reject);
  });
  let stopping: Promise<void> | undefined;
  const windows = (ranges: readonly (readonly [bigint, bigint])[]): Promise<LatencyStats> => {
    if (failure) return Promise.reject(new Error(`latency probe: ${failure}`));
    const id = nextId++;
    return new Promise<LatencyStats>((resolve) => {
      pending.set(id, (values) => resolve(latencyStats(values)));
      worker.postMessage({
        type: 'window',
        id,
        ranges: ranges.map(([from, to]) => [String(from), String(to)]),
      });
    });
  };
  return {
    window: (from, to) => windows([[from, to]]),
    windows,
    stop: () => {
      stopping ??= (async () => {
        worker.postMessage({ type: 'stop' });
        const timer = setTimeout(() => void worker.terminate(), 1_000);
        await exited;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };
}

/** Idle time: a window of PINGs with nothing else running, the baseline for "during". */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
