import { Queue, UnrecoverableError, Worker, type Job, type JobsOptions } from 'bullmq';
import { Redis } from 'ioredis';

export interface SeedJob {
  readonly name: string;
  readonly data: unknown;
  /** BullMQ `attempts`; when > 1 the retry waits `backoffMs`, so it stays delayed during a test. */
  readonly attempts?: number;
  readonly backoffMs?: number;
  /** The processor throws `new Error(failWith)`; without it the job completes. */
  readonly failWith?: string;
  /** Throw BullMQ's UnrecoverableError: the job fails at once, attempts left unused. */
  readonly unrecoverable?: boolean;
}

export interface SeedWithWorkerOptions {
  readonly url: string;
  readonly prefix: string;
  readonly queue: string;
  readonly jobs: readonly SeedJob[];
  readonly timeoutMs?: number;
}

/** An hour: a retrying job stays in `delayed` for the whole test. */
export const LONG_BACKOFF_MS = 3_600_000;

function jobOptions(job: SeedJob): JobsOptions {
  const attempts = job.attempts ?? 1;
  return attempts > 1
    ? { attempts, backoff: { type: 'fixed', delay: job.backoffMs ?? LONG_BACKOFF_MS } }
    : { attempts };
}

/**
 * Seed jobs the way production gets them: added by a real Queue, run by a
 * real Worker, so attempts, reasons, timestamps and key layout are BullMQ's
 * own. Resolves once every job has completed, failed, or is delayed for retry.
 */
export async function seedWithWorker(options: SeedWithWorkerOptions): Promise<string[]> {
  const connection = new Redis(options.url, { maxRetriesPerRequest: null });
  connection.on('error', () => undefined);
  const queue = new Queue(options.queue, { connection, prefix: options.prefix });
  queue.on('error', () => undefined);
  let worker: Worker | undefined;
  try {
    const added = await queue.addBulk(
      options.jobs.map((job) => ({ name: job.name, data: job.data, opts: jobOptions(job) })),
    );
    const ids = added.map((job) => String(job.id));
    const specs = new Map(ids.map((id, i) => [id, options.jobs[i]]));
    worker = new Worker(
      options.queue,
      (job: Job) => {
        const spec = specs.get(String(job.id));
        if (spec?.failWith === undefined) return Promise.resolve('ok');
        const ErrorClass = spec.unrecoverable ? UnrecoverableError : Error;
        return Promise.reject(new ErrorClass(spec.failWith));
      },
      { connection, prefix: options.prefix, concurrency: 20 },
    );
    worker.on('error', () => undefined);
    await waitUntilSettled(queue, ids.length, options.timeoutMs ?? 20_000);
    return ids;
  } finally {
    await worker?.close();
    await queue.close();
    await connection.quit().catch(() => connection.disconnect());
  }
}

async function waitUntilSettled(queue: Queue, total: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const c = await queue.getJobCounts('waiting', 'active', 'prioritized', 'completed', 'failed', 'delayed');
    const pending = (c.waiting ?? 0) + (c.active ?? 0) + (c.prioritized ?? 0);
    const settled = (c.completed ?? 0) + (c.failed ?? 0) + (c.delayed ?? 0);
    if (pending === 0 && settled >= total) return;
    if (Date.now() > deadline) throw new Error(`jobs did not settle: ${JSON.stringify(c)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface SeedFailedFastOptions {
  readonly redis: Redis;
  readonly prefix: string;
  readonly queue: string;
  readonly count: number;
  readonly name: string;
  readonly dataFor: (i: number) => unknown;
  readonly failedReason: string;
  /** Attempts allowed; by default all used, so the jobs are given up. */
  readonly attempts: number;
  /** Attempts used by job i (default `attempts`): fewer makes a failed-early job. */
  readonly attemptsMadeFor?: (i: number) => number;
  /** Creation time of job 0; later jobs are 1 ms apart. Default: an hour ago. */
  readonly startAt?: number;
}

const CHUNK = 2_000;

/**
 * Write `count` failed jobs (given up unless `attemptsMadeFor` says otherwise) straight into BullMQ's layout, for
 * backlogs too large to run through a Worker in a test. The fields match what
 * a BullMQ 6 Worker leaves after a final failure (checked against a real one
 * in bullmq-fixtures.test.ts); ids come from the queue's own `id` counter.
 */
export async function seedFailedFast(options: SeedFailedFastOptions): Promise<string[]> {
  const { redis, count } = options;
  const base = `${options.prefix}:${options.queue}`;
  const last = await redis.incrby(`${base}:id`, count);
  const first = last - count + 1;
  const startAt = options.startAt ?? Date.now() - 3_600_000;
  const opts = JSON.stringify({ attempts: options.attempts });
  const stacktrace = JSON.stringify([`Error: ${options.failedReason}\n    at seedFailedFast`]);
  const ids: string[] = [];
  for (let offset = 0; offset < count; offset += CHUNK) {
    const pipeline = redis.pipeline();
    const zadd: (string | number)[] = [];
    for (let i = offset; i < Math.min(count, offset + CHUNK); i++) {
      const id = String(first + i);
      const timestamp = startAt + i;
      ids.push(id);
      pipeline.hset(`${base}:${id}`, {
        name: options.name,
        data: JSON.stringify(options.dataFor(i)),
        opts,
        timestamp,
        delay: 0,
        priority: 0,
        processedOn: timestamp + 5,
        ats: options.attemptsMadeFor?.(i) ?? options.attempts,
        atm: options.attemptsMadeFor?.(i) ?? options.attempts,
        failedReason: options.failedReason,
        stacktrace,
        finishedOn: timestamp + 10,
      });
      zadd.push(timestamp + 10, id);
    }
    pipeline.zadd(`${base}:failed`, ...zadd);
    const replies = await pipeline.exec();
    const failure = replies?.find(([error]) => error !== null)?.[0];
    if (failure) throw failure;
  }
  return ids;
}
