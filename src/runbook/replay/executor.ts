import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../../logger';
import { BatchBusyError } from './errors';
import { enqueueJobs } from './enqueue-job';
import { DEFAULT_CHUNK_SIZE, MAX_CHUNK_SIZE } from './replay-chunk';
import { replayJobs, type RunContext } from './replay-job';
import { batchKind, replayBatchSchema, type BatchJournal, type JobOutcome, type ReplayBatch } from './types';

/**
 * Long enough that no single step (a chunk's few Redis round trips, or one
 * enqueue's, each bounded by the connection's command timeout) outlives it; short enough that a bot
 * restarted after a crash takes its batch over within half a minute.
 */
export const DEFAULT_LEASE_MS = 30_000;

export interface ExecuteBatchOptions {
  /** Already approved: this module checks jobs, not people. */
  readonly batch: ReplayBatch;
  /** Delphi's Redis (BullMQ keys). Shared: never closed here. */
  readonly connection: Redis;
  readonly journal: BatchJournal;
  readonly logger: Logger;
  /** After each job; the caller throttles its one edited Slack message. */
  readonly onProgress?: (done: number, total: number) => void;
  /** Who runs the batch, in the journal's meta and lease. Default: host, pid and a random tag. */
  readonly owner?: string;
  readonly leaseMs?: number;
  /** Jobs per chunk script (replay batches); default DEFAULT_CHUNK_SIZE. */
  readonly chunkSize?: number;
}

export function defaultOwner(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

/**
 * Replay exactly the batch's jobs, in chunks: one atomic Lua script per chunk
 * checks each job against the approval (still in `failed`, the frozen
 * `finishedOn`, the approved payload bytes, attempts used up), moves the ones
 * that pass exactly as BullMQ's `Job.retry('failed')` does, and records every
 * verdict in the batch's move ledger in the same step (replay-job.ts,
 * replay-chunk.ts, move-ledger.ts). The journal is written before the first
 * move (every job `pending`) and after each chunk (a copy of its verdicts); a
 * crash in between is settled from the ledger, which cannot disagree with
 * Redis because it is written by the very script that moves (invariant 6).
 * For an `enqueue` batch, add exactly its jobs, one at a time, with the same
 * journal and lease (enqueue-job.ts).
 *
 * Re-running a batch (the same call after a crash, or `reconcile`) moves
 * nothing twice: finished jobs are skipped from the journal, jobs settled by a
 * crashed run from the ledger, and the chunk script itself refuses any job the
 * ledger already holds.
 *
 * Throws when the batch is running elsewhere (BatchBusyError), when this run's
 * lease was taken over (LeaseLostError), or when Redis fails mid-batch; in each
 * case the journal stays unfinished for recovery.
 */
export async function executeBatch(options: ExecuteBatchOptions): Promise<JobOutcome[]> {
  const batch = replayBatchSchema.parse(options.batch);
  const { journal } = options;
  const owner = options.owner ?? defaultOwner();
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  if (!Number.isInteger(chunkSize) || chunkSize < 1 || chunkSize > MAX_CHUNK_SIZE) {
    throw new RangeError(`chunkSize must be an integer from 1 to ${MAX_CHUNK_SIZE}, got ${chunkSize}`);
  }
  const log = options.logger.child({
    component: 'replay',
    batchId: batch.id,
    kind: batchKind(batch),
    queue: batch.queue,
  });

  const created = await journal.begin(batch);
  if (!(await journal.claim(batch.id, owner, leaseMs))) throw new BatchBusyError(batch.id);
  // skipMetasUpdate: BullMQ's Queue would otherwise write its own version into
  // Delphi's queue meta; the move needs only the key builder and the scripts.
  const queue = new Queue(batch.queue, {
    connection: options.connection,
    prefix: batch.queuePrefix,
    skipMetasUpdate: true,
    skipVersionCheck: true,
  });
  // Without a listener an 'error' event (a Redis blip) would crash the bot.
  queue.on('error', (err: Error) => log.warn({ err }, 'bullmq queue error during replay'));
  try {
    const ctx: RunContext = {
      batchId: batch.id,
      kind: batchKind(batch),
      redis: options.connection,
      queue,
      key: (suffix) => queue.toKey(suffix),
      ledgerKey: journal.ledgerKey(batch.id),
      chunkSize,
      journal,
      owner,
      leaseMs,
      log,
    };
    // Read once: while this run holds the lease, only this run writes the journal. Read even when
    // this call created it: another run may have claimed, run and released it between our begin and claim.
    const entries = await journal.entries(batch.id);
    let done = 0;
    const onSettled = (count: number): void => {
      if (count === 0) return;
      done += count;
      reportProgress(options.onProgress, done, batch.jobs.length, log);
    };
    const outcomes =
      ctx.kind === 'enqueue'
        ? await enqueueJobs(ctx, batch.jobs, entries, onSettled)
        : await replayJobs(ctx, batch.jobs, entries, onSettled, { fresh: created });
    await journal.finish(batch.id);
    log.info(
      {
        replayed: outcomes.filter((o) => o.status === 'replayed').length,
        skipped: outcomes.filter((o) => o.status === 'skipped').length,
      },
      'replay batch finished',
    );
    return outcomes;
  } finally {
    await queue.close().catch((err: unknown) => log.warn({ err }, 'closing the replay queue failed'));
    await journal
      .release(batch.id, owner)
      .catch((err: unknown) => log.warn({ err }, 'releasing the replay lease failed; it expires by itself'));
  }
}

/** A failing progress callback (a Slack edit) must not stop a half-done batch. */
function reportProgress(
  onProgress: ExecuteBatchOptions['onProgress'],
  done: number,
  total: number,
  log: Logger,
): void {
  if (!onProgress) return;
  try {
    onProgress(done, total);
  } catch (err) {
    log.warn({ err }, 'replay progress callback failed');
  }
}
