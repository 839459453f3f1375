import { z } from 'zod';
import type { JobSummary } from '../../queues/types';
import { isGivenUp } from '../../queues/estimates';
import { maskFreeText } from '../../redaction';
import type { CohortCount, CohortSummary } from './types';

/** Largest groups shown per dimension. */
const TOP = 5;

const carrier = z.object({ tenantId: z.string().optional(), url: z.string().optional() }).loose();

/**
 * Failure reasons grouped so that one cause is one line: the HTTP status when
 * the reason names one, otherwise the first line with numbers and ids folded.
 */
export function normaliseReason(reason: string | undefined): string {
  if (!reason) return '(no reason)';
  const status = /\bHTTP (\d{3})\b/.exec(reason)?.[1];
  if (status) return `HTTP ${status}`;
  // Masked before digits are folded: `#` inside a token would end the token's pattern early.
  const firstLine = maskFreeText(reason.split('\n', 1)[0] ?? '');
  return firstLine
    .replace(/https?:\/\/\S+/g, '<url>')
    .replace(/\b[0-9a-f]{8,}\b/gi, '#')
    .replace(/\d+/g, '#')
    .trim()
    .slice(0, 80);
}

function hostOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).host;
  } catch {
    return '(invalid url)';
  }
}

function top(counts: Map<string, number>): CohortCount[] {
  return [...counts.entries()]
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1))
    .slice(0, TOP)
    .map(([key, count]) => ({ key, count }));
}

/** Counts by handler, tenant, reason and host over the given-up jobs of a bounded window. */
export function summariseCohorts(
  failedWindow: readonly JobSummary[],
  stateCount: number,
  windowSize: number,
): CohortSummary {
  const byHandler = new Map<string, number>();
  const byTenant = new Map<string, number>();
  const byReason = new Map<string, number>();
  const byHost = new Map<string, number>();
  const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
  let givenUp = 0;
  for (const job of failedWindow) {
    if (!isGivenUp(job)) continue;
    givenUp++;
    const data = carrier.safeParse(job.data);
    bump(byHandler, job.name || '(no name)');
    bump(byTenant, (data.success ? data.data.tenantId : undefined) ?? '(no tenant)');
    bump(byReason, normaliseReason(job.failedReason));
    const host = hostOf(data.success ? data.data.url : undefined);
    if (host) bump(byHost, host);
  }
  return {
    givenUpInWindow: givenUp,
    windowSize,
    capped: stateCount > failedWindow.length,
    byHandler: top(byHandler),
    byTenant: top(byTenant),
    byReason: top(byReason),
    byHost: top(byHost),
  };
}
