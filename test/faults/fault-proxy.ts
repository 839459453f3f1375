import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the proxy does with one request. */
export type Fault =
  | { readonly kind: 'status'; readonly status: number; readonly body?: string; readonly type?: string }
  /** Reads the request and never answers: the client's own timeout must end it. */
  | { readonly kind: 'hang' };

export interface ProxiedRequest {
  readonly method: string;
  /** Path and query, as sent. */
  readonly url: string;
  readonly body: string;
}

/** A fault for this request, or undefined to pass it to the real stand-in. */
export type FaultRule = (req: ProxiedRequest) => Fault | undefined;

export interface FaultProxy {
  /** `http://127.0.0.1:<port>`: the same address whether it is up or down. */
  readonly url: string;
  /** Requests answered with a fault (an error status or silence), since start. */
  readonly faulted: number;
  /** Times `down()` made the port refuse connections. */
  readonly refusals: number;
  /** Faults from now on; `heal()` passes everything through again. */
  inject(rule: FaultRule): void;
  heal(): void;
  /** Stops listening: connections to `url` are refused (ECONNREFUSED) until `up()`. */
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A loopback HTTP proxy in front of an upstream stand-in (Stripe, S3,
 * SigNoz): passes requests through, or answers some with an error status,
 * never answers them, or refuses connections altogether. The bot is pointed
 * at the proxy's address, so the fault is what it sees on the wire, and the
 * stand-in keeps its state for after the recovery.
 */
export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const target = new URL(upstream);
  let rule: FaultRule = () => undefined;
  let faulted = 0;
  let refusals = 0;
  let port = 0;
  let server: Server | undefined;

  const forward = (req: IncomingMessage, body: Buffer, res: ServerResponse): void => {
    const out = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    out.end(body);
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const fault = rule({ method: req.method ?? '', url: req.url ?? '', body: body.toString('utf8') });
      if (!fault) return forward(req, body, res);
      faulted += 1;
      if (fault.kind === 'hang') return;
      res.writeHead(fault.status, { 'content-type': fault.type ?? 'application/json' });
      res.end(req.method === 'HEAD' ? undefined : fault.body);
    });
  };

  const up = async (): Promise<void> => {
    if (server) return;
    const next = createServer(handle);
    await new Promise<void>((resolve, reject) => {
      next.once('error', reject);
      next.listen(port, '127.0.0.1', () => resolve());
    });
    port = (next.address() as AddressInfo).port;
    server = next;
  };
  const stop = async (): Promise<boolean> => {
    const running = server;
    if (!running) return false;
    server = undefined;
    running.closeAllConnections();
    await new Promise<void>((resolve) => running.close(() => resolve()));
    return true;
  };

  await up();
  return {
    url: `http://127.0.0.1:${port}`,
    get faulted() {
      return faulted;
    },
    get refusals() {
      return refusals;
    },
    inject: (next) => {
      rule = next;
    },
    heal: () => {
      rule = () => undefined;
    },
    down: async () => {
      if (await stop()) refusals += 1;
    },
    up,
    close: async () => {
      await stop();
    },
  };
}
