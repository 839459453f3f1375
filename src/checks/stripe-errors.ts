import { errorMessage } from '../errors';
import { describeNetworkError, oneLine } from '../probes/net-errors';
import { failed, unknown } from './result';
import type { CheckResult } from './types';

/** The fields of a Stripe SDK error we read; duck-typed so another realm's errors classify too. */
interface StripeErrorShape {
  readonly type?: unknown;
  readonly statusCode?: unknown;
  readonly code?: unknown;
  readonly message?: unknown;
  readonly detail?: unknown;
}

const shapeOf = (error: unknown): StripeErrorShape =>
  typeof error === 'object' && error !== null ? error : {};

/** Stripe's 404 for an id that exists only under the other mode's key. */
const OTHER_MODE = /similar object exists in (live|test) mode/;

/**
 * What a failed retrieve of `what` (`customer cus_…`, `subscription sub_…`)
 * means. Only Stripe's own `resource_missing` is a `fail`: a 404 without it
 * (a proxy in STRIPE_API_URL that does not know the path) or an object that
 * exists under the other mode's key says nothing about the object itself.
 */
export function stripeAnswer(error: unknown, what: string, timeoutMs: number): CheckResult {
  const { type, statusCode, code, detail } = shapeOf(error);
  const message = oneLine(errorMessage(error));
  if (typeof type !== 'string' || !type.startsWith('Stripe'))
    return unknown(`Stripe client failed: ${message}`);
  if (statusCode === 404 && code === 'resource_missing') {
    const mode = OTHER_MODE.exec(message)?.[1];
    if (mode !== undefined)
      return unknown(
        `${what} is not visible to this key (it exists in ${mode} mode): check STRIPE_SECRET_KEY`,
      );
    return failed(`${what} does not exist`);
  }
  if (type === 'StripeAuthenticationError' || statusCode === 401)
    return unknown('Stripe key rejected (HTTP 401): check STRIPE_SECRET_KEY');
  if (type === 'StripePermissionError' || statusCode === 403)
    return unknown(`Stripe key may not read ${what} (HTTP 403)`);
  if (type === 'StripeRateLimitError' || statusCode === 429)
    return unknown('Stripe is rate-limiting this key (HTTP 429)');
  if (type === 'StripeConnectionError') {
    if (/timeout/i.test(message)) return unknown(`Stripe API did not answer within ${timeoutMs} ms`);
    const cause = typeof detail === 'object' && detail !== null ? describeNetworkError(detail) : message;
    return unknown(`Stripe API unreachable: ${cause}`);
  }
  if (typeof statusCode === 'number' && statusCode >= 500)
    return unknown(`Stripe API error (HTTP ${statusCode})`);
  const http = typeof statusCode === 'number' ? statusCode : '?';
  return unknown(`Stripe refused to read ${what} (HTTP ${http}): ${message}`);
}
