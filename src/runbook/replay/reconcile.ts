import type { Redis } from 'ioredis';
import type { Logger } from '../../logger';
import { BatchBusyError } from './errors';
import { executeBatch } from './executor';
import type { JournalProbe } from './journal';
import { claimWhileUnfinished } from './unfinished-claim';
import type { BatchJournal, JobOutcome, ReplayBatch } from './types';

export type ReconcileResult =
  | { readonly batch: ReplayBatch; readonly status: 'finished'; readonly outcomes: readonly JobOutcome[] }
  /** Its lease is held: a live run is executing it, or a dead one's lease has not expired yet. */
  | { readonly batch: ReplayBatch; readonly status: 'busy'; readonly owner: string | null }
  /**
   * Finished elsewhere since the list was read (another replica's run, or this process's own
   * click): nothing left to do, and the run that finished it reports it. Not busy: asking again
   * later would find it off the list anyway, so no retry is owed.
   */
  | { readonly batch: ReplayBatch; readonly status: 'settled' }
  | { readonly batch: ReplayBatch; readonly status: 'failed'; readonly error: Error };

export interface ReconcileOptions {
  /** Delphi's Redis (BullMQ keys). Shared: never closed here. */
  readonly connection: Redis;
  readonly journal: BatchJournal & JournalProbe;
  readonly logger: Logger;
  readonly owner?: string;
  readonly leaseMs?: number;
  /** Jobs per chunk script; default the executor's. */
  readonly chunkSize?: number;
  readonly onProgress?: (batch: ReplayBatch, done: number, total: number) => void;
}

/**
 * Crash recovery, run at start: finish every batch whose journal is not done,
 * so the caller can say in each thread what became of it.
 *
 * Per job, from its journal entry and the batch's move ledger (replay-job.ts):
 * - `replayed` / `skipped`: settled before the crash; left alone.
 * - anything else with a verdict in the move ledger: the crash came after the
 *   chunk script that moved (or refused) the job and before the journal copy.
 *   The ledger is written by that same atomic script, so its verdict is
 *   exactly what happened; copied, never moved again.
 * - anything else without one: no chunk script reached the job, so it did not
 *   move; executed normally, with every check. A job moved, run and failed
 *   again before recovery is back in `failed` with its payload and attempts
 *   used up, so "retry whatever is failed" would move it twice; the ledger
 *   stops that here, and the chunk script refuses it again should this ever
 *   be reached.
 * - `moving` (written by the one-at-a-time engine before this one, for a
 *   journal left unfinished across the upgrade): Redis decides, as then
 *   (move-evidence.ts).
 *
 * A journal still leased is skipped as `busy` (its run may be alive, e.g. the
 * other replica during a rolling deploy), from one look at its lease before
 * anything else; call again after the lease expires. One found done by then
 * (finished since the list was read) is `settled`: nothing to retry.
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
      // A batch running elsewhere is seen on every pass of every replica: one round trip decides
      // that, before begin (which parses the batch and writes every job's entry) and the claim.
      const status = await options.journal.status(batch.id);
      if (status.leasedBy === null && status.state === 'done') {
        results.push({ batch, status: 'settled' });
        continue;
      }
      if (status.leasedBy !== null || status.state !== 'running') {
        // Leased: a live run (or a dead one's lease not lapsed yet). No meta: gone since the list.
        results.push({ batch, status: 'busy', owner: status.leasedBy ?? owner });
        continue;
      }
      const outcomes = await executeBatch({
        batch,
        connection: options.connection,
        // Finished elsewhere since the look above: refused at the claim, `settled` below.
        journal: claimWhileUnfinished(options.journal),
        logger: options.logger,
        ...(options.owner !== undefined ? { owner: options.owner } : {}),
        ...(options.leaseMs !== undefined ? { leaseMs: options.leaseMs } : {}),
        ...(options.chunkSize !== undefined ? { chunkSize: options.chunkSize } : {}),
        ...(options.onProgress
          ? { onProgress: (done: number, total: number) => options.onProgress?.(batch, done, total) }
          : {}),
      });
      results.push({ batch, status: 'finished', outcomes });
    } catch (err) {
      if (err instanceof BatchBusyError) {
        // Refused at the claim: leased since the look above, or finished (claimWhileUnfinished).
        const now = await options.journal.status(batch.id).catch(() => null);
        if (now?.state === 'done' && now.leasedBy === null) results.push({ batch, status: 'settled' });
        else results.push({ batch, status: 'busy', owner: now?.leasedBy ?? owner });
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
