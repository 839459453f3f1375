import type { RespondFn, webApi } from '@slack/bolt';
import { noticeMessage } from '../../blocks/notice';
import type { HandlerServices } from '../../src/services';
import type { WorkflowId } from '../../src/workflows/types';
import { endIfBacklogCleared } from '../replay/end-incident';
import { postVerification } from '../replay/verify-batch';
import { tell } from '../tell';

export interface VerifyContext {
  readonly teamId: string;
  readonly channelId: string;
  readonly client: webApi.WebClient;
  readonly respond: RespondFn;
}

/** `/stuckjobs verify <workflow>`: verify the incident's latest batch of a workflow again. */
export async function runVerify(
  services: HandlerServices,
  context: VerifyContext,
  workflow: WorkflowId,
): Promise<void> {
  const session = await services.sessions.current(context.teamId, context.channelId);
  const ran = session
    ? (await services.batchesOf(session.id, workflow)).filter((b) => b.state === 'done')
    : [];
  const latest = ran.at(-1);
  if (!session || !latest) {
    await tell(
      context.respond,
      noticeMessage({
        tone: 'refused',
        message: `No ${workflow} batch has run in this incident yet: plan one with \`/stuckjobs replay ${workflow}\`.`,
      }),
    );
    return;
  }
  const where = (await services.batchMessages.find(latest.manifest.id)) ?? {
    channelId: session.channelId,
    threadTs: session.threadTs,
  };
  const verification = await postVerification(services, context.client, where, latest);
  if (verification?.status === 'verified') {
    await endIfBacklogCleared(services, context.client, context.teamId, context.channelId, session.id);
  }
}
