import type { S3StandIn } from './s3-stand-in';
import { demoBillingAccounts, monthBefore } from './seed-billing';
import { demoRecordings, demoWav } from './seed-recordings';
import type { StripeStore } from './stripe-store';
import { monthPeriod } from '../../runbook/verify/downstream/billing';

/**
 * What the stand-ins hold for a demo seeded at `seededAt`: they keep it in
 * memory, so every start (and reset) stocks them again, consistently with the
 * seeded jobs: the sources that exist, the customers and subscriptions that
 * exist, and each subscription's invoices up to the month before the jobs'
 * period.
 */

export interface StockTargets {
  readonly s3: Pick<S3StandIn, 'putObject'>;
  readonly stripe: StripeStore;
}

const HOUR = 3600;
/** The first instant of a `YYYY-MM` month the demo itself produced (always well-formed). */
const monthStart = (period: string): number => monthPeriod(period)?.start ?? Number.NaN;

export function stockDemoUpstreams(targets: StockTargets, seededAt: Date): void {
  for (const r of demoRecordings()) {
    if (r.sourcePresent)
      targets.s3.putObject(r.payload.sourceKey, demoWav(r.payload.recordingId), 'audio/wav');
  }
  const created = monthStart(monthBefore(seededAt, 12));
  for (const a of demoBillingAccounts(seededAt)) {
    if (!a.exists) continue;
    const { tenantId, stripeCustomerId: customer, subscriptionId: subscription } = a.payload;
    targets.stripe.addCustomer({ id: customer, name: tenantId, metadata: { tenantId }, created });
    targets.stripe.addSubscription({ id: subscription, customer, created });
    // Two closed months, oldest first; the latest is for the month before the jobs' period.
    for (const back of [3, 2]) {
      const { start, end } = monthPeriod(monthBefore(seededAt, back)) ?? {
        start: Number.NaN,
        end: Number.NaN,
      };
      targets.stripe.addInvoice({
        customer,
        subscription,
        status: 'paid',
        periodStart: start,
        periodEnd: end,
        created: end + HOUR,
        metadata: { period: monthBefore(seededAt, back) },
      });
    }
  }
}
