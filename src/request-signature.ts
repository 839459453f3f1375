import type { IncomingMessage } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { signSlackRequest } from './slack-signing';

/** Slack's rule, both ways: Bolt refuses only timestamps older than this, never ones ahead of its clock. */
export const MAX_CLOCK_SKEW_S = 5 * 60;

export type Refusal = { readonly status: 400 | 401; readonly reason: string };

/** `v0=` and a hex SHA-256: anything else cannot be a signature, whatever the body. */
const SIGNATURE_FORM = /^v0=[0-9a-f]{64}$/;

function header(headers: IncomingMessage['headers'], name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * What the headers alone refuse, before a byte of the body is read: no
 * timestamp or one outside Slack's 5 minutes either way, no signature or
 * one not of the v0 form.
 */
export function headerRefusal(headers: IncomingMessage['headers'], nowSeconds: number): Refusal | undefined {
  const stamp = header(headers, 'x-slack-request-timestamp');
  if (stamp === undefined || !/^\d{1,12}$/.test(stamp)) {
    return { status: 401, reason: 'timestamp missing or not a number' };
  }
  const skew = Number(stamp) - nowSeconds;
  if (skew > MAX_CLOCK_SKEW_S) return { status: 401, reason: 'timestamp more than 5 minutes ahead' };
  if (-skew > MAX_CLOCK_SKEW_S) return { status: 401, reason: 'timestamp more than 5 minutes old' };
  const signature = header(headers, 'x-slack-signature');
  if (signature === undefined || !SIGNATURE_FORM.test(signature)) {
    return { status: 401, reason: 'signature missing or malformed' };
  }
  return undefined;
}

/**
 * Slack's v0 check of the whole request: the headers as above, then the
 * HMAC-SHA256 of `v0:<timestamp>:<body>` under the signing secret, compared
 * in constant time. The body is text decoded as Bolt decodes it, so both
 * checks agree on every request.
 */
export function signatureRefusal(
  headers: IncomingMessage['headers'],
  rawBody: string,
  nowSeconds: number,
  signingSecret: string,
): Refusal | undefined {
  const refusal = headerRefusal(headers, nowSeconds);
  if (refusal) return refusal;
  // headerRefusal has checked both are present and well formed.
  const stamp = Number(header(headers, 'x-slack-request-timestamp'));
  const given = Buffer.from(header(headers, 'x-slack-signature') ?? '', 'utf8');
  const expected = Buffer.from(signSlackRequest(signingSecret, stamp, rawBody), 'utf8');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { status: 401, reason: 'signature does not match' };
  }
  return undefined;
}
