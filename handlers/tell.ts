import type { RespondFn, webApi } from '@slack/bolt';
import type { BuiltMessage } from '../blocks/diagnosis';
import { noticeMessage, type NoticeView } from '../blocks/notice';
import type { Logger } from '../src/logger';
import { postChecked } from './post-message';

/** An answer only the person who typed or clicked sees; the message they acted on stays as it is. */
export async function tell(respond: RespondFn, message: BuiltMessage): Promise<void> {
  await respond({ response_type: 'ephemeral', replace_original: false, ...message });
}

/** A note in the incident thread (to the requester when `mention` is set): outcomes everyone should see. */
export async function tellThread(
  client: webApi.WebClient,
  log: Logger,
  where: { readonly channelId: string; readonly threadTs: string },
  view: NoticeView,
): Promise<void> {
  await postChecked(client, log, { channel: where.channelId, threadTs: where.threadTs }, noticeMessage(view));
}
