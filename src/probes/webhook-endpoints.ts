import { Agent, request } from 'undici';
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

async function head(url: string, timeoutMs: number, dispatcher: Agent, parent: AbortSignal) {
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
    return { status: res.statusCode, latencyMs: took() };
  } catch (error) {
    return {
      error: controller.signal.aborted ? `no answer within ${timeoutMs} ms` : describeNetworkError(error),
      latencyMs: took(),
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
  const down = endpoints.filter((e) => e.status === 'down');
  if (down.length === 0) {
    const each = endpoints.map((e) => `${e.host} ${e.head.status ?? '?'}`).join(', ');
    return { status: 'ok', reason: `all ${endpoints.length} hosts answer HEAD: ${each}${more}`, details };
  }
  const status: ProbeStatus = down.length === endpoints.length ? 'down' : 'degraded';
  const worst = down.slice(0, 3).map(describeHost).join(' | ');
  const rest = down.length > 3 ? ` | +${down.length - 3} more down` : '';
  return {
    status,
    reason: `${down.length} of ${endpoints.length} hosts down: ${worst}${rest}${more}`,
    details,
  };
}

/**
 * Are the tenants' webhook endpoints answering now? One HEAD per host (the hosts
 * with the most failing jobs first); an answer below 500 means the host is up.
 */
export function createWebhookEndpointsProbe(
  options: WebhookEndpointsProbeOptions,
): (targets: readonly WebhookTarget[]) => Promise<ProbeResult<EndpointsDetails>> {
  const { timeoutMs, maxHosts = 5 } = options;
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
      const dispatcher = new Agent({ connect: { timeout: timeoutMs } });
      const endpoints: EndpointHealth[] = new Array<EndpointHealth>(chosen.length);
      let next = 0;
      const worker = async () => {
        for (let i = next++; i < chosen.length; i = next++) {
          const group = chosen[i]!;
          const answer = await head(mostCommon(group.urls), timeoutMs, dispatcher, signal);
          const up = answer.status !== undefined && answer.status < 500;
          endpoints[i] = {
            host: group.host,
            jobs: group.jobs,
            recentStatusCodes: Object.fromEntries(group.codes),
            head: answer,
            status: up ? 'ok' : 'down',
          };
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
