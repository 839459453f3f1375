import type { webApi } from '@slack/bolt';
import { verificationMessage } from '../../blocks/verification';
import type { ApprovalRecord } from '../../src/approvals/approval-types';
import type { BatchMessage } from '../../src/approvals/batch-messages';
import type { Verification } from '../../src/runbook/verify/types';
import type { HandlerServices } from '../../src/services';
import { postChecked } from '../post-message';
import { BOT_ACTOR } from './bot-actor';
import { PROGRESS_EDIT_MS, updateMessage } from './update-message';

/**
 * Runbook step 4 in the thread: one message, edited while the bot watches,
 * then the verdict; audited. The ladder reads the stored result.
 */
export async function postVerification(
  services: HandlerServices,
  client: webApi.WebClient,
  where: Pick<BatchMessage, 'channelId' | 'threadTs'>,
  record: ApprovalRecord,
): Promise<Verification | undefined> {
  const { manifest } = record;
  const log = services.logger.child({ batchId: manifest.id, workflow: manifest.workflow });
  const ts = await postChecked(
    client,
    log,
    { channel: where.channelId, threadTs: where.threadTs },
    verificationMessage({ manifest }),
  );
  const at = { channelId: where.channelId, messageTs: ts };
  let lastEdit = Date.now();
  let edits: Promise<void> = Promise.resolve();
  const verification = await services.verifyBatch(manifest.id, (progress) => {
    if (Date.now() - lastEdit < PROGRESS_EDIT_MS) return;
    lastEdit = Date.now();
    edits = edits.then(() => updateMessage(client, log, at, verificationMessage({ manifest, progress })));
  });
  await edits;
  if (!verification) return undefined;
  await updateMessage(client, log, at, verificationMessage({ manifest, verification }));
  await services.audit({
    session: manifest.sessionId,
    batchId: manifest.id,
    action: 'verify',
    actor: BOT_ACTOR,
    result: verification.status,
    detail: verification.parts.map((part) => `${part.name} ${part.status}: ${part.summary}`).join('; '),
  });
  log.info({ status: verification.status }, 'batch verification posted');
  return verification;
}
