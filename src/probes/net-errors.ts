import { errorMessage } from '../errors';

const HINTS: Readonly<Record<string, string>> = {
  ENOTFOUND: 'DNS lookup failed',
  EAI_AGAIN: 'DNS lookup failed (temporary)',
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOENT: 'socket not found',
  EACCES: 'permission denied',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connect timed out',
  UND_ERR_HEADERS_TIMEOUT: 'no response headers in time',
  UND_ERR_SOCKET: 'socket closed',
  CERT_HAS_EXPIRED: 'TLS certificate expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed TLS certificate',
};

const CODE_IN_MESSAGE = new RegExp(`\\b(${Object.keys(HINTS).join('|')})\\b`);

/**
 * `code` of a Node or undici error, looking a few `cause`s deep (fetch-style
 * wrapping). SDKs that re-wrap errors they do not recognise (the AWS SDK does,
 * e.g. across realms) keep the code only in the message, so look there last.
 */
export function errorCode(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current && depth < 3; depth++) {
    if (typeof current !== 'object') break;
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return CODE_IN_MESSAGE.exec(errorMessage(error))?.[1];
}

/** Reasons are one line: collapse whitespace and cut long upstream messages. */
export function oneLine(text: string, max = 160): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** One short phrase for a failed connection: `connection refused (ECONNREFUSED)`. */
export function describeNetworkError(error: unknown): string {
  const code = errorCode(error);
  const hint = code === undefined ? undefined : HINTS[code];
  if (hint !== undefined) return `${hint} (${code})`;
  const message = oneLine(errorMessage(error));
  return code !== undefined && !message.includes(code) ? `${message} (${code})` : message;
}
