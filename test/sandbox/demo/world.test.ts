import { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { createLimiter } from '../../../src/checks/limit';
import { createBillingDownstream } from '../../../src/runbook/verify/downstream/billing';
import { createRecordingsDownstream } from '../../../src/runbook/verify/downstream/recordings';
import { WEBHOOKS_QUEUE, GIVEN_UP_ACME_JOBS, RETRYING_GLOBEX_JOBS } from '../../../src/sandbox/demo/seed';
import {
  BILLING_QUEUE,
  GIVEN_UP_BILLING_JOBS,
  STRIPE_4XX_BILLING_JOBS,
  noSuchCustomerReason,
} from '../../../src/sandbox/demo/seed-billing';
import {
  GIVEN_UP_RECORDINGS_JOBS,
  MISSING_SOURCE_RECORDINGS_JOBS,
  RECORDINGS_QUEUE,
  noSuchKeyReason,
} from '../../../src/sandbox/demo/seed-recordings';
import { startDemoWorld, type DemoWorld } from '../../../src/sandbox/demo/world';
import { eventually } from '../../helpers/eventually';
import { deleteKeysWithPrefix, randomPrefix, testRedis, testRedisUrl } from '../../helpers/redis';

const RECORDINGS_TOTAL = GIVEN_UP_RECORDINGS_JOBS + MISSING_SOURCE_RECORDINGS_JOBS;
const BILLING_TOTAL = GIVEN_UP_BILLING_JOBS + STRIPE_4XX_BILLING_JOBS;

describe('startDemoWorld', () => {
  let redis: Redis;
  let world: DemoWorld;
  let queueConnection: Redis;
  let webhooks: Queue;
  let recordings: Queue;
  let billing: Queue;
  const queuePrefix = randomPrefix('demo');

  beforeAll(async () => {
    redis = testRedis();
    queueConnection = redis.duplicate();
    const open = (name: string) => new Queue(name, { connection: queueConnection, prefix: queuePrefix });
    [webhooks, recordings, billing] = [open(WEBHOOKS_QUEUE), open(RECORDINGS_QUEUE), open(BILLING_QUEUE)];
    world = await startDemoWorld({ redisUrl: testRedisUrl(), queuePrefix });
  });
  afterAll(async () => {
    await world.close();
    await Promise.all([webhooks.close(), recordings.close(), billing.close()]);
    await queueConnection.quit();
    await deleteKeysWithPrefix(redis, queuePrefix);
    await redis.quit();
  });

  const downstreams = () => {
    const { s3, stripe } = world.upstreams;
    const common = { timeoutMs: 5_000, limit: createLimiter(4) };
    return {
      recordings: createRecordingsDownstream({
        ...common,
        bucket: s3.bucket,
        s3Endpoint: s3.endpoint,
        region: 'us-east-1',
        credentials: s3.credentials,
      }),
      billing: createBillingDownstream({ ...common, secretKey: stripe.secretKey, apiUrl: stripe.apiUrl }),
    };
  };
  const asCompleted = (job: Job) => ({ id: job.id!, data: job.data as unknown, returnvalue: null });

  /** Retries the job and waits until the demo worker finished it, whichever way. */
  const retried = async (queue: Queue, job: Job): Promise<Job> => {
    await job.retry('failed');
    return eventually(async () => {
      const now = await Job.fromId(queue, job.id!);
      const state = await now?.getState();
      return now && (state === 'completed' || (state === 'failed' && now.attemptsMade >= 3))
        ? now
        : undefined;
    }, 10_000);
  };

  it('seeds on first start and points every upstream at loopback', async () => {
    expect(world.seeded).toBe(true);
    const { upstreams } = world;
    for (const url of [
      upstreams.signozUrl,
      upstreams.dockerUrl,
      upstreams.s3.endpoint,
      upstreams.stripe.apiUrl,
    ]) {
      expect(new URL(url).hostname).toBe('127.0.0.1');
    }
    expect(upstreams.stripe.secretKey).toMatch(/^sk_test_[A-Za-z0-9]+$/);
    expect(await webhooks.getJobCounts('failed', 'delayed')).toEqual({
      failed: GIVEN_UP_ACME_JOBS,
      delayed: RETRYING_GLOBEX_JOBS,
    });
    expect((await recordings.getJobCounts('failed')).failed).toBe(RECORDINGS_TOTAL);
    expect((await billing.getJobCounts('failed')).failed).toBe(BILLING_TOTAL);
    expect(world.standIns.s3.keys()).toHaveLength(GIVEN_UP_RECORDINGS_JOBS);
    expect(world.standIns.stripe.store.customers.size).toBe(GIVEN_UP_BILLING_JOBS);
  });

  it('replays a recording: the output appears and the downstream check passes after, not before', async () => {
    const { recordings: downstream } = downstreams();
    try {
      const failed = await recordings.getFailed(0, -1);
      const job = failed.find((j) => j.failedReason.startsWith('TimeoutError'))!;
      const before = await downstream.find([asCompleted(job)]);
      expect(before).toMatchObject({ kind: 'checked', jobs: [{ status: 'fail' }] });

      const done = await retried(recordings, job);
      expect(await done.getState()).toBe('completed');
      const outputKey = (job.data as { outputKey: string }).outputKey;
      expect(world.standIns.s3.object(outputKey)?.body.subarray(0, 3).toString()).toBe('ID3');
      const after = await downstream.find([asCompleted(job)]);
      expect(after).toMatchObject({ kind: 'checked', jobs: [{ status: 'pass' }] });

      const missing = failed.find((j) => j.failedReason.startsWith('NoSuchKey'))!;
      const again = await retried(recordings, missing);
      expect(await again.getState()).toBe('failed');
      expect(again.failedReason).toBe(noSuchKeyReason((missing.data as { sourceKey: string }).sourceKey));
    } finally {
      await downstream.close();
    }
  });

  it('replays a billing job: an invoice for its month, the downstream check passing after', async () => {
    const { billing: downstream } = downstreams();
    try {
      const failed = await billing.getFailed(0, -1);
      const job = failed.find((j) => j.failedReason.startsWith('StripeConnectionError'))!;
      const before = await downstream.find([asCompleted(job)]);
      expect(before).toMatchObject({ kind: 'checked', jobs: [{ status: 'fail' }] });

      const done = await retried(billing, job);
      expect(await done.getState()).toBe('completed');
      const { subscriptionId, period } = job.data as { subscriptionId: string; period: string };
      const [latest] = world.standIns.stripe.store.listInvoices({ subscription: subscriptionId });
      expect(latest?.metadata.period).toBe(period);
      const after = await downstream.find([asCompleted(job)]);
      expect(after).toMatchObject({ kind: 'checked', jobs: [{ status: 'pass' }] });

      const gone = failed.find((j) => j.failedReason.startsWith('StripeInvalidRequestError'))!;
      const again = await retried(billing, gone);
      expect(await again.getState()).toBe('failed');
      const customer = (gone.data as { stripeCustomerId: string }).stripeCustomerId;
      expect(again.failedReason).toBe(noSuchCustomerReason(customer));
    } finally {
      await downstream.close();
    }
  });

  it('restores completed effects on a second start over the same prefix, without seeding', async () => {
    const second = await startDemoWorld({ redisUrl: testRedisUrl(), queuePrefix });
    try {
      expect(second.seeded).toBe(false);
      const [done] = await recordings.getCompleted(0, 0);
      const outputKey = (done!.data as { outputKey: string }).outputKey;
      expect(second.standIns.s3.object(outputKey)).toBeDefined();
      expect((await recordings.getJobCounts('failed')).failed).toBe(RECORDINGS_TOTAL - 1);
    } finally {
      await second.close();
      await second.close();
    }
  });

  it('reset restores the seeded counts and the stand-ins after a replay', async () => {
    expect((await billing.getJobCounts('completed')).completed).toBe(1);
    await world.reset();
    expect(await recordings.getJobCounts('completed', 'failed')).toEqual({
      completed: 0,
      failed: RECORDINGS_TOTAL,
    });
    expect(await billing.getJobCounts('completed', 'failed')).toEqual({
      completed: 0,
      failed: BILLING_TOTAL,
    });
    expect(await webhooks.getJobCounts('failed', 'delayed')).toEqual({
      failed: GIVEN_UP_ACME_JOBS,
      delayed: RETRYING_GLOBEX_JOBS,
    });
    expect(world.standIns.s3.keys()).toHaveLength(GIVEN_UP_RECORDINGS_JOBS);
    expect(world.standIns.stripe.store.invoices).toHaveLength(2 * GIVEN_UP_BILLING_JOBS);
  });
});
