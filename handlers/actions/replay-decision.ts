import { approvalButtonValue, approvalOutcomeMessage } from '../../blocks/approval';
import { decisionRefusalText } from '../../blocks/decision-refusal';
import { noticeMessage } from '../../blocks/notice';
import type { ApproverDirectory } from '../../src/approvals/approvers';
import type { BatchMessage } from '../../src/approvals/batch-messages';
import type { ApprovalRecord, Decision } from '../../src/approvals/approval-types';
import type { Logger } from '../../src/logger';
import type { HandlerServices } from '../../src/services';
import { startRecovery } from '../replay/resume';
import { runApproved } from '../replay/run-batch';
import { updateMessage } from '../replay/update-message';
import { tell, tellThread } from '../tell';
import { clickedIn } from './button-value';
import type { ButtonArgs } from './types';

/**
 * Never built from the value itself: an unparseable value still leaves a
 * trace in the audit stream through the store's malformed-id path.
 */
const TAMPERED_BATCH_ID = '(unreadable button value)';

/** Long enough for a Redis blip to pass and the failed run's lease to lapse. */
const RETRY_AFTER_FAILURE_MS = 31_000;

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
    if (!value.success) log.warn('approval button value failed validation');
    // Where the click happened, as Slack says: the batch's own team and channel must match.
    const place = {
      teamId: body.team?.id ?? body.user.team_id ?? '',
      channelId: clickedIn(body).channelId ?? '',
    };
    const outcome = await services.decideBatch(
      directory,
      value.success
        ? { batchId: value.data.b, manifestHash: value.data.h, userId, decision, ...place }
        : { batchId: TAMPERED_BATCH_ID, manifestHash: '', userId, decision, ...place },
    );
    const { result, record } = outcome;
    log.info({ batchId: record?.manifest.id, code: result.code }, 'approval click decided');

    if (result.code !== 'approved' && result.code !== 'denied') {
      const message = decisionRefusalText({
        code: result.code,
        approverReason: outcome.approverReason,
        ...(record ? { manifest: record.manifest } : {}),
        ...(result.state ? { state: result.state } : {}),
        ...(result.decidedBy ? { decidedBy: result.decidedBy } : {}),
      });
      await tell(respond, noticeMessage({ tone: 'refused', message, details: outcome.preconditionReasons }));
      if (result.code === 'expired' && record) await showExpired(services, client, log, record, userId);
      return;
    }
    if (!record) return;
    const where = await whereIs(services, record.manifest.id, body);
    if (!where) {
      // Decided and audited; without the message there is nothing to edit, so say so rather than go quiet.
      log.error({ batchId: record.manifest.id }, 'approval message location unknown');
      await tell(
        respond,
        noticeMessage({
          tone: 'refused',
          message: `Recorded, but I cannot find the approval request in Slack; ${result.code === 'approved' ? 'the batch runs when recovery next passes' : 'nothing was replayed'}.`,
        }),
      );
      if (result.code === 'approved') startRecovery(services, client, log);
      return;
    }
    const at = result.decidedAt ?? Date.now();
    if (result.code === 'denied') {
      await announceDenial(client, log, where, record, userId, at);
      return;
    }
    try {
      await runApproved(services, { client, where, record, approvedBy: userId, approvedAt: at });
    } catch (err) {
      // The batch stopped mid-way (Redis gone, lease lost): its journal stays unfinished, and
      // recovery finishes it once things answer again, without waiting for a restart.
      startRecovery(services, client, log, RETRY_AFTER_FAILURE_MS, RETRY_AFTER_FAILURE_MS);
      throw err;
    }
  };
}

async function announceDenial(
  client: ButtonArgs['client'],
  log: Logger,
  where: BatchMessage,
  record: ApprovalRecord,
  by: string,
  at: number,
): Promise<void> {
  const { manifest } = record;
  await updateMessage(client, log, where, approvalOutcomeMessage({ manifest, outcome: 'denied', by, at }));
  const withdrawn = by === manifest.requestedBy;
  await tellThread(client, log, where, {
    tone: 'refused',
    mention: manifest.requestedBy,
    message: withdrawn
      ? `Batch ${manifest.batchNumber} of ${manifest.workflow} was withdrawn: nothing was replayed.`
      : `Batch ${manifest.batchNumber} of ${manifest.workflow} was denied by a second approver: nothing was replayed. Sample again or plan a different batch.`,
  });
}

async function showExpired(
  services: HandlerServices,
  client: ButtonArgs['client'],
  log: Logger,
  record: ApprovalRecord,
  by: string,
): Promise<void> {
  const where = await services.batchMessages.find(record.manifest.id);
  if (!where) return;
  const message = approvalOutcomeMessage({
    manifest: record.manifest,
    outcome: 'expired',
    by,
    at: Date.now(),
  });
  await updateMessage(client, log, where, message);
}

/** Where the request was posted; the clicked message when the record is gone (it names the same message). */
async function whereIs(
  services: HandlerServices,
  batchId: string,
  body: ButtonArgs['body'],
): Promise<BatchMessage | undefined> {
  const saved = await services.batchMessages.find(batchId);
  if (saved) return saved;
  const { channelId, threadTs, messageTs } = clickedIn(body);
  if (!channelId || !messageTs) return undefined;
  return { channelId, messageTs, threadTs: threadTs ?? messageTs };
}
