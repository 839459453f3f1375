import type { webApi } from '@slack/bolt';
import { verificationMessage } from '../../blocks/verification';
import type { ApprovalRecord } from '../../src/approvals/approval-types';
import type { BatchMessage } from '../../src/approvals/batch-messages';
import type { Verification } from '../../src/runbook/verify/types';
import { errorMessage } from '../../src/errors';
import type { HandlerServices } from '../../src/services';
import { postChecked } from '../post-message';
import { BOT_ACTOR } from './bot-actor';
import { throttledEditor, updateMessage } from './update-message';

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
  const progress = throttledEditor(client, log, at);
  const audit = (result: string, detail: string) =>
    services.audit({
      session: manifest.sessionId,
      batchId: manifest.id,
      action: 'verify',
      actor: BOT_ACTOR,
      result,
      detail,
    });
  let verification: Awaited<ReturnType<HandlerServices['verifyBatch']>>;
  try {
    verification = await services.verifyBatch(manifest.id, (p) =>
      progress.edit(() => verificationMessage({ manifest, progress: p })),
    );
  } catch (err) {
    // Never left saying "watching": the message says it failed and how to try again, and the audit has it.
    await progress.settled();
    const failure = errorMessage(err);
    await updateMessage(client, log, at, verificationMessage({ manifest, failure }));
    await audit('error', failure);
    throw err;
  }
  await progress.settled();
  if (verification === undefined) return undefined;
  if (verification === 'already-running') {
    await updateMessage(client, log, at, verificationMessage({ manifest, alreadyRunning: true }));
    return undefined;
  }
  await updateMessage(client, log, at, verificationMessage({ manifest, verification }));
  await audit(
    verification.status,
    verification.parts.map((part) => `${part.name} ${part.status}: ${part.summary}`).join('; '),
  );
  log.info({ status: verification.status }, 'batch verification posted');
  return verification;
}
