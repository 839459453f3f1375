import { billingPayloadSchema, billingWorkflow, type BillingPayload } from '../../workflows/billing';
import type { DemoSlice } from './demo-slice';

/**
 * The demo incident, billing slice: closing last month's billing period could
 * not reach Stripe during the outage (connection errors, a 500) and gave up;
 * those customers and subscriptions exist. Two jobs name a customer Stripe
 * does not know (a 4xx): the bot must never replay them. Each existing
 * subscription's latest invoice is for the month before the job's period, so
 * the downstream check fails before a replay and passes after it.
 */

export const BILLING_QUEUE = billingWorkflow.queue;
export const BILLING_JOB_NAME = 'close-billing-period';
/** Given up on a connection error or a Stripe 5xx; customer and subscription exist. */
export const GIVEN_UP_BILLING_JOBS = 6;
/** Given up on a Stripe 4xx (no such customer); the customer really is absent. */
export const STRIPE_4XX_BILLING_JOBS = 2;
export const BILLING_ATTEMPTS = 3;
/** Of the given-up billing jobs, how many failed on a connection error (the rest on an HTTP 500). */
const CONNECTION_ERROR_JOBS = 4;

const EXISTING_TENANTS = ['acme', 'globex', 'initech', 'umbrella', 'hooli', 'soylent'] as const;
const MISSING_TENANTS = ['vandelay', 'wonka'] as const;

export const STRIPE_CONNECTION_REASON =
  'StripeConnectionError: An error occurred with our connection to Stripe. Request was retried 2 times.';
export const STRIPE_500_REASON = 'StripeAPIError: An unknown error occurred (HTTP 500)';
export const noSuchCustomerReason = (customer: string): string =>
  `StripeInvalidRequestError: No such customer: '${customer}' (HTTP 404)`;

export interface DemoBillingAccount {
  readonly jobId: string;
  readonly payload: BillingPayload;
  /** Whether the Stripe stand-in knows the customer and the subscription. */
  readonly exists: boolean;
  readonly reason: string;
}

/** `YYYY-MM` of the UTC month `monthsBack` before `at`'s. */
export function monthBefore(at: Date, monthsBack = 1): string {
  const first = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() - monthsBack, 1));
  return first.toISOString().slice(0, 7);
}

/** The billing period the demo's jobs close: the month before the one the demo was seeded in. */
export const demoBillingPeriod = (seededAt: Date): string => monthBefore(seededAt, 1);

export function demoBillingAccounts(seededAt: Date): readonly DemoBillingAccount[] {
  const period = demoBillingPeriod(seededAt);
  const account = (tenant: string, exists: boolean, reason: (customer: string) => string) => {
    const customer = `cus_${exists ? 'demo' : 'gone'}${tenant}`;
    const subscription = `sub_${exists ? 'demo' : 'gone'}${tenant}`;
    const payload = billingPayloadSchema.parse({
      tenantId: tenant,
      stripeCustomerId: customer,
      subscriptionId: subscription,
      period,
    });
    return { jobId: `close-${subscription}-${period}`, payload, exists, reason: reason(customer) };
  };
  return [
    ...EXISTING_TENANTS.map((tenant, i) =>
      account(tenant, true, () => (i < CONNECTION_ERROR_JOBS ? STRIPE_CONNECTION_REASON : STRIPE_500_REASON)),
    ),
    ...MISSING_TENANTS.map((tenant) => account(tenant, false, noSuchCustomerReason)),
  ];
}

export function billingSlice(seededAt: Date): DemoSlice {
  const accounts = demoBillingAccounts(seededAt);
  const reasons = new Map(accounts.map((a) => [a.payload.subscriptionId, a.reason]));
  return {
    queue: BILLING_QUEUE,
    jobs: accounts.map((a) => ({
      name: BILLING_JOB_NAME,
      data: a.payload,
      opts: { jobId: a.jobId, attempts: BILLING_ATTEMPTS },
    })),
    reasonFor: (data) => reasons.get(billingPayloadSchema.parse(data).subscriptionId) ?? STRIPE_500_REASON,
  };
}
