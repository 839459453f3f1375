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
  target: { readonly channel: string; readonly threadTs?: string },
  message: BuiltMessage,
): Promise<string> {
  const problems = findBlockKitViolations(message);
  if (problems.length > 0) log.error({ problems }, 'blocks broke Slack limits; posting text only');
  const posted = await client.chat.postMessage({
    channel: target.channel,
    text: message.text,
    ...(problems.length === 0 ? { blocks: message.blocks } : {}),
    ...(target.threadTs ? { thread_ts: target.threadTs } : {}),
    unfurl_links: false,
    unfurl_media: false,
  });
  if (!posted.ts) throw new CodedError(ErrorCode.UpstreamFailed, 'chat.postMessage returned no ts');
  return posted.ts;
}
