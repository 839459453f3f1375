import type { webApi } from '@slack/bolt';
import { samplesMessage } from '../blocks/samples';
import type { SampleRequest } from '../src/runbook/inspect/types';
import type { HandlerServices } from '../src/services';
import { postChecked } from './post-message';

export interface SampleTarget {
  readonly teamId: string;
  readonly channelId: string;
  readonly userId: string;
  /** The incident thread; without one the samples start their own message. */
  readonly threadTs?: string;
}

/** Sample (the engine records the result in the replay gate) and post it. */
export async function postSamples(
  services: HandlerServices,
  client: webApi.WebClient,
  target: SampleTarget,
  request: SampleRequest,
): Promise<void> {
  const log = services.logger.child({
    channel: target.channelId,
    user: target.userId,
    workflow: request.workflowId,
  });
  const { outcome, gate } = await services.sample(
    { teamId: target.teamId, channelId: target.channelId },
    request,
    target.userId,
  );
  const message = samplesMessage({
    outcome,
    workflowTitle: services.workflowTitle(request.workflowId),
    requestedBy: target.userId,
    gate,
  });
  await postChecked(client, log, { channel: target.channelId, threadTs: target.threadTs }, message);
  const session = await services.sessions.current(target.teamId, target.channelId);
  await services.audit({
    ...(session ? { session: session.id } : {}),
    action: 'sample',
    actor: target.userId,
    result: gate.length > 0 ? 'blocked' : 'clean',
    detail: `${request.workflowId} ${request.state}: ${outcome.jobs.length} job(s) sampled${gate.length > 0 ? `, ${gate.length} block(s) standing` : ''}`,
  });
  log.info({ sample: outcome.id, blocked: gate.length > 0 }, 'samples posted');
}
