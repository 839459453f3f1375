import { Agent, request } from 'undici';
import { checkHostAllowed, guardedLookup, refusedAddress } from './address-guard';
import { describeNetworkError } from './net-errors';
import { safeProbe, type ProbeOutcome } from './safe-probe';
import type { EndpointHealth, EndpointsDetails, ProbeResult, ProbeStatus, WebhookTarget } from './types';

export interface WebhookEndpointsProbeOptions {
  /** Per-HEAD deadline. */
  readonly timeoutMs: number;
  /** Only the hosts with the most failing jobs are asked. Default 5. */
  readonly maxHosts?: number;
  /** HEADs in flight at once. Default: all `maxHosts` together. */
  readonly concurrency?: number;
  /**
   * Probe hosts on loopback, RFC 1918, link-local and other private ranges.
   * Default false: the URLs come from tenant payloads, so without this guard a
   * payload could make the bot probe cloud metadata or internal services (SSRF).
   * Only tests against loopback servers should turn it on.
   */
  readonly allowPrivateTargets?: boolean;
}

interface HostGroup {
  readonly host: string;
  jobs: number;
  readonly codes: Map<string, number>;
  /** origin + path (no query, no credentials) -> jobs. */
  readonly urls: Map<string, number>;
}

const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
const mostCommon = (map: ReadonlyMap<string, number>) => [...map].sort((a, b) => b[1] - a[1])[0]![0];

export function groupByHost(targets: readonly WebhookTarget[]): HostGroup[] {
  const groups = new Map<string, HostGroup>();
  for (const target of targets) {
    let url: URL;
    try {
      url = new URL(target.url);
    } catch {
      continue;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') continue;
    const group = groups.get(url.host) ?? { host: url.host, jobs: 0, codes: new Map(), urls: new Map() };
    groups.set(url.host, group);
    group.jobs += 1;
    if (target.failureStatus !== null) bump(group.codes, String(target.failureStatus));
    bump(group.urls, `${url.origin}${url.pathname}`);
  }
  return [...groups.values()].sort((a, b) => b.jobs - a.jobs || a.host.localeCompare(b.host));
}

type HeadAnswer = EndpointHealth['head'];

/** What became of one host: it answered (or failed to), or we refused to ask it. */
type Attempt = { readonly answer: HeadAnswer } | { readonly refused: string; readonly latencyMs?: number };

/** Marks a host we chose not to contact; `unknown`, not `down`: its health is simply not known. */
const notProbed = (reason: string) => `not probed: ${reason}`;

async function head(
  url: string,
  timeoutMs: number,
  dispatcher: Agent,
  parent: AbortSignal,
): Promise<Attempt> {
  const controller = new AbortController();
  const abort = () => controller.abort();
  const timer = setTimeout(abort, timeoutMs).unref();
  parent.addEventListener('abort', abort, { once: true });
  const started = performance.now();
  const took = () => Math.round(performance.now() - started);
  try {
    // HEAD only: never a POST, never a body. A webhook must not be triggered by a health check.
    const res = await request(url, { method: 'HEAD', dispatcher, signal: controller.signal });
    await res.body.dump();
    return { answer: { status: res.statusCode, latencyMs: took() } };
  } catch (error) {
    // The guarded lookup refused the name's addresses: nothing was sent, so this says nothing about the host.
    const refused = refusedAddress(error);
    if (refused !== undefined) return { refused: `private address ${refused}`, latencyMs: took() };
    return {
      answer: {
        error: controller.signal.aborted ? `no answer within ${timeoutMs} ms` : describeNetworkError(error),
        latencyMs: took(),
      },
    };
  } finally {
    clearTimeout(timer);
    parent.removeEventListener('abort', abort);
  }
}

function describeHost(e: EndpointHealth): string {
  const now =
    e.head.status !== undefined ? `HEAD ${e.head.status}` : `HEAD failed: ${e.head.error ?? 'no answer'}`;
  const codes = Object.entries(e.recentStatusCodes).sort((a, b) => b[1] - a[1]);
  const past =
    codes.length > 0
      ? `jobs failed with ${codes.map(([c, n]) => `${c} ×${n}`).join(', ')}`
      : `${e.jobs} failing jobs`;
  return `${e.host}: ${now}; ${past}`;
}

function summarise(endpoints: readonly EndpointHealth[], skipped: number): ProbeOutcome<EndpointsDetails> {
  const details = { endpoints };
  const more = skipped > 0 ? ` (+${skipped} more hosts not checked)` : '';
  // A host is `unknown` only when we refused to contact it (every HEAD that ran is ok or down).
  const refusedHosts = endpoints.filter((e) => e.status === 'unknown').map((e) => e.host);
  const probed = endpoints.filter((e) => e.status !== 'unknown');
  if (probed.length === 0) {
    // Nothing was asked, so nothing is known: neither ok nor down.
    return {
      status: 'unknown',
      reason: `all ${endpoints.length} webhook hosts resolve to private addresses and were not probed: ${refusedHosts.join(', ')}${more}`,
      details,
    };
  }
  // Hosts we refused to contact count neither as up nor as down; they are named so nobody reads "all" as "every host".
  const notAsked =
    refusedHosts.length > 0 ? `; not probed (private address): ${refusedHosts.join(', ')}` : '';
  const down = probed.filter((e) => e.status === 'down');
  if (down.length === 0) {
    const each = probed.map((e) => `${e.host} ${e.head.status ?? '?'}`).join(', ');
    return {
      status: 'ok',
      reason: `all ${probed.length} hosts answer HEAD: ${each}${notAsked}${more}`,
      details,
    };
  }
  const status: ProbeStatus = down.length === probed.length ? 'down' : 'degraded';
  const worst = down.slice(0, 3).map(describeHost).join(' | ');
  const rest = down.length > 3 ? ` | +${down.length - 3} more down` : '';
  return {
    status,
    reason: `${down.length} of ${probed.length} hosts down: ${worst}${rest}${notAsked}${more}`,
    details,
  };
}

/**
 * Are the tenants' webhook endpoints answering now? One HEAD per host (the hosts
 * with the most failing jobs first); an answer below 500 means the host is up.
 * Hosts that are, or resolve to, private addresses are not contacted unless
 * `allowPrivateTargets` is set: they come back `unknown` ("not probed").
 */
export function createWebhookEndpointsProbe(
  options: WebhookEndpointsProbeOptions,
): (targets: readonly WebhookTarget[]) => Promise<ProbeResult<EndpointsDetails>> {
  const { timeoutMs, maxHosts = 5, allowPrivateTargets = false } = options;
  return async (targets) => {
    const groups = groupByHost(targets);
    const chosen = groups.slice(0, Math.max(0, maxHosts));
    if (chosen.length === 0 && targets.length > 0) {
      const reason = `none of the ${targets.length} failing webhook targets has an http(s) URL to check`;
      return {
        probe: 'webhook-endpoints',
        status: 'unknown',
        reason,
        latencyMs: 0,
        details: { endpoints: [] },
      };
    }
    if (chosen.length === 0) {
      return {
        probe: 'webhook-endpoints',
        status: 'ok',
        reason: 'no failing webhook targets in the sample',
        latencyMs: 0,
        details: { endpoints: [] },
      };
    }
    const concurrency = Math.max(1, options.concurrency ?? chosen.length);
    const waves = Math.ceil(chosen.length / concurrency);
    const deadline = {
      timeoutMs: timeoutMs * waves + 500,
      onTimeout: 'unknown' as const,
      subject: 'webhook endpoints',
    };
    return safeProbe('webhook-endpoints', deadline, async (signal) => {
      // Every name is resolved through the guard at connect time (undici hands `lookup` to
      // net/tls.connect). IP literals never reach a lookup, so `checkHostAllowed` covers those below.
      const dispatcher = new Agent({
        connect: { timeout: timeoutMs, lookup: guardedLookup(allowPrivateTargets) },
      });
      const endpoints: EndpointHealth[] = new Array<EndpointHealth>(chosen.length);
      let next = 0;
      const worker = async () => {
        for (let i = next++; i < chosen.length; i = next++) {
          const group = chosen[i]!;
          const url = mostCommon(group.urls);
          const literal = checkHostAllowed(new URL(url).hostname, allowPrivateTargets);
          const attempt: Attempt =
            literal !== undefined ? { refused: literal } : await head(url, timeoutMs, dispatcher, signal);
          const base = {
            host: group.host,
            jobs: group.jobs,
            recentStatusCodes: Object.fromEntries(group.codes),
          };
          if ('refused' in attempt) {
            const error = notProbed(attempt.refused);
            const headResult =
              attempt.latencyMs === undefined ? { error } : { error, latencyMs: attempt.latencyMs };
            endpoints[i] = { ...base, head: headResult, status: 'unknown' };
            continue;
          }
          const up = attempt.answer.status !== undefined && attempt.answer.status < 500;
          endpoints[i] = { ...base, head: attempt.answer, status: up ? 'ok' : 'down' };
        }
      };
      try {
        await Promise.all(Array.from({ length: Math.min(concurrency, chosen.length) }, worker));
      } finally {
        await dispatcher.destroy().catch(() => undefined);
      }
      return summarise(endpoints, groups.length - chosen.length);
    });
  };
}
