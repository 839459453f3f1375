import type { RespondFn, webApi } from '@slack/bolt';
import { noticeMessage } from '../../blocks/notice';
import type { HandlerServices } from '../../src/services';
import { endIncident, postNote } from '../replay/end-incident';
import { tell } from '../tell';

export interface ClosingContext {
  readonly teamId: string;
  readonly channelId: string;
  readonly userId: string;
  readonly client: webApi.WebClient;
  readonly respond: RespondFn;
}

/** `/stuckjobs note` and `/stuckjobs done`: both need the channel's open incident. */
export async function runClosing(
  services: HandlerServices,
  context: ClosingContext,
  kind: 'note' | 'done',
): Promise<void> {
  const session = await services.sessions.current(context.teamId, context.channelId);
  if (!session) {
    await services.audit({
      action: kind,
      actor: context.userId,
      result: 'no-incident',
      detail: `refused, no incident open in ${context.channelId}`,
    });
    await tell(
      context.respond,
      noticeMessage({
        tone: 'refused',
        message: 'No incident is open in this channel: `/stuckjobs diagnose` opens one.',
      }),
    );
    return;
  }
  if (kind === 'note') {
    await postNote(services, context.client, session, context.userId);
    return;
  }
  const ended = await endIncident(services, context.client, session, 'done', context.userId);
  if (!ended) {
    await tell(
      context.respond,
      noticeMessage({
        tone: 'info',
        message: 'This incident is already being closed: its note and summary follow in the thread.',
      }),
    );
  }
}
