/**
 * Billing, downstream: the subscription's latest invoice covers the job's
 * billing period. One `GET /v1/invoices?subscription=…&limit=1` per distinct
 * subscription in a call (Stripe lists invoices newest first), then the
 * invoice's `period_start`..`period_end` (unix seconds) must overlap the
 * payload's `period`, a calendar month in UTC (`2025-05` is
 * [2025-05-01T00:00Z, 2025-06-01T00:00Z)).
 *
 * Why the invoice's own period: Stripe defines it as the window in which
 * invoice items could be added, which for a subscription renewal looks back
 * one period: the invoice that closes May's usage has a May period. Overlap,
 * not containment, because billing cycles need not start on the 1st. The
 * overlap is half-open: an invoice for April 1 → May 1 does not cover May.
 * A zero-length period (a subscription's first invoice, start = end = its
 * creation) covers the month its instant falls in. The invoice's status
 * (draft, open, paid, void) is shown, not judged.
 *
 * No invoice, or a latest invoice that does not overlap, is a `fail`. This
 * reads only the latest invoice: a job replayed for an older month, after a
 * newer invoice exists, fails and the operator reads the two periods in the
 * detail line. A Stripe error or timeout is `unknown` (Stripe's own
 * `resource_missing` 404 is a `fail`, as in the target check). A payload
 * without a subscription or a well-formed period is `unknown`. Without
 * STRIPE_SECRET_KEY the check is `skipped`.
 */
import { withDeadline } from '../../../checks/deadline';
import type { Limiter } from '../../../checks/limit';
import { stripeAnswer } from '../../../checks/stripe-errors';
import { firstIssue } from '../../../checks/target-fields';
import { createStripeClient } from '../../../probes/stripe-client';
import { billingPayloadSchema } from '../../../workflows/billing';
import type { CompletedJob } from '../types';
import type { JobFinding, WorkflowDownstream } from './index';

export interface BillingDownstreamOptions {
  /** STRIPE_SECRET_KEY; without it the check is `skipped`. */
  readonly secretKey?: string;
  /** STRIPE_API_URL: host, port and protocol for every request (a proxy or a test server). */
  readonly apiUrl?: string;
  /** Per-request deadline. */
  readonly timeoutMs: number;
  readonly limit: Limiter;
}

/** A month (or an invoice's period) in unix seconds, `end` exclusive. */
export interface Period {
  readonly start: number;
  readonly end: number;
}

interface LatestInvoice {
  readonly id: string;
  readonly status: string;
  readonly period: Period;
}

type InvoiceAnswer =
  | { readonly kind: 'invoice'; readonly invoice: LatestInvoice }
  | { readonly kind: 'none' }
  | { readonly kind: 'error'; readonly status: 'fail' | 'unknown'; readonly text: string };

const targetSchema = billingPayloadSchema.pick({ subscriptionId: true, period: true });

const EFFECT = 'latest invoice covers the billing period';

/** `2025-05` as [May 1, June 1) in UTC unix seconds; undefined for a month that is not one (`2025-13`). */
export function monthPeriod(period: string): Period | undefined {
  const match = /^(\d{4})-(\d{2})$/.exec(period);
  if (!match) return undefined;
  const year = Number(match[1]);
  const month = Number(match[2]);
  if (month < 1 || month > 12) return undefined;
  return { start: Date.UTC(year, month - 1, 1) / 1000, end: Date.UTC(year, month, 1) / 1000 };
}

/** Half-open overlap; a zero-length invoice period is an instant, inside the month or not. */
export function overlaps(invoice: Period, month: Period): boolean {
  if (invoice.start === invoice.end) return month.start <= invoice.start && invoice.start < month.end;
  return invoice.start < month.end && invoice.end > month.start;
}

const day = (seconds: number): string => new Date(seconds * 1000).toISOString().slice(0, 10);
const shown = ({ start, end }: Period): string => `${day(start)} → ${day(end)}`;

const notConfigured: WorkflowDownstream = {
  effect: EFFECT,
  find: () => Promise.resolve({ kind: 'skipped', reason: 'not configured: set STRIPE_SECRET_KEY' }),
  close: () => Promise.resolve(),
};

export function createBillingDownstream(options: BillingDownstreamOptions): WorkflowDownstream {
  const { secretKey, apiUrl, timeoutMs, limit } = options;
  if (secretKey === undefined) return notConfigured;
  const { stripe, close: closeClient } = createStripeClient(secretKey, apiUrl, timeoutMs);

  const latestInvoice = (subscription: string): Promise<InvoiceAnswer> =>
    limit(() =>
      withDeadline<InvoiceAnswer>(
        timeoutMs,
        async () => {
          const { data } = await stripe.invoices.list({ subscription, limit: 1 });
          const invoice = data[0];
          if (invoice === undefined) return { kind: 'none' };
          return {
            kind: 'invoice',
            invoice: {
              id: invoice.id,
              status: invoice.status ?? 'no status',
              period: { start: invoice.period_start, end: invoice.period_end },
            },
          };
        },
        {
          onTimeout: () => ({
            kind: 'error',
            status: 'unknown',
            text: `Stripe API did not answer within ${timeoutMs} ms`,
          }),
          onError: (error) => {
            const { status, reason } = stripeAnswer(error, `subscription ${subscription}`, timeoutMs);
            return { kind: 'error', status: status === 'fail' ? 'fail' : 'unknown', text: reason };
          },
        },
      ),
    );

  const findingFor = async (
    job: CompletedJob,
    invoices: Map<string, Promise<InvoiceAnswer>>,
  ): Promise<JobFinding> => {
    const unknown = (text: string): JobFinding => ({ jobId: job.id, status: 'unknown', text });
    const parsed = targetSchema.safeParse(job.data);
    if (!parsed.success) return unknown(`not checked: ${firstIssue(parsed.error)}`);
    const { subscriptionId, period } = parsed.data;
    const month = monthPeriod(period);
    if (month === undefined) return unknown(`not checked: period ${period} is not a month`);
    // Cached for this call only: the next verification must see a newly finalised invoice.
    let answer = invoices.get(subscriptionId);
    if (answer === undefined) {
      answer = latestInvoice(subscriptionId);
      invoices.set(subscriptionId, answer);
    }
    const found = await answer;
    if (found.kind === 'error') return { jobId: job.id, status: found.status, text: found.text };
    if (found.kind === 'none')
      return { jobId: job.id, status: 'fail', text: `subscription ${subscriptionId} has no invoice` };
    const { id, status, period: covered } = found.invoice;
    const invoice = `${subscriptionId}: latest invoice ${id} (${status}) covers ${shown(covered)}`;
    if (overlaps(covered, month))
      return { jobId: job.id, status: 'pass', text: `${invoice}, overlapping ${period}` };
    return { jobId: job.id, status: 'fail', text: `${invoice}, not ${period}` };
  };

  return {
    effect: EFFECT,
    async find(jobs) {
      const invoices = new Map<string, Promise<InvoiceAnswer>>();
      return { kind: 'checked', jobs: await Promise.all(jobs.map((job) => findingFor(job, invoices))) };
    },
    close: () => {
      closeClient();
      return Promise.resolve();
    },
  };
}
