import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../../logger';
import { BatchBusyError } from './errors';
import { settleJob, type RunContext } from './replay-job';
import { batchKind, replayBatchSchema, type BatchJournal, type JobOutcome, type ReplayBatch } from './types';

/**
 * Long enough that no single job step (a few Redis round trips, each bounded by
 * the connection's command timeout) outlives it; short enough that a bot
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
}

export function defaultOwner(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

/**
 * Replay exactly the batch's jobs, one at a time, journaled before and after
 * each move (invariant 6); for an `enqueue` batch, add exactly its jobs, with
 * the same journal and lease (enqueue-job.ts). Re-running a batch (the same
 * call after a crash, or `reconcile`) moves nothing twice: finished jobs are
 * skipped from the journal, and a job caught mid-move is settled from what
 * Redis shows (move-evidence.ts, enqueue-job.ts).
 *
 * Throws when the batch is running elsewhere (BatchBusyError), when this run's
 * lease was taken over (LeaseLostError), or when Redis fails mid-move; in each
 * case the journal stays unfinished for recovery.
 *
 * Known window: the re-check and BullMQ's move are two steps, not one script,
 * because the move must be BullMQ's own `Job.retry`. A job changed in between
 * (milliseconds) by someone else writing to a failed job would still move; no
 * Delphi worker writes to failed jobs.
 */
export async function executeBatch(options: ExecuteBatchOptions): Promise<JobOutcome[]> {
  const batch = replayBatchSchema.parse(options.batch);
  const { journal } = options;
  const owner = options.owner ?? defaultOwner();
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const log = options.logger.child({
    component: 'replay',
    batchId: batch.id,
    kind: batchKind(batch),
    queue: batch.queue,
  });

  await journal.begin(batch);
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
      journal,
      owner,
      leaseMs,
      log,
    };
    // Read once: while this run holds the lease, only this run writes the journal.
    const entries = await journal.entries(batch.id);
    const outcomes: JobOutcome[] = [];
    for (const job of batch.jobs) {
      outcomes.push(await settleJob(ctx, job, entries.get(job.id)));
      reportProgress(options.onProgress, outcomes.length, batch.jobs.length, log);
    }
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
