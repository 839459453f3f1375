import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  WEBHOOKS_QUEUE,
  GIVEN_UP_ACME_JOBS,
  RETRYING_GLOBEX_JOBS,
  demoMarkerKey,
  resetDemoWorld,
  seedDemoWorld,
} from '../../../src/sandbox/demo/seed';
import {
  BILLING_QUEUE,
  GIVEN_UP_BILLING_JOBS,
  STRIPE_4XX_BILLING_JOBS,
  demoBillingPeriod,
} from '../../../src/sandbox/demo/seed-billing';
import {
  GIVEN_UP_RECORDINGS_JOBS,
  MISSING_SOURCE_RECORDINGS_JOBS,
  RECORDINGS_QUEUE,
} from '../../../src/sandbox/demo/seed-recordings';
import { isStripeClientError } from '../../../src/runbook/plan/stripe-4xx';
import { startDemoStandIns, type DemoStandIns } from '../../../src/sandbox/demo/stand-ins';
import { deleteKeysWithPrefix, randomPrefix, testRedis } from '../../helpers/redis';

describe('seedDemoWorld', () => {
  let redis: Redis;
  let standIns: DemoStandIns;
  let queue: Queue;
  let recordings: Queue;
  let billing: Queue;
  let queueConnection: Redis;
  const queuePrefix = randomPrefix('demo');

  beforeAll(async () => {
    redis = testRedis();
    standIns = await startDemoStandIns();
    queueConnection = redis.duplicate();
    queue = new Queue(WEBHOOKS_QUEUE, { connection: queueConnection, prefix: queuePrefix });
    recordings = new Queue(RECORDINGS_QUEUE, { connection: queueConnection, prefix: queuePrefix });
    billing = new Queue(BILLING_QUEUE, { connection: queueConnection, prefix: queuePrefix });
  });
  afterAll(async () => {
    await Promise.all([queue.close(), recordings.close(), billing.close()]);
    await queueConnection.quit();
    await deleteKeysWithPrefix(redis, queuePrefix);
    await redis.quit();
    await standIns.close();
  });

  const counts = (q: Queue = queue) => q.getJobCounts('waiting', 'active', 'completed', 'failed', 'delayed');
  const onlyFailed = (failed: number) => ({ waiting: 0, active: 0, completed: 0, failed, delayed: 0 });

  it('seeds given-up acme deliveries and still-retrying globex deliveries, once', async () => {
    await expect(seedDemoWorld({ redis, queuePrefix, standIns })).resolves.toEqual({ seeded: true });
    expect(await counts()).toEqual({
      waiting: 0,
      active: 0,
      completed: 0,
      failed: GIVEN_UP_ACME_JOBS,
      delayed: RETRYING_GLOBEX_JOBS,
    });

    const failed = await queue.getFailed();
    expect(new Set(failed.map((j) => (j.data as { tenantId: string }).tenantId))).toEqual(new Set(['acme']));
    for (const job of failed) {
      expect(job.name).toBe('deliver-webhook');
      expect(job.attemptsMade).toBe(1);
      expect(job.failedReason).toBe(`HTTP 503 from ${standIns.tenantUrl('acme')}`);
    }
    const delayed = await queue.getDelayed();
    for (const job of delayed) {
      expect((job.data as { tenantId: string }).tenantId).toBe('globex');
      expect(job.opts.attempts).toBe(5);
      expect(job.attemptsMade).toBe(1);
      expect(job.failedReason).toBe(`HTTP 503 from ${standIns.tenantUrl('globex')}`);
    }
    expect(await redis.exists(demoMarkerKey(queuePrefix))).toBe(1);

    await expect(seedDemoWorld({ redis, queuePrefix, standIns })).resolves.toEqual({ seeded: false });
    expect((await counts()).failed).toBe(GIVEN_UP_ACME_JOBS);
    expect((await counts()).delayed).toBe(RETRYING_GLOBEX_JOBS);
    expect(await counts(recordings)).toEqual(
      onlyFailed(GIVEN_UP_RECORDINGS_JOBS + MISSING_SOURCE_RECORDINGS_JOBS),
    );
    expect(await counts(billing)).toEqual(onlyFailed(GIVEN_UP_BILLING_JOBS + STRIPE_4XX_BILLING_JOBS));
  });

  it('seeds given-up recordings: timeouts on present sources, NoSuchKey on missing ones', async () => {
    const failed = await recordings.getFailed(0, -1);
    expect(failed).toHaveLength(GIVEN_UP_RECORDINGS_JOBS + MISSING_SOURCE_RECORDINGS_JOBS);
    const reasons = failed.map((j) => j.failedReason.split(':', 1)[0]);
    expect(reasons.filter((r) => r === 'TimeoutError')).toHaveLength(GIVEN_UP_RECORDINGS_JOBS);
    expect(reasons.filter((r) => r === 'NoSuchKey')).toHaveLength(MISSING_SOURCE_RECORDINGS_JOBS);
    for (const job of failed) {
      expect(job.name).toBe('transmux-recording');
      expect(job.attemptsMade).toBe(job.opts.attempts);
      const data = job.data as {
        sourceKey: string;
        outputKey: string;
        tenantId: string;
        recordingId: string;
      };
      expect(data.sourceKey).toBe(`recordings/${data.tenantId}/${data.recordingId}/source.wav`);
      expect(data.outputKey).toBe(`recordings/${data.tenantId}/${data.recordingId}/final.mp3`);
      expect(job.failedReason).toContain(data.sourceKey);
    }
  });

  it('seeds given-up billing jobs for last month, the 4xx ones recognised as such', async () => {
    const failed = await billing.getFailed(0, -1);
    const period = demoBillingPeriod(new Date());
    for (const job of failed) {
      expect(job.name).toBe('close-billing-period');
      expect(job.attemptsMade).toBe(job.opts.attempts);
      expect((job.data as { period: string }).period).toBe(period);
    }
    const clientErrors = failed.filter((j) => isStripeClientError(j.failedReason));
    expect(clientErrors).toHaveLength(STRIPE_4XX_BILLING_JOBS);
    for (const job of clientErrors) {
      const customer = (job.data as { stripeCustomerId: string }).stripeCustomerId;
      expect(job.failedReason).toBe(`StripeInvalidRequestError: No such customer: '${customer}' (HTTP 404)`);
    }
  });

  it('reset deletes only the demo keys and seeds again', async () => {
    await queue.add('deliver-webhook', { leftover: true });
    const unrelated = `${queuePrefix}:other-queue:keep`;
    await redis.set(unrelated, 'x');

    await expect(resetDemoWorld({ redis, queuePrefix, standIns })).resolves.toEqual({ seeded: true });

    expect(await counts()).toEqual({
      waiting: 0,
      active: 0,
      completed: 0,
      failed: GIVEN_UP_ACME_JOBS,
      delayed: RETRYING_GLOBEX_JOBS,
    });
    expect(await counts(recordings)).toEqual(
      onlyFailed(GIVEN_UP_RECORDINGS_JOBS + MISSING_SOURCE_RECORDINGS_JOBS),
    );
    expect(await counts(billing)).toEqual(onlyFailed(GIVEN_UP_BILLING_JOBS + STRIPE_4XX_BILLING_JOBS));
    expect(await redis.get(unrelated)).toBe('x');
  });
});
