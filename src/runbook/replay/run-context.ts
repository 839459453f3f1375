import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../../logger';
import type { KeyOf } from '../../queues/bullmq-reads';
import { LeaseLostError } from './errors';
import type { BatchJournal, BatchKind, JobOutcome, JournalEntry } from './types';

/** What one batch run shares across its jobs. */
export interface RunContext {
  readonly batchId: string;
  /** What the batch does to each job: move it out of `failed`, or add it. */
  readonly kind: BatchKind;
  /** Delphi's Redis: the same connection BullMQ's Queue runs its scripts on. */
  readonly redis: Redis;
  readonly queue: Queue;
  readonly key: KeyOf;
  /** The batch's move ledger, on `redis` (move-ledger.ts). */
  readonly ledgerKey: string;
  /** Jobs per chunk script (replay batches). */
  readonly chunkSize: number;
  readonly journal: BatchJournal;
  readonly owner: string;
  readonly leaseMs: number;
  readonly log: Logger;
}

/** Journals a job's final status and returns it as the batch's outcome. */
export async function record(
  ctx: RunContext,
  jobId: string,
  outcome: Pick<JobOutcome, 'status' | 'reason'>,
): Promise<JobOutcome> {
  const entry: JournalEntry =
    outcome.status === 'replayed'
      ? { status: 'replayed', at: Date.now(), ...(outcome.reason ? { reason: outcome.reason } : {}) }
      : { status: 'skipped', at: Date.now(), reason: outcome.reason ?? 'skipped' };
  await ctx.journal.write(ctx.batchId, jobId, entry);
  ctx.log.debug({ jobId, ...outcome }, 'replay job settled');
  return { jobId, ...outcome };
}

/**
 * A run whose lease lapsed (a long pause) may have been replaced by another:
 * it stops before touching the next job rather than race the new owner.
 */
export async function holdLease(ctx: RunContext): Promise<void> {
  if (!(await ctx.journal.renew(ctx.batchId, ctx.owner, ctx.leaseMs))) throw new LeaseLostError(ctx.batchId);
}
