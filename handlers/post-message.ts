import type { webApi } from '@slack/bolt';
import { findBlockKitViolations } from '../blocks/limits';
import type { BuiltMessage } from '../blocks/diagnosis';
import { CodedError, ErrorCode } from '../src/errors';
import type { Logger } from '../src/logger';

/**
 * Posts a built message, checked against Slack's limits first: a builder bug
 * must not cost the operator the answer, so a message that breaks them goes
 * out as its fallback text alone.
 */
export async function postChecked(
  client: webApi.WebClient,
  log: Logger,
  target: {
    readonly channel: string;
    readonly threadTs?: string;
    /** A thread reply also shown in the channel (the incident summary). */
    readonly broadcast?: boolean;
  },
  message: BuiltMessage,
): Promise<string> {
  const problems = findBlockKitViolations(message);
  if (problems.length > 0) log.error({ problems }, 'blocks broke Slack limits; posting text only');
  const base = {
    channel: target.channel,
    text: message.text,
    ...(problems.length === 0 ? { blocks: message.blocks } : {}),
    unfurl_links: false,
    unfurl_media: false,
  };
  const posted = await client.chat.postMessage(
    target.threadTs
      ? { ...base, thread_ts: target.threadTs, reply_broadcast: target.broadcast ?? false }
      : base,
  );
  if (!posted.ts) throw new CodedError(ErrorCode.UpstreamFailed, 'chat.postMessage returned no ts');
  return posted.ts;
}
