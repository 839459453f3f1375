import type { Redis } from 'ioredis';
import type { Logger } from '../../logger';
import { BatchBusyError } from './errors';
import { executeBatch } from './executor';
import type { BatchJournal, JobOutcome, ReplayBatch } from './types';

export type ReconcileResult =
  | { readonly batch: ReplayBatch; readonly status: 'finished'; readonly outcomes: readonly JobOutcome[] }
  /** Its lease is held: a live run is executing it, or a dead one's lease has not expired yet. */
  | { readonly batch: ReplayBatch; readonly status: 'busy'; readonly owner: string | null }
  | { readonly batch: ReplayBatch; readonly status: 'failed'; readonly error: Error };

export interface ReconcileOptions {
  /** Delphi's Redis (BullMQ keys). Shared: never closed here. */
  readonly connection: Redis;
  readonly journal: BatchJournal;
  readonly logger: Logger;
  readonly owner?: string;
  readonly leaseMs?: number;
  readonly onProgress?: (batch: ReplayBatch, done: number, total: number) => void;
}

/**
 * Crash recovery, run at start: finish every batch whose journal is not done,
 * so the caller can say in each thread what became of it.
 *
 * Per job, from its journal entry:
 * - `replayed` / `skipped`: settled before the crash; left alone.
 * - `pending`: never reached (no `moving` was written, and nothing moves
 *   without one): executed normally, with every pre-move check.
 * - `moving`: the crash hit between the write before the move and the write
 *   after it, so the move may or may not have happened. Redis decides
 *   (move-evidence.ts): BullMQ's move is one atomic script that takes the job
 *   out of `failed` and deletes its `finishedOn`, and any later run bumps `ats`
 *   and rewrites the timestamps. So "still in `failed` with the failure mark
 *   recorded before the move" proves the move did not happen (moved now), and
 *   anything else means it did, or cannot be told apart from it (marked
 *   `replayed`, never moved again). A job that was moved, ran and failed again
 *   before recovery is back in `failed`, but with a new mark: that is the case
 *   where "retry whatever is failed" would move it twice, and here does not.
 *
 * A journal still leased is skipped as `busy` (its run may be alive, e.g. the
 * other replica during a rolling deploy); call again after the lease expires.
 * The same code path as a first run (executeBatch) does the work, so recovery
 * and execution cannot drift apart.
 */
export async function reconcileUnfinished(options: ReconcileOptions): Promise<ReconcileResult[]> {
  const log = options.logger.child({ component: 'replay-reconcile' });
  const unfinished = await options.journal.listUnfinished();
  if (unfinished.length > 0) log.warn({ batches: unfinished.length }, 'unfinished replay batches found');
  const results: ReconcileResult[] = [];
  for (const { batch, owner } of unfinished) {
    try {
      const outcomes = await executeBatch({
        batch,
        connection: options.connection,
        journal: options.journal,
        logger: options.logger,
        ...(options.owner !== undefined ? { owner: options.owner } : {}),
        ...(options.leaseMs !== undefined ? { leaseMs: options.leaseMs } : {}),
        ...(options.onProgress
          ? { onProgress: (done: number, total: number) => options.onProgress?.(batch, done, total) }
          : {}),
      });
      results.push({ batch, status: 'finished', outcomes });
    } catch (err) {
      if (err instanceof BatchBusyError) {
        results.push({ batch, status: 'busy', owner });
        continue;
      }
      // One batch that cannot finish (Redis down, lease lost) must not hide the others.
      const error = err instanceof Error ? err : new Error(String(err));
      log.error({ err: error, batchId: batch.id }, 'replay batch could not be reconciled');
      results.push({ batch, status: 'failed', error });
    }
  }
  return results;
}
