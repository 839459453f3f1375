import { z } from 'zod';

/** Slack refused a Web API call for its rate limit; `retryAfterSec` when Slack said how long to wait. */
export interface SlackRateLimit {
  readonly retryAfterSec?: number;
}

/** `rejectRateLimitedCalls`: the client gives up at once with this error. */
const rateLimitedError = z.object({
  code: z.literal('slack_webapi_rate_limited_error'),
  retryAfter: z.number().nonnegative(),
});
/** A 200 with `{ ok: false, error: 'ratelimited' }` (no Retry-After to read). */
const ratelimitedPlatformError = z.object({
  code: z.literal('slack_webapi_platform_error'),
  data: z.object({ error: z.literal('ratelimited') }),
});
/**
 * The default client waits out each 429's Retry-After and retries; when its
 * retries run out it rethrows this plain Error from the last attempt
 * (@slack/web-api 7/8, `WebClient.makeRequest`).
 */
const RETRIES_SPENT = /^A rate limit was exceeded \(url: .*, retry-after: (\d+)\)$/;

function asRateLimit(error: unknown): SlackRateLimit | undefined {
  const coded = rateLimitedError.safeParse(error);
  if (coded.success) return { retryAfterSec: coded.data.retryAfter };
  if (ratelimitedPlatformError.safeParse(error).success) return {};
  if (error instanceof Error) {
    const spent = RETRIES_SPENT.exec(error.message);
    if (spent?.[1]) return { retryAfterSec: Number(spent[1]) };
  }
  return undefined;
}

/** The rate limit behind a failure, looking through Bolt's (`original`) and our (`cause`) wrappers. */
export function slackRateLimitOf(error: unknown): SlackRateLimit | undefined {
  for (let current = error, depth = 0; current && depth < 4; depth++) {
    const found = asRateLimit(current);
    if (found) return found;
    current =
      (current as { original?: unknown; cause?: unknown }).original ?? (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * What the user reads: Slack, not the bot and not their request, is the
 * problem. A command never moves a job, so it changed nothing; a click may
 * have decided (and run) a batch before the post was refused, so it says
 * where that stands instead.
 */
export function rateLimitText(limit: SlackRateLimit, from: 'command' | 'click'): string {
  const wait =
    limit.retryAfterSec === undefined ? 'retry after a few seconds' : `retry after ${limit.retryAfterSec} s`;
  const head = `Slack is rate-limiting the bot right now (${wait}), so my answer could not be posted`;
  return from === 'command'
    ? `${head}; nothing was replayed and no queue was changed. Try again in a moment.`
    : `${head}. What the click decided is recorded, and a replay that ran is journaled (no job moves twice): look at the thread again in a moment.`;
}
