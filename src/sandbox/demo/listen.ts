import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBytes } from '../http-io';

/** One HTTP stand-in on a free loopback port; `close()` drops open sockets too. */

/** Well above any demo object or form body. */
const BODY_LIMIT_BYTES = 5_000_000;

export type RawHandler = (req: IncomingMessage, body: Buffer, res: ServerResponse) => void;

export interface Listening {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  close(): Promise<void>;
}

/** `port` 0 picks a free one; a taken port rejects (EADDRINUSE), so the caller can fall back. */
export async function listen(handler: RawHandler, port = 0): Promise<Listening> {
  const server = createServer((req, res) => {
    readBytes(req, BODY_LIMIT_BYTES).then(
      (body) => {
        try {
          handler(req, body, res);
        } catch {
          if (!res.headersSent) res.writeHead(500);
          res.end();
        }
      },
      () => {
        res.writeHead(413, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: 'body too large' }));
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  let closed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${bound}`,
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      })),
  };
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Whether `url` points at this machine: the demo worker talks to nothing else. */
export function isLoopbackUrl(url: string): boolean {
  try {
    return LOOPBACK_HOSTS.has(new URL(url).hostname);
  } catch {
    return false;
  }
}
