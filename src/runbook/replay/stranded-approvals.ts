import type { ApprovalStore } from '../../approvals/approval-store';
import type { ApprovalRecord } from '../../approvals/approval-types';
import type { Logger } from '../../logger';

export interface StrandedDeps {
  readonly store: Pick<ApprovalStore, 'approvedUnclaimed' | 'get' | 'claimForExecution' | 'finish'>;
  readonly logger: Logger;
  readonly owner: string;
  readonly clock: () => number;
  /** An approval older than this when the bot comes back is not acted on: the situation may have changed. */
  readonly approvalTtlMs: number;
}

export interface StrandedApprovals {
  /** Approved a moment before the crash: still what the approver meant, so run them now. */
  readonly toRun: readonly ApprovalRecord[];
  /** Approved too long ago: closed as failed, and the thread is told to plan again. */
  readonly lapsed: readonly ApprovalRecord[];
}

/**
 * A bot that dies between an approval and its claim leaves the batch
 * `approved` with no journal, where journal recovery cannot see it. The
 * store keeps those ids apart; at start each is either run (fresh) or closed
 * (lapsed). Running still goes through the claim, so two replicas starting
 * at once run it once, and through the preconditions right before execution.
 */
export async function findStrandedApprovals(deps: StrandedDeps): Promise<StrandedApprovals> {
  const toRun: ApprovalRecord[] = [];
  const lapsed: ApprovalRecord[] = [];
  for (const batchId of await deps.store.approvedUnclaimed()) {
    const record = await deps.store.get(batchId).catch((err: unknown) => {
      deps.logger.error({ err, batchId }, 'stranded approval unreadable: left alone');
      return undefined;
    });
    if (record?.state !== 'approved') continue;
    const age = deps.clock() - (record.decidedAt ?? 0);
    if (age <= deps.approvalTtlMs) {
      toRun.push(record);
      continue;
    }
    // Claim first so only one replica closes it; then end it without moving anything.
    const claim = await deps.store.claimForExecution(batchId, deps.owner);
    if (claim.code !== 'claimed') continue;
    await deps.store.finish(
      batchId,
      'failed',
      `not run: approved ${Math.round(age / 60_000)} min before the bot came back; plan the batch again`,
    );
    deps.logger.warn({ batchId, ageMs: age }, 'approved batch lapsed while the bot was down');
    lapsed.push(record);
  }
  return { toRun, lapsed };
}
