import { scalarAnswer, type DemoWindow } from '../../src/sandbox/demo/stand-ins';
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

/** One SigNoz window's spans, errors and p95: the demo world's stand-in answers in the same shape. */
export type WindowData = DemoWindow;
export { scalarAnswer };

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
