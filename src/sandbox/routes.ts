import type { IncomingMessage, ServerResponse } from 'node:http';
import { refuseToken, requestToken, type SandboxTokens } from './auth';
import type { CallLog } from './call-log';
import type { FaultQueue } from './faults';
import type { FileStore } from './files';
import { parseJsonObject, parseWebApiArgs, readBody, sendJson } from './http-io';
import { applyResponse, type ResponseUrls } from './response-urls';
import { callWebApiMethod, type WebApiContext, type WebApiResult } from './web-api';

/** What the emulator's HTTP routes read and write. */
export interface RouteDeps {
  readonly log: CallLog;
  readonly faults: FaultQueue;
  readonly responseUrls: ResponseUrls;
  readonly files: FileStore;
  readonly tokens: SandboxTokens;
  readonly baseUrl: string;
  readonly context: WebApiContext;
}

/** `/api/<method>`, `/response/<id>` and `/upload/<file id>`; WebSocket upgrades are handled apart. */
export async function routeRequest(
  deps: RouteDeps,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', deps.baseUrl);
  if (url.pathname.startsWith('/api/')) {
    const method = decodeURIComponent(url.pathname.slice('/api/'.length));
    return handleWebApi(deps, method, req, res, url.searchParams);
  }
  if (req.method === 'POST' && url.pathname.startsWith('/response/')) {
    return handleResponseUrl(deps, url, req, res);
  }
  if (req.method === 'POST' && url.pathname.startsWith('/upload/')) {
    return handleUpload(deps, decodeURIComponent(url.pathname.slice('/upload/'.length)), req, res);
  }
  sendJson(res, 404, { ok: false, error: 'not_found' });
}

async function handleWebApi(
  deps: RouteDeps,
  method: string,
  req: IncomingMessage,
  res: ServerResponse,
  query: URLSearchParams,
): Promise<void> {
  const raw = await readBody(req);
  const parsed = parseWebApiArgs(req.headers['content-type'], raw, query);
  const { token: _token, ...args } = parsed.ok ? parsed.args : { raw };
  const fault = deps.faults.take(method);
  let status = 200;
  let headers: Readonly<Record<string, string>> = {};
  let response: WebApiResult;
  if (fault) {
    ({ status, headers } = fault);
    response = fault.body;
  } else if (!parsed.ok) {
    response = { ok: false, error: parsed.error };
  } else {
    response =
      refuseToken(method, requestToken(req, parsed.args), deps.tokens) ??
      callWebApiMethod(method, parsed.args, deps.context);
  }
  deps.log.record({ method, args, at: Date.now(), status, response });
  sendJson(res, status, response, headers);
}

/** The upload host: plain-text answers, and never a 200 for bytes it did not store. */
async function handleUpload(
  deps: RouteDeps,
  fileId: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const fault = deps.faults.take('file_upload');
  const outcome = fault
    ? { status: fault.status === 200 ? 500 : fault.status, body: fault.body.error, error: fault.body.error }
    : await deps.files.receive(fileId, req);
  const response = outcome.error === undefined ? { ok: true } : { ok: false, error: outcome.error };
  const bytes = 'bytes' in outcome ? outcome.bytes : undefined;
  const args = { file_id: fileId, ...(bytes === undefined ? {} : { bytes }) };
  deps.log.record({ method: 'file_upload', args, at: Date.now(), status: outcome.status, response });
  if (fault) req.resume();
  res.writeHead(outcome.status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(outcome.body);
}

async function handleResponseUrl(
  deps: RouteDeps,
  url: URL,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const responseUrl = `${deps.baseUrl}${url.pathname}`;
  const raw = await readBody(req);
  const parsed = parseJsonObject(raw);
  const args = parsed.ok ? parsed.args : { raw };
  const target = deps.responseUrls.get(url.pathname.slice('/response/'.length));
  const fault = deps.faults.take('response_url');
  let outcome: { status: number; headers?: Readonly<Record<string, string>>; response: WebApiResult };
  if (fault) outcome = { status: fault.status, headers: fault.headers, response: fault.body };
  else if (!target) outcome = { status: 404, response: { ok: false, error: 'expired_url' } };
  else if (!parsed.ok) outcome = { status: 400, response: { ok: false, error: parsed.error } };
  else outcome = applyResponse(target, parsed.args, deps.context);
  deps.log.record({
    method: 'response_url',
    args,
    at: Date.now(),
    status: outcome.status,
    response: outcome.response,
    responseUrl,
  });
  sendJson(res, outcome.status, outcome.response, outcome.headers);
}
