import type { App } from '@slack/bolt';
import { z } from 'zod';
import { errorMessageBlocks } from '../blocks/usage';
import { maskFreeText } from '../src/redaction';
import { asCodedError, ErrorCode, newCorrelationId } from '../src/errors';
import type { Logger } from '../src/logger';
import { rateLimitText, slackRateLimitOf } from './slack-rate-limit';

/** Bolt does not export this type from its root; the last `app.error` overload takes it. */
type ExtendedErrorHandlerArgs = Parameters<Extract<Parameters<App['error']>[0], (args: never) => unknown>>[0];

/** Where to answer: commands and clicks both carry these, in different places. */
const commandBody = z.object({
  channel_id: z.string(),
  user_id: z.string(),
  response_url: z.url().optional(),
});
const actionBody = z.object({
  channel: z.object({ id: z.string() }),
  user: z.object({ id: z.string() }),
  response_url: z.url().optional(),
});

interface Target {
  readonly from: 'command' | 'click';
  readonly channel: string;
  readonly user: string;
  readonly responseUrl?: string;
}

function whereToAnswer(body: unknown): Target | undefined {
  const command = commandBody.safeParse(body);
  if (command.success) {
    return {
      from: 'command',
      channel: command.data.channel_id,
      user: command.data.user_id,
      responseUrl: command.data.response_url,
    };
  }
  const action = actionBody.safeParse(body);
  if (action.success) {
    return {
      from: 'click',
      channel: action.data.channel.id,
      user: action.data.user.id,
      responseUrl: action.data.response_url,
    };
  }
  return undefined;
}

/** Slack's Web API errors that the user can fix, and how. */
const SLACK_ERRORS: Readonly<Record<string, string>> = {
  not_in_channel:
    "I'm not in this channel, so I can't post the diagnosis here. Invite me with `/invite @stuckjobs`, then try again.",
  channel_not_found:
    "I can't see this channel. Invite me with `/invite @stuckjobs`, or run the command in a channel I'm in.",
  is_archived: 'This channel is archived; run the command in the incident channel.',
};

const slackPlatformError = z.object({
  code: z.literal('slack_webapi_platform_error'),
  data: z.object({ error: z.string() }),
});

/** The Slack error code behind a failure, looking through Bolt's and our wrappers. */
function slackErrorOf(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && depth < 3; depth++) {
    const parsed = slackPlatformError.safeParse(current);
    if (parsed.success) return parsed.data.data.error;
    current =
      (current as { original?: unknown; cause?: unknown }).original ?? (current as { cause?: unknown }).cause;
  }
  return undefined;
}

const HUMAN_TEXT: Partial<Record<ErrorCode, string>> = {
  [ErrorCode.UpstreamFailed]: 'An upstream system failed while I was working on that.',
  [ErrorCode.Timeout]: 'Something did not answer in time.',
};

/** A response_url that has not answered in this long will not: the user is told nothing either way. */
export const RESPONSE_URL_TIMEOUT_MS = 10_000;

export interface ErrorHandlerOptions {
  /** Per answer posted to a response_url (tests shorten it). */
  readonly responseUrlTimeoutMs?: number;
}

/**
 * The one place errors end up: known codes get their text, anything else gets
 * a correlation id that is both in the log line and in the reply. Needs the
 * App built with `extendedErrorHandler: true` so the body reaches us.
 */
export function registerErrorHandler(app: App, logger: Logger, options: ErrorHandlerOptions = {}): void {
  const timeoutMs = options.responseUrlTimeoutMs ?? RESPONSE_URL_TIMEOUT_MS;
  app.error(async ({ error, body }: ExtendedErrorHandlerArgs) => {
    const coded = asCodedError(error);
    const correlationId = newCorrelationId();
    const target = whereToAnswer(body);
    const slackError = slackErrorOf(error);
    // Slack's limit, not a bug of ours: worth a warning, and an answer that says so.
    const rateLimit = slackRateLimitOf(error);
    const level = coded.code === ErrorCode.UsageInvalid ? 'info' : rateLimit ? 'warn' : 'error';
    logger[level](
      {
        err: coded.cause ?? coded,
        code: coded.code,
        slackError,
        ...(rateLimit ? { rateLimited: true, retryAfterSec: rateLimit.retryAfterSec } : {}),
        correlationId,
        user: target?.user,
        channel: target?.channel,
      },
      'listener failed',
    );
    if (!target) return;
    // A usage error is the user's to fix and says how; it needs no error id.
    const message =
      coded.code === ErrorCode.UsageInvalid
        ? // Usage errors quote what was typed, which may be a pasted key.
          errorMessageBlocks({ message: maskFreeText(coded.message) })
        : errorMessageBlocks({
            message:
              (rateLimit ? rateLimitText(rateLimit, target.from) : undefined) ??
              (slackError ? SLACK_ERRORS[slackError] : undefined) ??
              HUMAN_TEXT[coded.code] ??
              'Something went wrong on my side.',
            correlationId,
          });
    try {
      // response_url works even where the bot cannot post, which is often why we are here.
      if (target.responseUrl) await postToResponseUrl(target.responseUrl, message, timeoutMs);
      else await app.client.chat.postEphemeral({ channel: target.channel, user: target.user, ...message });
    } catch (postError) {
      logger.error(
        { err: postError, correlationId, via: target.responseUrl ? 'response_url' : 'chat.postEphemeral' },
        'could not tell the user about the failure',
      );
    }
  });
}

/** Bounded: fetch has no timeout of its own, and an error handler that hangs helps nobody. */
async function postToResponseUrl(
  url: string,
  message: { text: string; blocks: unknown[] },
  timeoutMs: number,
): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ response_type: 'ephemeral', replace_original: false, ...message }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    // A DOMException, which is not always `instanceof Error` (another realm): told by its name.
    if (typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'TimeoutError') {
      throw new Error(`response_url did not answer within ${timeoutMs} ms`, { cause: err });
    }
    throw err;
  }
  // The body is not needed: released so the connection does not wait for it.
  await res.body?.cancel().catch(() => undefined);
  if (!res.ok) throw new Error(`response_url answered HTTP ${res.status}`);
}
