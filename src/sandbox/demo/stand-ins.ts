import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from '../http-io';
import { listen, type Listening } from './listen';

/**
 * Loopback stand-ins for the demo world's upstreams: the tenants' webhook
 * endpoints, SigNoz's query API and the Docker Engine API. Each listens on a
 * free port on 127.0.0.1 and answers like a healthy-now incident aftermath.
 */

export type DemoTenant = 'acme' | 'globex';

/** `acme`'s endpoint is healthy again; `globex`'s still fails. */
const TENANT_STATUS: Readonly<Record<DemoTenant, number>> = { acme: 200, globex: 503 };

export interface SeenDelivery {
  readonly method: string;
  readonly tenant: string;
  readonly body: string;
}

export interface DemoStandIns {
  tenantUrl(tenant: DemoTenant): string;
  readonly signozUrl: string;
  readonly dockerUrl: string;
  /** Every request the tenant endpoint server answered, oldest first. */
  readonly tenantRequests: readonly SeenDelivery[];
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

/** The text stand-ins read their bodies as UTF-8. */
const textListen = (handler: Handler, port = 0): Promise<Listening> =>
  listen((req, body, res) => handler(req, body.toString('utf8'), res), port);

/** The preferred port if it is free, else any: a restarted demo keeps its tenants' address when it can. */
async function listenPreferring(handler: Handler, port: number | undefined): Promise<Listening> {
  if (port === undefined) return textListen(handler);
  try {
    return await textListen(handler, port);
  } catch {
    return textListen(handler);
  }
}

const TENANT_PATH = /^\/tenants\/([^/]+)\/webhooks$/;

function tenantHandler(seen: SeenDelivery[]): Handler {
  return (req, body, res) => {
    const tenant = TENANT_PATH.exec((req.url ?? '').split('?')[0] ?? '')?.[1];
    const status = tenant === 'acme' || tenant === 'globex' ? TENANT_STATUS[tenant] : 404;
    const method = req.method ?? '';
    if (tenant) seen.push({ method, tenant, body });
    if (status === 404 || (method !== 'HEAD' && method !== 'POST')) {
      res.writeHead(status === 404 ? 404 : 405);
      res.end();
      return;
    }
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(method === 'HEAD' ? undefined : JSON.stringify({ ok: status < 300 }));
  };
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

export interface DemoWindow {
  readonly spans: number;
  readonly errors: number;
  readonly p95Ms: number;
}

/** The demo's traces: steady traffic, few errors, in every window. */
export const DEMO_WINDOW: DemoWindow = { spans: 1200, errors: 2, p95Ms: 180 };

/** The v5 scalar answer as SigNoz's querier OpenAPI (`Querybuildertypesv5ScalarData`) describes it. */
export function scalarAnswer(w: DemoWindow) {
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

const signozHandler: Handler = (req, _body, res) => {
  if (req.method !== 'POST' || !(req.url ?? '').startsWith('/api/v5/query_range')) {
    return sendJson(res, 404, { status: 'error', error: { message: 'not found' } });
  }
  sendJson(res, 200, scalarAnswer(DEMO_WINDOW));
};

const CONTAINERS = [
  { id: 'demo-tasker', name: 'voiceai-tasker' },
  { id: 'demo-scaler', name: 'voiceai-scaler' },
] as const;

function dockerHandler(startedAt: string): Handler {
  return (req, _body, res) => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    if (path === '/containers/json') {
      return sendJson(
        res,
        200,
        CONTAINERS.map((c) => ({ Id: c.id, Names: [`/${c.name}`], State: 'running' })),
      );
    }
    const id = /^\/containers\/([^/]+)\/json$/.exec(path)?.[1];
    const found = CONTAINERS.find((c) => c.id === id || c.name === id);
    if (!found) return sendJson(res, 404, { message: 'No such container' });
    sendJson(res, 200, {
      Id: found.id,
      Name: `/${found.name}`,
      RestartCount: 0,
      State: {
        Status: 'running',
        StartedAt: startedAt,
        Health: { Status: 'healthy', FailingStreak: 0, Log: [] },
      },
    });
  };
}

export interface DemoStandInsOptions {
  /** Where the tenants listened before: the seeded jobs carry that address. */
  readonly tenantPort?: number;
}

export async function startDemoStandIns(options: DemoStandInsOptions = {}): Promise<DemoStandIns> {
  const tenantRequests: SeenDelivery[] = [];
  const servers: Listening[] = [];
  try {
    servers.push(await listenPreferring(tenantHandler(tenantRequests), options.tenantPort));
    servers.push(await textListen(signozHandler));
    servers.push(await textListen(dockerHandler(new Date(Date.now() - 3 * 3_600_000).toISOString())));
  } catch (error) {
    await Promise.all(servers.map((s) => s.close()));
    throw error;
  }
  const [tenants, signoz, docker] = servers as [Listening, Listening, Listening];
  return {
    tenantUrl: (tenant) => `${tenants.url}/tenants/${tenant}/webhooks`,
    signozUrl: signoz.url,
    dockerUrl: docker.url,
    tenantRequests,
    close: async () => {
      await Promise.all(servers.map((s) => s.close()));
    },
  };
}
