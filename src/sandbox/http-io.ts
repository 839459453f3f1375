import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';

const jsonObject = z.record(z.string(), z.unknown());

/** Well above any Block Kit message; stops a runaway test from filling memory. */
const BODY_LIMIT_BYTES = 2_000_000;

export class BodyTooLargeError extends Error {
  override name = 'BodyTooLargeError';
}

export async function readBody(req: IncomingMessage): Promise<string> {
  return (await readBytes(req, BODY_LIMIT_BYTES)).toString('utf8');
}

/** The raw body, refused once it passes `limitBytes`. */
export async function readBytes(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > limitBytes) throw new BodyTooLargeError(`request body over ${limitBytes} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

export type ParsedArgs =
  | { readonly ok: true; readonly args: Record<string, unknown> }
  | { readonly ok: false; readonly error: string };

/**
 * Web API arguments from a form-encoded or JSON body, with query parameters
 * underneath (Slack accepts both). The Slack client sends form bodies with
 * `blocks` as a JSON string; other clients send JSON.
 */
export function parseWebApiArgs(
  contentType: string | undefined,
  raw: string,
  query: URLSearchParams,
): ParsedArgs {
  const args: Record<string, unknown> = Object.fromEntries(query);
  const mediaType = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (mediaType === 'application/json') {
    const parsed = parseJsonObject(raw);
    if (!parsed.ok) return parsed;
    Object.assign(args, parsed.args);
  } else if (mediaType === 'application/x-www-form-urlencoded' || (mediaType === '' && raw === '')) {
    Object.assign(args, Object.fromEntries(new URLSearchParams(raw)));
  } else {
    return { ok: false, error: 'invalid_form_data' };
  }
  return { ok: true, args: normalizeArgs(args) };
}

export function parseJsonObject(raw: string): ParsedArgs {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { ok: false, error: 'invalid_json' };
  }
  const parsed = jsonObject.safeParse(value);
  return parsed.success
    ? { ok: true, args: normalizeArgs(parsed.data) }
    : { ok: false, error: 'json_not_object' };
}

/** Turns JSON-string `blocks`/`attachments` into arrays; leaves unparseable ones for the handler to refuse. */
function normalizeArgs(args: Record<string, unknown>): Record<string, unknown> {
  const normalized = { ...args };
  for (const key of ['blocks', 'attachments']) {
    const value = normalized[key];
    if (typeof value !== 'string') continue;
    try {
      const parsed: unknown = JSON.parse(value);
      if (Array.isArray(parsed)) normalized[key] = parsed;
    } catch {
      // Kept as the string: the method answers `invalid_blocks_format` as Slack does.
    }
  }
  return normalized;
}
