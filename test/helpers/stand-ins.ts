import { sendJson, startLoopback } from './loopback';

/** Loopback stand-ins for the upstreams a diagnosis probes: shared by probe tests and end-to-end tests. */

export interface Fake {
  readonly id: string;
  readonly name: string;
  readonly status: string;
  readonly health?: string;
  readonly restarts?: number;
  readonly startedAt?: string;
}

/** Answers like the Engine API, but returns every container from the list call, as a loose substring filter might. */
export function dockerApi(containers: readonly Fake[], now = Date.now()) {
  return startLoopback((req, res) => {
    const path = req.url.split('?')[0]!;
    if (path === '/containers/json') {
      return sendJson(
        res,
        200,
        containers.map((c) => ({ Id: c.id, Names: [`/${c.name}`], State: c.status })),
      );
    }
    const match = /^\/containers\/([^/]+)\/json$/.exec(path);
    const found = containers.find((c) => c.id === match?.[1]);
    if (!found) return sendJson(res, 404, { message: 'No such container' });
    return sendJson(res, 200, {
      Id: found.id,
      Name: `/${found.name}`,
      RestartCount: found.restarts ?? 0,
      State: {
        Status: found.status,
        StartedAt: found.startedAt ?? new Date(now - 3 * 3_600_000).toISOString(),
        ...(found.health ? { Health: { Status: found.health, FailingStreak: 0, Log: [] } } : {}),
      },
    });
  });
}

export interface WindowData {
  readonly spans: number;
  readonly errors: number;
  readonly p95Ms: number;
}

const aggColumn = (queryName: string, index: number) => ({
  name: `__result_${index}`,
  queryName,
  aggregationIndex: index,
  columnType: 'aggregation',
  signal: 'traces',
  fieldContext: '',
  fieldDataType: '',
  unit: '',
});

/** The v5 scalar answer as SigNoz's querier OpenAPI (`Querybuildertypesv5ScalarData`) describes it. */
export function scalarAnswer(w: WindowData) {
  return {
    status: 'success',
    data: {
      type: 'scalar',
      meta: { rowsScanned: 1200, bytesScanned: 90_000, durationMs: 12, stepIntervals: { A: 60, B: 60 } },
      data: {
        results: [
          {
            queryName: 'A',
            columns: [aggColumn('A', 0), aggColumn('A', 1)],
            data: [[w.spans, w.p95Ms * 1e6]],
          },
          { queryName: 'B', columns: [aggColumn('B', 0)], data: [[w.errors]] },
        ],
      },
    },
  };
}

/** Ops' two containers, both running and healthy (Docker Engine API stand-in). */
export function healthyOpsContainers() {
  return dockerApi([
    { id: 'tasker1', name: 'voiceai-tasker', status: 'running', health: 'healthy' },
    { id: 'scaler1', name: 'voiceai-scaler', status: 'running', health: 'healthy' },
  ]);
}

const FIFTEEN_MINUTES = 15 * 60_000;

/** SigNoz's query API: `current()` for the last-15-minutes window, `baseline` for the hour before. */
export function signozStandIn(current: () => WindowData, baseline: WindowData) {
  return startLoopback((req, res) => {
    const body = JSON.parse(req.body) as { start: number; end: number };
    sendJson(res, 200, scalarAnswer(body.end - body.start <= FIFTEEN_MINUTES ? current() : baseline));
  });
}
