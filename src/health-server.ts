import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from './logger';
import type { HealthReport } from './services';

export type HealthCheck = () => Promise<HealthReport>;

/** `GET /healthz`: 200 with the report when healthy, 503 otherwise. Shared by both transports. */
export function answerHealth(health: HealthCheck, logger: Logger, res: ServerResponse): void {
  health()
    .catch((err: unknown) => {
      logger.warn({ err }, 'health check failed');
      return { ok: false } satisfies HealthReport;
    })
    .then((report) => {
      res.writeHead(report.ok ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify(report));
    })
    .catch(() => res.destroy());
}

export interface RunningHealthServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * In Socket Mode nothing else listens on HTTP, so `/healthz` gets a server of
 * its own, bound where we say (Bolt's would bind every interface).
 */
export async function startHealthServer(
  health: HealthCheck,
  logger: Logger,
  where: { readonly port: number; readonly host?: string },
): Promise<RunningHealthServer> {
  const server: Server = createServer((req, res) => {
    if (req.method === 'GET' && req.url?.split('?')[0] === '/healthz') answerHealth(health, logger, res);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: where.port, ...(where.host ? { host: where.host } : {}) }, () => resolve());
  });
  let closing: Promise<void> | undefined;
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      })),
  };
}
