import type { App } from '@slack/bolt';
import type { ExtendedErrorHandlerArgs } from '@slack/bolt/dist/App';
import { z } from 'zod';
import { errorMessageBlocks } from '../blocks/usage';
import { asCodedError, ErrorCode, newCorrelationId } from '../src/errors';
import type { Logger } from '../src/logger';

/** Where to answer: a slash command or a click both carry a channel and a user, in different places. */
const commandBody = z.object({ channel_id: z.string(), user_id: z.string() });
const actionBody = z.object({ channel: z.object({ id: z.string() }), user: z.object({ id: z.string() }) });

function whereToAnswer(body: unknown): { channel: string; user: string } | undefined {
  const command = commandBody.safeParse(body);
  if (command.success) return { channel: command.data.channel_id, user: command.data.user_id };
  const action = actionBody.safeParse(body);
  if (action.success) return { channel: action.data.channel.id, user: action.data.user.id };
  return undefined;
}

const HUMAN_TEXT: Partial<Record<ErrorCode, string>> = {
  [ErrorCode.UpstreamFailed]: 'An upstream system failed while I was working on that.',
  [ErrorCode.Timeout]: 'Something did not answer in time.',
};

/**
 * The one place errors end up: known codes get their text, anything else gets
 * a correlation id that is both in the log line and in the reply. Needs the
 * App built with `extendedErrorHandler: true` so the body reaches us.
 */
export function registerErrorHandler(app: App, logger: Logger): void {
  app.error(async ({ error, body }: ExtendedErrorHandlerArgs) => {
    const coded = asCodedError(error);
    const correlationId = newCorrelationId();
    logger.error({ err: coded.cause ?? coded, code: coded.code, correlationId }, 'listener failed');
    const target = whereToAnswer(body);
    if (!target) return;
    const known = HUMAN_TEXT[coded.code];
    const message = errorMessageBlocks({
      message: known ?? 'Something went wrong on my side; nothing was changed.',
      correlationId,
    });
    try {
      await app.client.chat.postEphemeral({ channel: target.channel, user: target.user, ...message });
    } catch (postError) {
      logger.error({ err: postError, correlationId }, 'could not tell the user about the failure');
    }
  });
}
