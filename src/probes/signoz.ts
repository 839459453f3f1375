import { Agent, request } from 'undici';
import { z } from 'zod';
import { errorMessage } from '../errors';
import { describeNetworkError, errorCode, oneLine } from './net-errors';
import { notConfigured, safeProbe, type ProbeOutcome } from './safe-probe';
import type { ErrorRateWindow, ProbeResult, SignozDetails } from './types';

export interface SignozProbeOptions {
  readonly url?: string;
  readonly apiKey?: string;
  readonly service: string;
  readonly dashboardUrl?: string;
  readonly timeoutMs: number;
  readonly now?: () => number;
}

export const CURRENT_WINDOW_MS = 15 * 60_000;
export const BASELINE_WINDOW_MS = 60 * 60_000;
/** Below this many spans in a window a rate is noise: we say so instead of judging. */
export const MIN_SPANS = 20;
export const DOWN_ERROR_RATE = 0.5;
/** Degraded when the error rate is above both `baseline × 2` and `baseline + 1 point`. */
export const ERROR_RATE_FACTOR = 2;
export const ERROR_RATE_MIN_RISE = 0.01;
export const P95_FACTOR = 3;

/**
 * v5 scalar answer (SigNoz querier OpenAPI, `Querybuildertypesv5ScalarData`): rows are positional
 * arrays aligned with `columns`; aggregation columns carry `aggregationIndex` and are named `__result_<i>`.
 */
const columnSchema = z.object({
  name: z.string(),
  queryName: z.string().optional(),
  columnType: z.string().optional(),
  aggregationIndex: z.number().int().optional(),
});
const resultSchema = z.object({
  queryName: z.string(),
  columns: z.array(columnSchema).nullish(),
  data: z.array(z.array(z.unknown())).nullish(),
});
const responseSchema = z.object({
  status: z.literal('success'),
  data: z.object({ data: z.object({ results: z.array(resultSchema).nullish() }) }),
});
const errorSchema = z.object({ error: z.object({ message: z.string() }) });
type ScalarResult = z.infer<typeof resultSchema>;

/** Two builder queries per window: A = all spans (count, p95), B = error spans (count). */
export function windowQuery(service: string, start: number, end: number): unknown {
  const byService = `service.name = '${service.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  const query = (name: string, filter: string, aggregations: readonly string[]) => ({
    type: 'builder_query',
    spec: {
      name,
      signal: 'traces',
      filter: { expression: filter },
      aggregations: aggregations.map((expression) => ({ expression })),
    },
  });
  return {
    schemaVersion: 'v1',
    start,
    end,
    requestType: 'scalar',
    compositeQuery: {
      queries: [
        query('A', byService, ['count()', 'p95(duration_nano)']),
        query('B', `${byService} AND has_error = true`, ['count()']),
      ],
    },
  };
}

function aggregate(results: readonly ScalarResult[], queryName: string, index: number): number | null {
  const result = results.find((r) => r.queryName === queryName);
  const columns = result?.columns ?? [];
  let col = columns.findIndex((c) => c.columnType === 'aggregation' && c.aggregationIndex === index);
  if (col < 0) col = columns.findIndex((c) => c.name === `__result_${index}`);
  const raw = col < 0 ? undefined : result?.data?.[0]?.[col];
  const value = typeof raw === 'string' ? Number(raw) : raw;
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

class BadAnswer extends Error {}

export function createSignozProbe(options: SignozProbeOptions): () => Promise<ProbeResult<SignozDetails>> {
  const { url, apiKey, service, dashboardUrl, timeoutMs, now = Date.now } = options;
  return async () => {
    if (url === undefined) return notConfigured('signoz', 'SIGNOZ_URL');
    const subject = `SigNoz at ${url}`;
    return safeProbe('signoz', { timeoutMs, onTimeout: 'unknown', subject }, async (signal) => {
      const dispatcher = new Agent();
      const endpoint = `${url.replace(/\/+$/, '')}/api/v5/query_range`;
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (apiKey !== undefined) headers['signoz-api-key'] = apiKey;

      const ask = async (start: number, end: number): Promise<ErrorRateWindow> => {
        const body = JSON.stringify(windowQuery(service, start, end));
        const res = await request(endpoint, { method: 'POST', headers, body, dispatcher, signal });
        const text = await res.body.text();
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          throw new BadAnswer(`SigNoz answered HTTP ${res.statusCode} with no JSON`);
        }
        if (res.statusCode === 401 || res.statusCode === 403) {
          throw new BadAnswer(`SigNoz refused the query (HTTP ${res.statusCode}): check SIGNOZ_API_KEY`);
        }
        if (res.statusCode !== 200) {
          const err = errorSchema.safeParse(json);
          throw new BadAnswer(
            `SigNoz answered HTTP ${res.statusCode}${err.success ? `: ${err.data.error.message}` : ''}`,
          );
        }
        const parsed = responseSchema.safeParse(json);
        if (!parsed.success)
          throw new BadAnswer('SigNoz answered an unexpected query_range shape (expected v5 scalar)');
        const results = parsed.data.data.data.results ?? [];
        const spans = aggregate(results, 'A', 0) ?? 0;
        const errors = aggregate(results, 'B', 0) ?? 0;
        const p95Nanos = aggregate(results, 'A', 1);
        return {
          spans,
          errorRate: spans > 0 ? Math.min(1, errors / spans) : null,
          p95Ms: spans > 0 && p95Nanos !== null ? p95Nanos / 1e6 : null,
        };
      };

      try {
        const end = now();
        const split = end - CURRENT_WINDOW_MS;
        const [current, baseline] = await Promise.all([
          ask(split, end),
          ask(split - BASELINE_WINDOW_MS, split),
        ]);
        const details: SignozDetails = {
          service,
          current,
          baseline,
          ...(dashboardUrl ? { dashboardUrl } : {}),
        };
        return { ...judge(service, current, baseline), details };
      } catch (error) {
        if (signal.aborted) throw error;
        if (error instanceof BadAnswer) return { status: 'unknown', reason: error.message };
        const what =
          errorCode(error) === undefined ? oneLine(errorMessage(error)) : describeNetworkError(error);
        return { status: 'unknown', reason: `cannot reach ${subject}: ${what}` };
      } finally {
        await dispatcher.destroy().catch(() => undefined);
      }
    });
  };
}

const pct = (rate: number | null) => (rate === null ? 'n/a' : `${(rate * 100).toFixed(1)}%`);
const ms = (value: number | null) => (value === null ? 'n/a' : `${Math.round(value)} ms`);

export function judge(
  service: string,
  current: ErrorRateWindow,
  baseline: ErrorRateWindow,
): Omit<ProbeOutcome<SignozDetails>, 'details'> {
  if (current.spans === 0 && baseline.spans === 0) {
    return {
      status: 'unknown',
      reason: `no spans from service '${service}' in 75 minutes: check SIGNOZ_SERVICE`,
    };
  }
  if (current.spans === 0) {
    return {
      status: 'degraded',
      reason: `no spans from '${service}' in the last 15 minutes (${baseline.spans} in the hour before)`,
    };
  }
  if (current.spans < MIN_SPANS || current.errorRate === null) {
    return {
      status: 'unknown',
      reason: `only ${current.spans} spans from '${service}' in 15 minutes: too few to judge`,
    };
  }
  const rate = current.errorRate;
  const trusted = baseline.spans >= MIN_SPANS;
  const base = trusted ? (baseline.errorRate ?? 0) : 0;
  const summary = `error rate ${pct(rate)} (baseline ${pct(trusted ? base : null)}), p95 ${ms(current.p95Ms)} (baseline ${ms(trusted ? baseline.p95Ms : null)})`;
  if (rate >= DOWN_ERROR_RATE) return { status: 'down', reason: `'${service}' failing: ${summary}` };
  const findings: string[] = [];
  if (rate > base * ERROR_RATE_FACTOR && rate - base > ERROR_RATE_MIN_RISE) findings.push('error rate up');
  const p95Base = trusted ? baseline.p95Ms : null;
  if (current.p95Ms !== null && p95Base !== null && p95Base > 0 && current.p95Ms > p95Base * P95_FACTOR) {
    findings.push('p95 latency up');
  }
  if (findings.length > 0)
    return { status: 'degraded', reason: `'${service}' ${findings.join(' and ')}: ${summary}` };
  return { status: 'ok', reason: `'${service}' ${summary}` };
}
