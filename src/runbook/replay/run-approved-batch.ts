import type { Redis } from 'ioredis';
import type { ApprovalStore } from '../../approvals/approval-store';
import type {
  ApprovalRecord,
  ApprovalState,
  ClaimResult,
  FinishResult,
} from '../../approvals/approval-types';
import { CodedError, ErrorCode } from '../../errors';
import type { Logger } from '../../logger';
import { blockersNow, type DecideBatchDeps } from './decide-batch';
import { executeBatch } from './executor';
import { batchFromManifest } from './batch-from-manifest';
import type { BatchJournal, JobOutcome } from './types';

export interface RunApprovedDeps extends Pick<DecideBatchDeps, 'backend' | 'probes' | 'gate'> {
  readonly store: Pick<ApprovalStore, 'get' | 'claimForExecution' | 'finish' | 'auditAttempt'>;
  /** Delphi's Redis (BullMQ keys). */
  readonly connection: Redis;
  readonly queuePrefix: string;
  readonly journal: BatchJournal;
  readonly logger: Logger;
  /** Who runs it: host, pid and a tag, so two replicas never look alike. */
  readonly owner: string;
}

/** What this run did, when it also closed the batch itself. */
export type RunOutcome =
  | {
      readonly kind: 'precondition-failed';
      readonly record: ApprovalRecord;
      readonly reasons: readonly string[];
    }
  | { readonly kind: 'executed'; readonly record: ApprovalRecord; readonly outcomes: readonly JobOutcome[] };

export type RunApprovedResult =
  | { readonly kind: 'not-claimed'; readonly claim: ClaimResult }
  | RunOutcome
  | {
      /**
       * This run did `run`, but another replica's recovery sweep closed the
       * batch as done first (it saw the finished journal in the moment before
       * this run's own close) and told the thread: the caller must not tell it again.
       */
      readonly kind: 'closed-elsewhere';
      readonly run: RunOutcome;
      readonly finish: FinishResult;
    }
  | {
      /**
       * This run executed, but a recovery pass had already closed the batch as
       * something other than done (`failed`: "nothing moved", after the claim
       * grace). Its note is wrong: the caller tells the thread what this run
       * did; the audit already has the correction.
       */
      readonly kind: 'ran-after-close';
      readonly run: Extract<RunOutcome, { kind: 'executed' }>;
      readonly closedAs: ApprovalState | 'gone';
    }
  | {
      /**
       * Closed by a recovery pass (or claimed anew) between this run's claim
       * and its first move: nothing ran; the closer told the thread.
       */
      readonly kind: 'closed-before-run';
      readonly record: ApprovalRecord;
      readonly closedAs: ApprovalState | 'gone';
    };

/** One line for the batch record and the thread: counts, and why the rest were left out. */
export function outcomeSummary(outcomes: readonly JobOutcome[]): string {
  const replayed = outcomes.filter((o) => o.status === 'replayed').length;
  const skipped = outcomes.filter((o) => o.status === 'skipped');
  const reasons = new Map<string, number>();
  for (const o of skipped) reasons.set(o.reason ?? 'skipped', (reasons.get(o.reason ?? 'skipped') ?? 0) + 1);
  const left = [...reasons].map(([reason, n]) => `${n} ${reason}`).join(', ');
  return `${replayed} of ${outcomes.length} replayed${left ? `; left out: ${left}` : ''}`;
}

/**
 * After an approval: claim the batch (exactly one caller wins, whatever
 * replica or retry), check the preconditions once more right before the first
 * move (invariant 5), and run the journaled executor on exactly the manifest's
 * jobs. A precondition failing now ends the batch as `failed` with the reason:
 * nothing moved, and the next plan starts from there.
 *
 * When the executor throws (Redis gone mid-batch, lease lost) the batch stays
 * `executing` and its journal unfinished: recovery (`resumeUnfinished`)
 * finishes both.
 */
export async function runApprovedBatch(
  deps: RunApprovedDeps,
  batchId: string,
  onProgress?: (done: number, total: number) => void,
): Promise<RunApprovedResult> {
  const claim = await deps.store.claimForExecution(batchId, deps.owner);
  if (claim.code !== 'claimed') return { kind: 'not-claimed', claim };
  const record = await deps.store.get(batchId);
  if (!record) throw new CodedError(ErrorCode.Unknown, `batch ${batchId} vanished after its claim`);
  const log = deps.logger.child({ batchId, workflow: record.manifest.workflow });

  const reasons = await blockersNow(deps, record);
  if (reasons.length > 0) {
    const finish = await deps.store.finish(
      batchId,
      'failed',
      `not run: preconditions failed right before execution: ${reasons.join('; ')}`,
    );
    log.warn({ reasons }, 'approved batch not run: preconditions failed');
    return closedBy(finish, { kind: 'precondition-failed', record, reasons });
  }
  // The preconditions can take a while (upstream probes): a recovery pass may have given up on this
  // claim meanwhile (claim grace) and closed the batch as not run. Looked at once more right before
  // the journal begins: from then on the sweep sees the journal and leaves the batch alone.
  const now = await deps.store.get(batchId);
  if (now?.state !== 'executing' || now.claimedBy !== deps.owner) {
    const closedAs = now?.state ?? 'gone';
    log.warn(
      { closedAs, claimedBy: now?.claimedBy },
      'approved batch closed elsewhere before it ran: not run',
    );
    return { kind: 'closed-before-run', record, closedAs };
  }
  onProgress?.(0, record.manifest.jobs.length);
  const outcomes = await executeBatch({
    batch: batchFromManifest(record.manifest, deps.queuePrefix),
    connection: deps.connection,
    journal: deps.journal,
    logger: deps.logger,
    owner: deps.owner,
    ...(onProgress ? { onProgress } : {}),
  });
  // Between the journal's finish (inside the executor) and this close, another replica's sweep may
  // close the batch from the journal and report it (issue 8, race R2): only the close that won reports.
  const summary = outcomeSummary(outcomes);
  const finish = await deps.store.finish(batchId, 'done', summary);
  const run = { kind: 'executed', record, outcomes } as const;
  if (finish.code === 'finished' || finish.state === 'done') return closedBy(finish, run);
  // Closed as failed (or gone) while this run moved jobs: that record is wrong, and the audit
  // stream is what the incident review reads. Corrected there; the caller corrects the thread.
  const closedAs = finish.state ?? 'gone';
  log.error({ closedAs, summary }, 'batch ran after a recovery pass had closed it: audit corrected');
  await deps.store
    .auditAttempt({
      session: record.manifest.sessionId,
      batchId,
      action: 'finish',
      actor: deps.owner,
      result: 'ran-after-close',
      detail: `ran after it had been closed as ${closedAs}: ${summary}`,
    })
    // The thread still gets the truth: an audit write failing must not turn into "stopped mid-way".
    .catch((err: unknown) => log.error({ err }, 'could not write the correcting audit entry'));
  return { kind: 'ran-after-close', run, closedAs };
}

/** Only a close as `done` by another means its note told what this run did. */
function closedBy(finish: FinishResult, run: RunOutcome): RunApprovedResult {
  return finish.code === 'finished' ? run : { kind: 'closed-elsewhere', run, finish };
}
