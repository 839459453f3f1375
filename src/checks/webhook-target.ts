import { Agent, request } from 'undici';
import { checkHostAllowed, guardedLookup, refusedAddress } from '../probes/address-guard';
import { describeNetworkError, errorCode } from '../probes/net-errors';
import type { WebhookPayload } from '../workflows/webhooks';
import { createTtlCache } from './cache';
import { withDeadline } from './deadline';
import type { Limiter } from './limit';
import { failed, passed, unknown } from './result';
import type { CheckResult, WorkflowTargetCheck } from './types';

export interface WebhookTargetOptions {
  /** Per-HEAD deadline (connect, headers and body). */
  readonly timeoutMs: number;
  /** WEBHOOK_PROBE_ALLOW_PRIVATE: only the sandbox and tests reach loopback and private ranges. */
  readonly allowPrivate: boolean;
  readonly limit: Limiter;
  readonly cacheTtlMs: number;
}

export type WebhookTarget = Pick<WebhookPayload, 'url'>;

function httpUrl(text: string): URL | undefined {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What a HEAD status says about whether the endpoint exists:
 * - 410 Gone is the server saying the resource was removed for good, whatever
 *   the method: `fail`.
 * - 404 is `unknown`, not `fail`: many webhook receivers route only POST and
 *   answer 404 to any other method on a live endpoint (Express answers
 *   "Cannot HEAD /hook", Rails a routing error). A `fail` blocks the replay, so
 *   it must not hang on a method the endpoint never promised to serve; when the
 *   endpoint really is gone, the jobs' own failure reasons (404 on POST) show it.
 * - 405 means the path is routed but HEAD is not allowed there: it exists, `pass`.
 * - Any other answer below 500 (2xx, a redirect, 401/403 for auth, 429) comes
 *   from something serving that path: `pass`, as the issue defines it.
 * - 5xx is `unknown`: the server is failing now, which says nothing about
 *   whether the endpoint exists (a proxy answers 502 for a dead backend too).
 *   The diagnosis already reports unhealthy endpoints as a replay precondition.
 */
export function judgeHeadStatus(status: number): CheckResult {
  if (status === 410) return failed('endpoint answers 410 Gone');
  if (status === 404)
    return unknown('HEAD 404: the endpoint may be gone, or may route only POST (a HEAD cannot tell)');
  if (status === 405) return passed('HEAD 405: the endpoint exists but does not allow HEAD');
  if (status < 500) return passed(`HEAD ${status}`);
  return unknown(`HEAD ${status}: the server is failing now; cannot tell whether the endpoint exists`);
}

function judgeHeadError(error: unknown, hostname: string): CheckResult {
  // The guarded lookup refused a name that resolves to a private address: nothing was sent.
  const refused = refusedAddress(error);
  if (refused !== undefined) return unknown(`not checked: private address ${refused}`);
  // NXDOMAIN (or no address at all) is an authoritative "no such host"; a resolver
  // that failed to answer is EAI_AGAIN and stays unknown below.
  if (errorCode(error) === 'ENOTFOUND') return failed(`host ${hostname} does not resolve`);
  return unknown(`HEAD failed: ${describeNetworkError(error)}`);
}

/**
 * Webhooks: the URL is http(s), its host resolves, and a HEAD on origin + path
 * answers (see `judgeHeadStatus`). Never a POST or a GET: a check must not
 * trigger a delivery. The query string is left out, so tokens in it are neither
 * sent nor shown, and ten jobs to one endpoint cost one HEAD.
 */
export function createWebhookTargetCheck(options: WebhookTargetOptions): WorkflowTargetCheck<WebhookTarget> {
  const { timeoutMs, allowPrivate, limit, cacheTtlMs } = options;
  // One agent for the checker's life: its pool is reused across the sample. Every name is resolved
  // through the SSRF guard at connect time, so the addresses checked are the ones connected to.
  const agent = new Agent({
    connect: { timeout: timeoutMs, lookup: guardedLookup(allowPrivate) },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  // An endpoint that could not be asked (`unknown`) is asked again next time, not remembered.
  const cache = createTtlCache<CheckResult>(cacheTtlMs, undefined, (r) => r.status !== 'unknown');

  const head = (target: string, hostname: string) =>
    withDeadline(
      timeoutMs,
      async (signal) => {
        const res = await request(target, { method: 'HEAD', dispatcher: agent, signal });
        await res.body.dump();
        return judgeHeadStatus(res.statusCode);
      },
      {
        onTimeout: () => unknown(`HEAD got no answer within ${timeoutMs} ms`),
        onError: (error) => judgeHeadError(error, hostname),
      },
    );

  return {
    check: (payload) => {
      const url = httpUrl(payload.url);
      if (url === undefined) return Promise.resolve(failed('url is not a valid http(s) URL'));
      // `net.connect` skips the lookup for IP literals, so the guard has to see those here,
      // before undici (or DNS) is involved at all.
      const refused = checkHostAllowed(url.hostname, allowPrivate);
      if (refused !== undefined) return Promise.resolve(unknown(`not checked: ${refused}`));
      const target = `${url.origin}${url.pathname}`;
      return cache.get(target, () => limit(() => head(target, url.hostname)));
    },
    close: () => agent.destroy(),
  };
}
