import type { BillingPayload } from '../workflows/billing';
import { createTtlCache } from './cache';
import { withDeadline } from './deadline';
import type { Limiter } from './limit';
import { failed, passed, unknown } from './result';
import { stripeAnswer } from './stripe-errors';
import type { CheckResult, WorkflowTargetCheck } from './types';
import { createStripeClient } from '../probes/stripe-client';

export interface BillingTargetOptions {
  readonly secretKey?: string;
  /** STRIPE_API_URL: host, port and protocol for every request (a proxy or a test server). */
  readonly apiUrl?: string;
  /** Per-request deadline. */
  readonly timeoutMs: number;
  readonly limit: Limiter;
  readonly cacheTtlMs: number;
}

export type BillingTarget = Pick<BillingPayload, 'stripeCustomerId' | 'subscriptionId'>;

/** A retrieve either found the object (with what we compare) or already decided the check. */
type Found<T> = { readonly found: T } | { readonly decided: CheckResult };

interface SubscriptionFacts {
  readonly customer: string;
  readonly status: string;
}

const notConfigured: WorkflowTargetCheck<BillingTarget> = {
  check: () => Promise.resolve(unknown('not configured: set STRIPE_SECRET_KEY')),
  close: () => Promise.resolve(),
};

/**
 * Billing: the Stripe customer exists and is not deleted, then the subscription
 * exists and belongs to that customer. A canceled subscription still exists:
 * `pass`, with the status in the reason so the operator sees it. Customers and
 * subscriptions are cached separately: a sample's jobs share customers more
 * often than subscriptions.
 */
export function createBillingTargetCheck(options: BillingTargetOptions): WorkflowTargetCheck<BillingTarget> {
  const { secretKey, apiUrl, timeoutMs, limit, cacheTtlMs } = options;
  if (secretKey === undefined) return notConfigured;
  const { stripe, close: closeClient } = createStripeClient(secretKey, apiUrl, timeoutMs);
  // Stripe not answering (`unknown`) is asked again next time, not remembered.
  const answered = (found: Found<unknown>) => !('decided' in found) || found.decided.status !== 'unknown';
  const customers = createTtlCache<Found<true>>(cacheTtlMs, undefined, answered);
  const subscriptions = createTtlCache<Found<SubscriptionFacts>>(cacheTtlMs, undefined, answered);

  const retrieve = <T>(what: string, read: () => Promise<Found<T>>): Promise<Found<T>> =>
    limit(() =>
      withDeadline<Found<T>>(timeoutMs, read, {
        onTimeout: () => ({ decided: unknown(`Stripe API did not answer within ${timeoutMs} ms`) }),
        onError: (error) => ({ decided: stripeAnswer(error, what, timeoutMs) }),
      }),
    );

  const customer = (id: string) =>
    customers.get(id, () =>
      retrieve<true>(`customer ${id}`, async () => {
        const found = await stripe.customers.retrieve(id);
        // A deleted customer is still retrievable: Stripe answers 200 with `deleted: true`.
        if (found.deleted === true) return { decided: failed(`customer ${id} was deleted`) };
        return { found: true };
      }),
    );

  const subscription = (id: string) =>
    subscriptions.get(id, () =>
      retrieve<SubscriptionFacts>(`subscription ${id}`, async () => {
        const found = await stripe.subscriptions.retrieve(id);
        const owner = typeof found.customer === 'string' ? found.customer : found.customer.id;
        return { found: { customer: owner, status: found.status } };
      }),
    );

  return {
    check: async ({ stripeCustomerId, subscriptionId }) => {
      // In order: a deleted customer already decides, and its subscriptions need not be asked.
      const owner = await customer(stripeCustomerId);
      if ('decided' in owner) return owner.decided;
      const sub = await subscription(subscriptionId);
      if ('decided' in sub) return sub.decided;
      if (sub.found.customer !== stripeCustomerId)
        return failed(`subscription ${subscriptionId} belongs to another customer (${sub.found.customer})`);
      return passed(
        `customer ${stripeCustomerId} exists; subscription ${subscriptionId} exists (${sub.found.status})`,
      );
    },
    close: () => {
      closeClient();
      return Promise.resolve();
    },
  };
}
