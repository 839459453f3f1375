import { approvalButtonValue, approvalOutcomeMessage } from '../../blocks/approval';
import { noticeMessage } from '../../blocks/notice';
import type { ApproverDirectory } from '../../src/approvals/approvers';
import type { BatchMessage } from '../../src/approvals/batch-messages';
import type { Decision, DecideCode } from '../../src/approvals/approval-types';
import type { DecideBatchResult } from '../../src/runbook/replay/decide-batch';
import type { HandlerServices } from '../../src/services';
import { postChecked } from '../post-message';
import { runApproved, updateMessage } from '../replay/run-batch';
import { tell } from '../tell';
import { clickedIn } from './button-value';
import type { ButtonArgs } from './show-samples';

/**
 * Never built from the value itself: an unparseable value still leaves a
 * trace in the audit stream through the store's malformed-id path.
 */
const TAMPERED_BATCH_ID = '(unreadable button value)';

function refusalText(code: DecideCode, outcome: DecideBatchResult): string {
  const manifest = outcome.record?.manifest;
  switch (code) {
    case 'self-approval':
      return 'You asked for this batch, so you cannot approve or deny it: a second person must.';
    case 'not-an-approver':
      return `You cannot decide replay batches: ${outcome.approverReason}.`;
    case 'hash-mismatch':
      return 'This button belongs to a different version of the plan, so nothing was approved. Plan the batch again with `/stuckjobs replay`.';
    case 'precondition-failed':
      return 'Not approved: a precondition fails right now. The batch stays open until it expires; approve again once the upstream is healthy.';
    case 'expired':
      return `Batch ${manifest?.batchNumber ?? ''} expired before a decision: nothing was replayed. Plan it again with \`/stuckjobs replay ${manifest?.workflow ?? '<workflow>'}\`.`;
    case 'not-pending': {
      const who = outcome.result.decidedBy ? ` by <@${outcome.result.decidedBy}>` : '';
      return `This batch was already ${outcome.result.state ?? 'decided'}${who}: nothing more to do.`;
    }
    case 'dry-run':
      return 'This is a dry run: there is nothing to approve. Plan the batch without `--dry-run` to replay it.';
    case 'not-found':
      return 'That approval button is damaged, altered or too old: nothing was approved. Ask the requester to plan the batch again with `/stuckjobs replay <workflow>`.';
    case 'approved':
    case 'denied':
      return '';
  }
}

/**
 * Approve and Deny on an approval request. Every rule is enforced on the
 * server at click time (src/runbook/replay/decide-batch.ts and the store's
 * one atomic decision); this listener only turns the answer into Slack.
 */
export function replayDecision(services: HandlerServices, decision: Decision, directory: ApproverDirectory) {
  return async ({ ack, body, action, client, respond }: ButtonArgs): Promise<void> => {
    await ack();
    const userId = body.user.id;
    const log = services.logger.child({ user: userId, decision });
    const value = approvalButtonValue.safeParse(action.value);
    const request = value.success
      ? { batchId: value.data.b, manifestHash: value.data.h, userId, decision }
      : { batchId: TAMPERED_BATCH_ID, manifestHash: '', userId, decision };
    if (!value.success) log.warn('approval button value failed validation');
    const outcome = await services.decideBatch(directory, request);
    const { result, record } = outcome;
    log.info({ batchId: request.batchId, code: result.code }, 'approval click decided');

    if (result.code !== 'approved' && result.code !== 'denied') {
      await tell(
        respond,
        noticeMessage({
          tone: 'refused',
          message: refusalText(result.code, outcome),
          details: outcome.preconditionReasons,
        }),
      );
      if (result.code === 'expired' && record)
        await showOutcome(services, client, record, 'expired', userId, Date.now());
      return;
    }
    if (!record) return;
    const where = await whereIs(services, record.manifest.id, body);
    if (!where) {
      log.error({ batchId: record.manifest.id }, 'approval message location unknown');
      return;
    }
    const at = result.decidedAt ?? Date.now();
    if (result.code === 'denied') {
      await updateMessage(
        client,
        log,
        where,
        approvalOutcomeMessage({ manifest: record.manifest, outcome: 'denied', by: userId, at }),
      );
      await postChecked(
        client,
        log,
        { channel: where.channelId, threadTs: where.threadTs },
        noticeMessage({
          tone: 'refused',
          mention: record.manifest.requestedBy,
          message: `Batch ${record.manifest.batchNumber} of ${record.manifest.workflow} was denied by a second approver: nothing was replayed. Sample again or plan a different batch.`,
        }),
      );
      return;
    }
    await runApproved(services, { client, where, record, approvedBy: userId, approvedAt: at });
  };
}

async function showOutcome(
  services: HandlerServices,
  client: ButtonArgs['client'],
  record: NonNullable<DecideBatchResult['record']>,
  outcome: 'expired',
  by: string,
  at: number,
): Promise<void> {
  const where = await services.batchMessages.find(record.manifest.id);
  if (!where) return;
  await updateMessage(
    client,
    services.logger,
    where,
    approvalOutcomeMessage({ manifest: record.manifest, outcome, by, at }),
  );
}

/** Where the request was posted; the clicked message when the record is gone (it names the same message). */
async function whereIs(
  services: HandlerServices,
  batchId: string,
  body: ButtonArgs['body'],
): Promise<BatchMessage | undefined> {
  const saved = await services.batchMessages.find(batchId);
  if (saved) return saved;
  const { channelId, threadTs } = clickedIn(body);
  const messageTs = body.message?.ts;
  if (!channelId || !messageTs) return undefined;
  return {
    channelId,
    messageTs,
    threadTs: (body.message?.thread_ts as string | undefined) ?? threadTs ?? messageTs,
  };
}
