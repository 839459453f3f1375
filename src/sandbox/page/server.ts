import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SlackEmulator } from '../emulator';
import { BodyTooLargeError, readBody, sendJson } from '../http-io';
import { renderPage } from './page-html';
import { ackMessage, clickRequest, commandRequest, isPerson, parseCommandLine } from './requests';
import { buildStateView } from './state-view';

export interface SandboxPageOptions {
  readonly emulator: SlackEmulator;
  /** 0 picks a free port. */
  readonly port: number;
  /** Loopback only: the page acts as anyone in the sandbox world. */
  readonly host?: '127.0.0.1' | 'localhost';
  /** Answers `GET /healthz` on the page's port when given. */
  readonly health?: (res: ServerResponse) => void;
  /** Puts the rehearsal back to its start; with it the page offers "Reset demo". */
  readonly reset?: () => Promise<void>;
  /** What the rehearsal is about, shown above the channel (plain text, escaped). */
  readonly intro?: readonly string[];
}

export interface SandboxPage {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** The sandbox page: a Slack-like channel for the emulator, served on loopback. */
export async function startSandboxPage(options: SandboxPageOptions): Promise<SandboxPage> {
  const { emulator } = options;
  const streams = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => {
    route(options, streams, req, res).catch((error: unknown) => {
      const status = error instanceof BodyTooLargeError ? 413 : 500;
      if (!res.headersSent) sendJson(res, status, { ok: false, error: String(error) });
      else res.destroy();
    });
  });
  const unsubscribe = emulator.onChange(() => {
    for (const stream of streams) stream.write('event: change\ndata: {}\n\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: options.port, host: options.host ?? '127.0.0.1' }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        unsubscribe();
        for (const stream of streams) stream.end();
        server.closeAllConnections();
        server.close(() => resolve());
      })),
  };
}

async function route(
  options: SandboxPageOptions,
  streams: Set<ServerResponse>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const { emulator } = options;
  // The page acts as anyone in the sandbox: a page elsewhere that rebinds its own name to
  // 127.0.0.1 must not drive it, so only requests addressed to this machine by name are served.
  if (!isLoopbackHost(req.headers.host))
    return sendJson(res, 403, { ok: false, error: 'open the sandbox at http://localhost' });
  const url = new URL(req.url ?? '/', 'http://page.invalid');
  const key = `${req.method ?? ''} ${url.pathname}`;
  if (key === 'GET /') {
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy':
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'",
    });
    res.end(
      renderPage(emulator.world, { resettable: options.reset !== undefined, intro: options.intro ?? [] }),
    );
  } else if (key === 'GET /healthz' && options.health) {
    options.health(res);
  } else if (key === 'GET /state') {
    const user = url.searchParams.get('user');
    if (!isPerson(emulator.world, user)) return sendJson(res, 400, { ok: false, error: 'unknown user' });
    sendJson(res, 200, buildStateView(emulator, user));
  } else if (key === 'GET /events') {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
    res.write(': connected\n\n');
    streams.add(res);
    req.on('close', () => streams.delete(res));
  } else if (key === 'POST /reset' && options.reset) {
    if (!req.headers['content-type']?.startsWith('application/json'))
      return sendJson(res, 415, { ok: false, error: 'send application/json' });
    await options.reset();
    sendJson(res, 200, { ok: true });
  } else if (key === 'POST /command' || key === 'POST /click') {
    // JSON only: a cross-site form cannot send it without a CORS preflight this server never allows.
    if (!req.headers['content-type']?.startsWith('application/json'))
      return sendJson(res, 415, { ok: false, error: 'send application/json' });
    const body = await readJson(req);
    if (key === 'POST /command') await command(emulator, body, res);
    else await click(emulator, body, res);
  } else {
    sendJson(res, 404, { ok: false, error: 'not found' });
  }
}

const LOOPBACK_NAMES: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);

function isLoopbackHost(host: string | undefined): boolean {
  if (host === undefined) return false;
  try {
    return LOOPBACK_NAMES.has(new URL(`http://${host}`).hostname);
  } catch {
    return false;
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  try {
    return JSON.parse(await readBody(req)) as unknown;
  } catch (error) {
    if (error instanceof BodyTooLargeError) throw error;
    return undefined;
  }
}

async function command(emulator: SlackEmulator, body: unknown, res: ServerResponse): Promise<void> {
  const parsed = commandRequest.safeParse(body);
  if (!parsed.success || !isPerson(emulator.world, parsed.data.user))
    return sendJson(res, 400, { ok: false, error: 'expected {user, text}' });
  const line = parseCommandLine(parsed.data.text);
  if (line?.command !== '/stuckjobs')
    return sendJson(res, 400, { ok: false, error: 'only /stuckjobs commands are known here' });
  const reply = await emulator.sendSlashCommand({ text: line.text, user: parsed.data.user });
  if (reply.status !== 200)
    return sendJson(res, 502, { ok: false, error: `the app answered HTTP ${reply.status}` });
  // Slack shows what the command was acked with, as if sent to the response URL.
  const ack = ackMessage(reply.body);
  if (ack) {
    await fetch(reply.responseUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ response_type: 'ephemeral', ...ack }),
    });
  }
  sendJson(res, 200, { ok: true });
}

async function click(emulator: SlackEmulator, body: unknown, res: ServerResponse): Promise<void> {
  const parsed = clickRequest.safeParse(body);
  if (!parsed.success || !isPerson(emulator.world, parsed.data.user))
    return sendJson(res, 400, { ok: false, error: 'expected {user, messageTs, actionId, blockId, value}' });
  const { user, messageTs, actionId, blockId, value } = parsed.data;
  const reply = await emulator.sendBlockAction({
    user,
    messageTs,
    actionId,
    ...(blockId ? { blockId } : {}),
    ...(value !== undefined ? { value } : {}),
  });
  if (reply.status !== 200)
    return sendJson(res, 502, { ok: false, error: `the app answered HTTP ${reply.status}` });
  sendJson(res, 200, { ok: true });
}
