import { UnrecoverableError, type Job } from 'bullmq';
import { billingPayloadSchema } from '../../workflows/billing';

/**
 * The demo's `close-billing-period` handler: creates the subscription's
 * invoice for the payload's month (`POST /v1/invoices`, the month in
 * `metadata[period]`, which the Stripe stand-in turns into the invoice's
 * period). A Stripe error fails the job with `<type>: <message> (HTTP <status>)`,
 * the reason format the bot's Stripe 4xx rule reads: stripe-node's own
 * message (`No such customer: 'cus_…'`) names neither Stripe nor the status.
 */

/** The part of stripe-node the handler uses. */
export interface InvoiceCreator {
  readonly invoices: {
    create(
      params: { customer: string; subscription: string; metadata: Record<string, string> },
      options: { idempotencyKey: string },
    ): Promise<{ id: string; period_start: number; period_end: number }>;
  };
}

export interface ClosedPeriod {
  readonly invoiceId: string;
  readonly period: string;
}

/** stripe-node's error as one reason line; duck-typed (errors may come from another realm). */
export function stripeReason(error: unknown): string {
  const { type, message, statusCode } = (typeof error === 'object' && error !== null ? error : {}) as {
    type?: unknown;
    message?: unknown;
    statusCode?: unknown;
  };
  const name = typeof type === 'string' ? type : 'Error';
  const text = typeof message === 'string' ? message : String(error);
  return typeof statusCode === 'number' ? `${name}: ${text} (HTTP ${statusCode})` : `${name}: ${text}`;
}

export function closeBillingPeriod(stripe: InvoiceCreator) {
  return async (job: Job): Promise<ClosedPeriod> => {
    const parsed = billingPayloadSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`invalid billing payload: ${parsed.error.message}`);
    const { stripeCustomerId, subscriptionId, period } = parsed.data;
    try {
      const invoice = await stripe.invoices.create(
        {
          customer: stripeCustomerId,
          subscription: subscriptionId,
          metadata: { period, jobId: job.id ?? '' },
        },
        // One invoice per subscription and month, however often the job runs.
        { idempotencyKey: `close-${subscriptionId}-${period}` },
      );
      return { invoiceId: invoice.id, period };
    } catch (error) {
      throw new Error(stripeReason(error), { cause: error });
    }
  };
}
