import type { Redis } from 'ioredis';
import type { ApprovalStore } from '../../approvals/approval-store';
import type { Logger } from '../../logger';
import type { JournalProbe } from './journal';
import { reconcileUnfinished, type ReconcileResult } from './reconcile';
import { outcomeSummary } from './run-approved-batch';
import type { BatchJournal, ReplayBatch } from './types';

export interface ResumeDeps {
  readonly store: Pick<ApprovalStore, 'finish'>;
  readonly connection: Redis;
  readonly journal: BatchJournal & JournalProbe;
  readonly logger: Logger;
  readonly owner: string;
}

/**
 * Crash safety at start (issue 4, item 8): every batch whose journal is not
 * done is finished through the same executor, and its approval record is
 * closed with the outcome, so the thread can be told. Batches still leased
 * (a live replica running them) come back `busy`: call again later.
 */
export async function resumeUnfinished(
  deps: ResumeDeps,
  onProgress?: (batch: ReplayBatch, done: number, total: number) => void,
): Promise<ReconcileResult[]> {
  const results = await reconcileUnfinished({
    connection: deps.connection,
    journal: deps.journal,
    logger: deps.logger,
    owner: deps.owner,
    ...(onProgress ? { onProgress } : {}),
  });
  for (const result of results) {
    if (result.status !== 'finished') continue;
    // `not-executing` (finished already, or a batch run outside approvals) is fine: nothing to close.
    await deps.store.finish(
      result.batch.id,
      'done',
      `${outcomeSummary(result.outcomes)} (resumed after a restart)`,
    );
  }
  return results;
}
