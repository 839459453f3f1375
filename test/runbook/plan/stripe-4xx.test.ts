import { isStripeClientError } from '../../../src/runbook/plan/stripe-4xx';

describe('isStripeClientError', () => {
  it.each([
    "StripeInvalidRequestError: No such customer: 'cus_123'",
    'StripeCardError: Your card was declined.',
    'StripeAuthenticationError: Invalid API Key provided: sk_test_****',
    'StripePermissionError: The provided key does not have access',
    'StripeRateLimitError: Too many requests',
    'Error: card_declined: Your card was declined.',
    'usage sync failed: resource_missing (subscription sub_123)',
    '{"type":"invalid_request_error","code":"resource_missing","statusCode":404}',
    'Request to Stripe failed with HTTP 402 Payment Required',
    'Stripe responded with status 400',
    'Stripe API error: statusCode: 404',
    'Stripe 404: No such subscription',
    'Stripe API 409 while closing the period',
    'stripe.invoices.create: HTTP/1.1 400 Bad Request',
    'POST https://api.stripe.com/v1/invoices: 404 Not Found',
    'Stripe status code 429',
  ])('excludes %p', (reason) => {
    expect(isStripeClientError(reason)).toBe(true);
  });

  it.each([
    undefined,
    '',
    'Stripe HTTP 503 Service Unavailable',
    'StripeAPIError: An error occurred with our connection to Stripe (status 500)',
    'StripeConnectionError: request to api.stripe.com failed: ECONNRESET',
    'api_error: Stripe had a problem (HTTP 502)',
    'Stripe timeout after 30000 ms for period 2024-04 (charge of 450 cents)',
    'Stripe invoice in_404abc failed: HTTP 503',
    'HTTP 404 from https://usage.internal/periods/2024-04', // not Stripe: the usage API
    'Error: usage service returned status 400',
  ])('keeps %p', (reason) => {
    expect(isStripeClientError(reason)).toBe(false);
  });
});
