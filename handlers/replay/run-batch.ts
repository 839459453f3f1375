import type { webApi } from '@slack/bolt';
import { approvalOutcomeMessage } from '../../blocks/approval';
import type { ApprovalRecord } from '../../src/approvals/approval-types';
import type { BatchMessage } from '../../src/approvals/batch-messages';
import type { JobOutcome } from '../../src/runbook/replay/types';
import { outcomeSummary } from '../../src/runbook/replay/run-approved-batch';
import type { HandlerServices } from '../../src/services';
import { tellThread } from '../tell';
import { throttledEditor, updateMessage } from './update-message';
import { endIfBacklogCleared } from './end-incident';
import { postVerification } from './verify-batch';

/** Jobs left out, one line each, for the outcome under the approval. */
export function skippedLines(outcomes: readonly JobOutcome[]): string[] {
  return outcomes
    .filter((o) => o.status === 'skipped')
    .map((o) => `job ${o.jobId} left out: ${o.reason ?? 'skipped'}`);
}

export interface ApprovedContext {
  readonly client: webApi.WebClient;
  readonly where: BatchMessage;
  readonly record: ApprovalRecord;
  readonly approvedBy: string;
  readonly approvedAt: number;
  /**
   * Start the verification and return without waiting for it (it watches for
   * up to VERIFY_WINDOW_MS): a recovery pass must hold its single-flight lock
   * only for the replay. Its failures are logged here.
   */
  readonly verifyInBackground?: boolean;
}

/**
 * The approval message becomes the batch's progress and then its result (one
 * message edited in place); the requester is told in the thread when it ends.
 */
export async function runApproved(services: HandlerServices, context: ApprovedContext): Promise<void> {
  const { client, where, record } = context;
  const { manifest } = record;
  const log = services.logger.child({ batchId: manifest.id, workflow: manifest.workflow });
  const base = { manifest, outcome: 'approved' as const, by: context.approvedBy, at: context.approvedAt };

  // Edits start only once this run holds the claim (the engine reports 0 done then):
  // a caller that lost the claim must never overwrite the winner's result.
  const progress = throttledEditor(client, log, where);
  const onProgress = (done: number, total: number) => {
    if (done === total) return;
    progress.edit(() => approvalOutcomeMessage({ ...base, progress: { done, total } }), done === 0);
  };

  let result: Awaited<ReturnType<HandlerServices['runApprovedBatch']>>;
  try {
    result = await services.runApprovedBatch(manifest.id, onProgress);
  } catch (err) {
    await progress.settled();
    await updateMessage(
      client,
      log,
      where,
      approvalOutcomeMessage({
        ...base,
        result: {
          line: 'stopped before the end. Every job is journaled: the bot finishes the batch once Redis answers again (or when it restarts), without moving any job twice.',
        },
      }),
    );
    throw err;
  }
  await progress.settled();
  if (result.kind === 'not-claimed') {
    // Another replica or a retried delivery runs it; that run reports.
    log.info({ claim: result.claim }, 'approved batch already claimed elsewhere');
    return;
  }
  if (result.kind === 'closed-before-run') {
    // A recovery pass closed it before the first move and told the thread; this message says so too.
    log.info({ closedAs: result.closedAs }, 'batch closed elsewhere before it ran; it reported');
    const line = `not run: closed as ${result.closedAs} by a recovery pass before it started; nothing was replayed`;
    await updateMessage(client, log, where, approvalOutcomeMessage({ ...base, result: { line } }));
    return;
  }
  const run = result.kind === 'closed-elsewhere' || result.kind === 'ran-after-close' ? result.run : result;
  const line =
    run.kind === 'executed'
      ? outcomeSummary(run.outcomes)
      : 'not run: a precondition or a sample check failed right before execution; nothing was replayed';
  const details = run.kind === 'executed' ? skippedLines(run.outcomes) : run.reasons;
  // The approval message is this run's own: it shows what this run did either way.
  await updateMessage(client, log, where, approvalOutcomeMessage({ ...base, result: { line, details } }));
  if (result.kind === 'closed-elsewhere') {
    // Another replica's sweep closed the batch as done from the journal a moment before this run
    // did, and has told the thread: a second note would report the same batch twice.
    log.info({ finish: result.finish.code, ran: run.kind }, 'batch closed by another replica; it reported');
  } else if (result.kind === 'ran-after-close') {
    // A recovery pass closed it as not run while this run was moving jobs: its note is wrong.
    await tellThread(client, log, where, {
      tone: 'done',
      mention: manifest.requestedBy,
      message: `Batch ${manifest.batchNumber} of ${manifest.workflow} ran after all: ${line}. A recovery pass had closed it as ${result.closedAs} a moment before (ignore that note); the audit trail is corrected. Verifying it now (runbook step 4); the next batch waits for the result.`,
    });
  } else {
    await tellThread(client, log, where, {
      tone: run.kind === 'executed' ? 'done' : 'refused',
      mention: manifest.requestedBy,
      message:
        run.kind === 'executed'
          ? `Batch ${manifest.batchNumber} of ${manifest.workflow} ran: ${line}. Verifying it now (runbook step 4); the next batch waits for the result.`
          : `Batch ${manifest.batchNumber} of ${manifest.workflow} was approved but not run: a precondition or a sample check failed right before execution.`,
      details: run.kind === 'executed' ? [] : run.reasons,
    });
  }
  // Verification is this run's step whoever closed the batch: the sweep does not verify.
  if (run.kind !== 'executed') return;
  const verifying = verifyThenMaybeEnd(services, client, where, record);
  if (!context.verifyInBackground) return verifying;
  // postVerification already shows a failure in its message and the audit; here it is only logged.
  void verifying.catch((err: unknown) => log.error({ err }, 'verification after a recovered run failed'));
}

async function verifyThenMaybeEnd(
  services: HandlerServices,
  client: webApi.WebClient,
  where: BatchMessage,
  record: ApprovalRecord,
): Promise<void> {
  const { manifest } = record;
  const verification = await postVerification(services, client, where, record);
  if (verification?.status === 'verified') {
    await endIfBacklogCleared(services, client, manifest.teamId, manifest.channelId, manifest.sessionId);
  }
}
