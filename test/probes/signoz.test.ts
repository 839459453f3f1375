import { createSignozProbe } from '../../src/probes/signoz';
import { closedPortUrl, sendJson, startLoopback, type Loopback } from '../helpers/loopback';
import { scalarAnswer, type WindowData } from '../helpers/stand-ins';

const NOW = Date.parse('2030-01-01T12:00:00Z');
const SPLIT = NOW - 15 * 60_000;

interface Sent {
  readonly start: number;
  readonly end: number;
  readonly requestType: string;
  readonly compositeQuery: {
    queries: {
      type: string;
      spec: {
        name: string;
        signal: string;
        filter: { expression: string };
        aggregations: { expression: string }[];
      };
    }[];
  };
}

function signoz(current: WindowData, baseline: WindowData) {
  return startLoopback((req, res) => {
    const body = JSON.parse(req.body) as Sent;
    sendJson(res, 200, scalarAnswer(body.end === NOW ? current : baseline));
  });
}

const probeAt = (url: string, timeoutMs = 2000) =>
  createSignozProbe({
    url,
    apiKey: 'signoz-test-key',
    service: 'ops',
    dashboardUrl: 'https://signoz.example/dashboard/ops',
    timeoutMs,
    now: () => NOW,
  });

const calm: WindowData = { spans: 4000, errors: 12, p95Ms: 120 };

describe('signoz probe', () => {
  let server: Loopback | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('is unknown and names SIGNOZ_URL when not configured', async () => {
    const result = await createSignozProbe({ service: 'ops', timeoutMs: 100 })();
    expect(result).toMatchObject({
      probe: 'signoz',
      status: 'unknown',
      reason: 'not configured: set SIGNOZ_URL',
    });
  });

  it('is ok when errors and latency match the hour before, and asks the v5 scalar API', async () => {
    server = await signoz({ spans: 1000, errors: 3, p95Ms: 130 }, calm);
    const result = await probeAt(`${server.url}/`)();
    expect(result.status).toBe('ok');
    expect(result.reason).toBe("'ops' error rate 0.3% (baseline 0.3%), p95 130 ms (baseline 120 ms)");
    expect(result.latencyMs).toEqual(expect.any(Number));
    expect(result.details).toEqual({
      service: 'ops',
      current: { spans: 1000, errorRate: 0.003, p95Ms: 130 },
      baseline: { spans: 4000, errorRate: 0.003, p95Ms: 120 },
      dashboardUrl: 'https://signoz.example/dashboard/ops',
    });

    expect(server.seen).toHaveLength(2);
    for (const req of server.seen) {
      expect(req.method).toBe('POST');
      expect(req.url).toBe('/api/v5/query_range');
      expect(req.headers['signoz-api-key']).toBe('signoz-test-key');
    }
    const bodies = server.seen.map((r) => JSON.parse(r.body) as Sent).sort((a, b) => a.start - b.start);
    expect(bodies.map((b) => [b.start, b.end])).toEqual([
      [SPLIT - 60 * 60_000, SPLIT],
      [SPLIT, NOW],
    ]);
    const [a, b] = bodies[0]!.compositeQuery.queries;
    expect(bodies[0]!.requestType).toBe('scalar');
    expect(a).toMatchObject({ type: 'builder_query', spec: { name: 'A', signal: 'traces' } });
    expect(a!.spec.filter.expression).toBe("service.name = 'ops'");
    expect(a!.spec.aggregations).toEqual([{ expression: 'count()' }, { expression: 'p95(duration_nano)' }]);
    expect(b!.spec.filter.expression).toBe("service.name = 'ops' AND has_error = true");
    expect(b!.spec.aggregations).toEqual([{ expression: 'count()' }]);
  });

  it('is degraded when the error rate rose well above the baseline', async () => {
    server = await signoz({ spans: 1000, errors: 50, p95Ms: 125 }, calm);
    const result = await probeAt(server.url)();
    expect(result.status).toBe('degraded');
    expect(result.reason).toBe(
      "'ops' error rate up: error rate 5.0% (baseline 0.3%), p95 125 ms (baseline 120 ms)",
    );
  });

  it('is degraded when p95 latency tripled', async () => {
    server = await signoz({ spans: 1000, errors: 3, p95Ms: 400 }, calm);
    const result = await probeAt(server.url)();
    expect(result.status).toBe('degraded');
    expect(result.reason).toContain('p95 latency up');
    expect(result.details?.current.p95Ms).toBe(400);
  });

  it('is down when half the spans fail', async () => {
    server = await signoz({ spans: 200, errors: 120, p95Ms: 90 }, calm);
    const result = await probeAt(server.url)();
    expect(result.status).toBe('down');
    expect(result.reason).toMatch(/^'ops' failing: error rate 60\.0% \(baseline 0\.3%\)/);
  });

  it('is unknown when the answer does not match the v5 scalar shape', async () => {
    server = await startLoopback((_req, res) =>
      sendJson(res, 200, { status: 'success', data: { result: [] } }),
    );
    const result = await probeAt(server.url)();
    expect(result).toMatchObject({
      status: 'unknown',
      reason: 'SigNoz answered an unexpected query_range shape (expected v5 scalar)',
    });
  });

  it('is unknown when SigNoz refuses the key, without echoing it', async () => {
    server = await startLoopback((_req, res) =>
      sendJson(res, 401, { status: 'error', error: { code: 'unauthenticated', message: 'invalid api key' } }),
    );
    const result = await probeAt(server.url)();
    expect(result).toMatchObject({
      status: 'unknown',
      reason: 'SigNoz refused the query (HTTP 401): check SIGNOZ_API_KEY',
    });
    expect(result.reason).not.toContain('signoz-test-key');
  });

  it('is unknown with the server message on a query error', async () => {
    server = await startLoopback((_req, res) =>
      sendJson(res, 400, {
        status: 'error',
        error: { code: 'invalid_input', message: 'unknown field has_error' },
      }),
    );
    const result = await probeAt(server.url)();
    expect(result).toMatchObject({
      status: 'unknown',
      reason: 'SigNoz answered HTTP 400: unknown field has_error',
    });
  });

  it('is unknown when SigNoz cannot be reached', async () => {
    const url = await closedPortUrl();
    const result = await probeAt(url)();
    expect(result).toMatchObject({
      status: 'unknown',
      reason: `cannot reach SigNoz at ${url}: connection refused (ECONNREFUSED)`,
    });
  });

  it('is unknown when SigNoz does not answer in time', async () => {
    server = await startLoopback(() => undefined);
    const result = await probeAt(server.url, 150)();
    expect(result).toMatchObject({
      status: 'unknown',
      reason: `SigNoz at ${server.url} did not answer within 150 ms`,
    });
    expect(result.latencyMs).toBeGreaterThanOrEqual(140);
  });
});
