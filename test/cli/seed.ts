import { Worker } from 'bullmq';
import { Redis as IORedis, type Redis } from 'ioredis';
import { seedFailedFast, seedWithWorker } from '../helpers/bullmq-fixtures';
import { testRedisUrl } from '../helpers/redis';

export const WEBHOOK_QUEUE = 'webhook-delivery';
export const BILLING_QUEUE = 'billing-housekeeping';

export const webhookPayload = (tenantUrl: string, tenantId: string, i: number) => ({
  tenantId,
  webhookId: `wh-${i}`,
  url: `${tenantUrl}/hooks/${tenantId}`,
  event: 'call.ended',
  body: { n: i },
});

/**
 * An incident: webhooks with given-up jobs of tenant `t-ok` (its endpoint
 * answers now), one job still retrying, one that completed; billing with given-up
 * jobs that failed on a Stripe 404. Returns the given-up webhook job ids.
 */
export async function seedIncident(redis: Redis, prefix: string, tenantUrl: string): Promise<string[]> {
  const ids = await seedWithWorker({
    url: testRedisUrl(),
    prefix,
    queue: WEBHOOK_QUEUE,
    jobs: [
      ...[0, 1, 2].map((i) => ({
        name: 'deliver-webhook',
        data: webhookPayload(tenantUrl, 't-ok', i),
        failWith: `HTTP 503 from ${tenantUrl}/hooks/t-ok`,
      })),
      {
        name: 'deliver-webhook',
        data: webhookPayload(tenantUrl, 't-retry', 9),
        attempts: 3,
        failWith: `HTTP 500 from ${tenantUrl}/hooks/t-retry`,
      },
      { name: 'deliver-webhook', data: webhookPayload(tenantUrl, 't-ok', 10) },
    ],
  });
  await seedFailedFast({
    redis,
    prefix,
    queue: BILLING_QUEUE,
    count: 4,
    name: 'close-billing-period',
    dataFor: (i) => ({ tenantId: `t${i}` }),
    failedReason: 'Stripe 404: No such customer',
    attempts: 2,
  });
  return ids.slice(0, 3);
}

export interface IdleWorkers {
  close(): Promise<void>;
}

/**
 * A connected BullMQ Worker per queue, as Ops would have: with workers there,
 * given-up jobs read as `given-up`, not `consumer-down`. Nothing is waiting, so
 * they process nothing (the retrying job is delayed for an hour).
 */
export async function startIdleWorkers(prefix: string, queues: readonly string[]): Promise<IdleWorkers> {
  const connection = new IORedis(testRedisUrl(), { maxRetriesPerRequest: null });
  connection.on('error', () => undefined);
  const workers = queues.map((queue) => {
    const worker = new Worker(queue, () => Promise.resolve('ok'), { connection, prefix });
    worker.on('error', () => undefined);
    return worker;
  });
  await Promise.all(workers.map((worker) => worker.waitUntilReady()));
  return {
    close: async () => {
      await Promise.allSettled(workers.map((worker) => worker.close()));
      await connection.quit().catch(() => connection.disconnect());
    },
  };
}
