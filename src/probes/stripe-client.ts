import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import Stripe from 'stripe';
import { stripeConnection } from './stripe';

export interface StripeClient {
  readonly stripe: Stripe;
  /** Ends the client's keep-alive sockets, so a closing bot (and jest) can exit. */
  readonly close: () => void;
}

/**
 * A Stripe client as the checks use it: one attempt per request (a check
 * reports, it does not insist), our own timeout, STRIPE_API_URL honoured, and
 * our own keep-alive agent rather than the SDK's module-wide one, so `close()`
 * can end its sockets.
 */
export function createStripeClient(
  secretKey: string,
  apiUrl: string | undefined,
  timeoutMs: number,
): StripeClient {
  const link = stripeConnection(apiUrl);
  const httpAgent =
    link.protocol === 'http' ? new HttpAgent({ keepAlive: true }) : new HttpsAgent({ keepAlive: true });
  const stripe = new Stripe(secretKey, {
    maxNetworkRetries: 0,
    timeout: timeoutMs,
    telemetry: false,
    httpAgent,
    ...link,
  });
  return { stripe, close: () => httpAgent.destroy() };
}
