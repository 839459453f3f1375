import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { billingPayloadSchema } from '../../workflows/billing';
import { recordingPayloadSchema } from '../../workflows/recordings';
import type { S3StandIn } from './s3-stand-in';
import { BILLING_QUEUE } from './seed-billing';
import { RECORDINGS_QUEUE } from './seed-recordings';
import type { StripeStore } from './stripe-store';
import { transmuxed } from './transmux';
import { closeRedis } from '../../redis';
import { monthPeriod } from '../../runbook/verify/downstream/billing';

/**
 * The stand-ins forget everything when the sandbox stops, but Redis keeps the
 * jobs the demo worker completed. On a start over an existing demo, their
 * effects are put back (the output objects, the invoices), so the bot's
 * downstream checks read the same world the completed jobs left.
 */

export interface RestoreTargets {
  readonly s3: Pick<S3StandIn, 'object' | 'putObject'>;
  readonly stripe: StripeStore;
}

/** Completed jobs' data and finish time (unix ms), read once at start: the demo is small. */
async function completed(redis: Redis, prefix: string, name: string) {
  const connection = redis.duplicate();
  connection.on('error', () => undefined);
  const queue = new Queue(name, { connection, prefix });
  queue.on('error', () => undefined);
  try {
    const jobs = await queue.getCompleted(0, -1);
    return jobs.map((job) => ({ data: job.data as unknown, finishedOn: job.finishedOn ?? Date.now() }));
  } finally {
    await queue.close().catch(() => undefined);
    await closeRedis(connection);
  }
}

export async function restoreCompletedEffects(
  redis: Redis,
  queuePrefix: string,
  targets: RestoreTargets,
): Promise<void> {
  for (const job of await completed(redis, queuePrefix, RECORDINGS_QUEUE)) {
    const parsed = recordingPayloadSchema.safeParse(job.data);
    const source = parsed.success ? targets.s3.object(parsed.data.sourceKey) : undefined;
    if (parsed.success && source)
      targets.s3.putObject(parsed.data.outputKey, transmuxed(source.body), 'audio/mpeg');
  }
  for (const job of await completed(redis, queuePrefix, BILLING_QUEUE)) {
    const parsed = billingPayloadSchema.safeParse(job.data);
    if (!parsed.success) continue;
    const { stripeCustomerId: customer, subscriptionId: subscription, period } = parsed.data;
    const month = monthPeriod(period);
    if (!targets.stripe.subscriptions.has(subscription) || month === undefined) continue;
    const { start, end } = month;
    targets.stripe.addInvoice({
      customer,
      subscription,
      status: 'draft',
      periodStart: start,
      periodEnd: end,
      created: Math.floor(job.finishedOn / 1000),
      metadata: { period },
    });
  }
}
