import { randomBytes } from 'node:crypto';
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { payloadSha256 } from '../../../src/approvals/batch-manifest';
import type { JournalEntry, ReplayBatch } from '../../../src/runbook/replay/types';
import { eventually } from '../../helpers/eventually';
import { deleteKeysWithPrefix, randomPrefix } from '../../helpers/redis';
import { silentLogger } from '../../../src/logger';
import { RedisBatchJournal } from '../../../src/runbook/replay/journal';

export const QUEUE = 'webhook-delivery';

/** A connection BullMQ Workers accept (blocking commands need no per-request retry cap). */
export function workerConnection(url: string): Redis {
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  connection.on('error', () => undefined);
  return connection;
}

export function randomBatchId(): string {
  return `b-${randomBytes(6).toString('hex')}`;
}

export interface SeedGivenUpOptions {
  readonly url: string;
  readonly prefix: string;
  readonly queue: string;
  readonly count: number;
  /** Every one is used by a real Worker (retries 1 ms apart) before the job lands in `failed`. */
  readonly attempts: number;
  readonly dataFor?: (i: number) => unknown;
}

/**
 * Given-up jobs the way production gets them: added by a Queue, failed by a
 * real Worker through all their attempts. Resolves once all are in `failed`.
 */
export async function seedGivenUp(options: SeedGivenUpOptions): Promise<string[]> {
  const connection = workerConnection(options.url);
  const queue = new Queue(options.queue, { connection, prefix: options.prefix });
  queue.on('error', () => undefined);
  let worker: Worker | undefined;
  try {
    const dataFor = options.dataFor ?? ((i: number) => ({ tenant: 'acme', delivery: `d-${i}` }));
    const added = await queue.addBulk(
      Array.from({ length: options.count }, (_, i) => ({
        name: 'webhook.deliver',
        data: dataFor(i),
        opts: { attempts: options.attempts, backoff: { type: 'fixed', delay: 1 } },
      })),
    );
    worker = new Worker(options.queue, () => Promise.reject(new Error('endpoint returned 500')), {
      connection,
      prefix: options.prefix,
      concurrency: 50,
    });
    worker.on('error', () => undefined);
    await eventually(
      async () =>
        (await connection.zcard(`${options.prefix}:${options.queue}:failed`)) >= options.count
          ? true
          : undefined,
      20_000,
    );
    return added.map((job) => String(job.id));
  } finally {
    await worker?.close();
    await queue.close();
    await connection.quit().catch(() => connection.disconnect());
  }
}

/** The batch an approval would hand over: ids with the SHA-256 of each stored payload, read now. */
export async function batchOf(
  redis: Redis,
  prefix: string,
  queue: string,
  ids: readonly string[],
  id = randomBatchId(),
): Promise<ReplayBatch> {
  const jobs = [];
  for (const jobId of ids) {
    jobs.push({
      id: jobId,
      payloadSha256: payloadSha256(await redis.hget(`${prefix}:${queue}:${jobId}`, 'data')),
    });
  }
  return { id, queuePrefix: prefix, queue, jobs };
}

/** BullMQ's own record of each job's moves out of `failed` (shared with the fault suite and the soak's checker). */
export { movesOutOfFailed } from '../../../bench/lib/move-events';

export interface CountingWorker {
  /** Job id -> how many times this Worker ran it. */
  readonly runs: Map<string, number>;
  close(): Promise<void>;
}

/**
 * Delphi's worker, still broken: runs every job it gets and fails it. A replayed
 * job (attempts already used) goes straight back to `failed`, given up again:
 * the state in which a careless recovery would move it a second time.
 */
export function failingWorker(url: string, prefix: string, queue: string): CountingWorker {
  const connection = workerConnection(url);
  const runs = new Map<string, number>();
  const worker = new Worker(
    queue,
    (job: Job) => {
      const id = String(job.id);
      runs.set(id, (runs.get(id) ?? 0) + 1);
      return Promise.reject(new Error('endpoint still returns 500'));
    },
    { connection, prefix, concurrency: 20 },
  );
  worker.on('error', () => undefined);
  return {
    runs,
    close: async () => {
      await worker.close();
      await connection.quit().catch(() => connection.disconnect());
    },
  };
}

/** A Queue for test-side reads and for playing "someone else" touching jobs. */
export function testQueue(connection: Redis, prefix: string, queue = QUEUE): Queue {
  const q = new Queue(queue, { connection, prefix, skipMetasUpdate: true });
  q.on('error', () => undefined);
  return q;
}

export interface ReplayScope {
  readonly prefix: string;
  readonly statePrefix: string;
  readonly journal: RedisBatchJournal;
  readonly queue: Queue;
}

/** Fresh queue and state prefixes, a journal and a queue: what every replay test starts from. */
export function freshReplayScope(redis: Redis): ReplayScope {
  const statePrefix = randomPrefix('replay-s');
  const prefix = randomPrefix('replay-q');
  return {
    prefix,
    statePrefix,
    journal: new RedisBatchJournal(redis, statePrefix, silentLogger),
    queue: testQueue(redis, prefix),
  };
}

/** Closes the queue and deletes the test's keys, both prefixes. */
export async function cleanReplayScope(
  redis: Redis,
  scope: Pick<ReplayScope, 'prefix' | 'statePrefix' | 'queue'>,
): Promise<void> {
  await scope.queue.close();
  await deleteKeysWithPrefix(redis, scope.prefix);
  await deleteKeysWithPrefix(redis, scope.statePrefix);
}

/** Every journal entry of a batch; an unreadable one fails the test (crash tests must read them all). */
export async function readableEntries(
  journal: RedisBatchJournal,
  batchId: string,
): Promise<Map<string, JournalEntry>> {
  const entries = new Map<string, JournalEntry>();
  for (const [jobId, entry] of await journal.entries(batchId)) {
    if (entry === 'unreadable') throw new Error(`unreadable journal entry for ${jobId}`);
    entries.set(jobId, entry);
  }
  return entries;
}

export const withStatus = (entries: Map<string, JournalEntry>, status: JournalEntry['status']): string[] =>
  [...entries].filter(([, entry]) => entry.status === status).map(([jobId]) => jobId);

/** A restarted bot cannot take the batch before the dead run's lease runs out. */
export const leaseExpired = (redis: Redis, journal: RedisBatchJournal, batchId: string): Promise<true> =>
  eventually(async () => ((await redis.exists(journal.keys(batchId).lease)) === 0 ? true : undefined), 5_000);
