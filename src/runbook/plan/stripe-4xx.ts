/**
 * "Replays that hit a 4xx from Stripe will not heal themselves": a billing job
 * whose last failure was a Stripe client error is never eligible. Decided on the
 * job's `failedReason` alone (the only record of the last failure), by any of:
 *
 * 1. a stripe-node client error class: StripeInvalidRequestError,
 *    StripeCardError, StripeAuthenticationError, StripePermissionError,
 *    StripeRateLimitError, StripeIdempotencyError (StripeAPIError is a 5xx
 *    and StripeConnectionError a network failure: neither counts);
 * 2. a Stripe client error type or code: invalid_request_error, card_error,
 *    authentication_error, idempotency_error, rate_limit_error,
 *    resource_missing, card_declined, expired_card, … (`api_error` is a 5xx);
 * 3. the reason names Stripe and carries a 4xx status in a status position:
 *    `HTTP 404`, `HTTP/1.1 402`, `status 400`, `statusCode: 404`, `Stripe 404`,
 *    `Stripe API error 400`, `404 Not Found`. A bare number elsewhere (an
 *    amount, an invoice number) is not a status, and a 5xx never matches.
 *
 * 429 counts too: the invariant says "a Stripe 4xx", and replaying a batch into
 * a rate limit makes it worse; the queue's own retry policy is the way back.
 * A wrong "yes" only leaves a job out of a replay; a wrong "no" replays it.
 */
const CLIENT_ERROR_CLASS =
  /\bStripe(?:InvalidRequest|Card|Authentication|Permission|RateLimit|Idempotency)Error\b/;

const CLIENT_ERROR_CODE =
  /\b(?:invalid_request_error|card_error|authentication_error|idempotency_error|rate_limit_error|resource_missing|card_declined|expired_card|incorrect_cvc|insufficient_funds|invalid_api_key|parameter_invalid_empty|parameter_missing|parameter_unknown)\b/;

const MENTIONS_STRIPE = /stripe/i;

const STATUS_4XX = [
  /\bhttp(?:\/\d(?:\.\d)?)?\W{0,3}4\d\d\b/i,
  /\bstatus(?:[\s_-]?code)?\W{0,3}4\d\d\b/i,
  /\bstripe(?:\s+api)?(?:\s+error)?\W{0,3}4\d\d\b/i,
  /\b4\d\d\s+(?:bad request|unauthorized|payment required|forbidden|not found|conflict|too many requests)\b/i,
];

export function isStripeClientError(failedReason: string | undefined): boolean {
  if (!failedReason) return false;
  if (CLIENT_ERROR_CLASS.test(failedReason) || CLIENT_ERROR_CODE.test(failedReason)) return true;
  return MENTIONS_STRIPE.test(failedReason) && STATUS_4XX.some((pattern) => pattern.test(failedReason));
}
