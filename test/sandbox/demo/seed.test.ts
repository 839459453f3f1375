import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  DEMO_QUEUE,
  GIVEN_UP_ACME_JOBS,
  RETRYING_GLOBEX_JOBS,
  demoMarkerKey,
  resetDemoWorld,
  seedDemoWorld,
} from '../../../src/sandbox/demo/seed';
import { startDemoStandIns, type DemoStandIns } from '../../../src/sandbox/demo/stand-ins';
import { deleteKeysWithPrefix, randomPrefix, testRedis } from '../../helpers/redis';

describe('seedDemoWorld', () => {
  let redis: Redis;
  let standIns: DemoStandIns;
  let queue: Queue;
  let queueConnection: Redis;
  const queuePrefix = randomPrefix('demo');

  beforeAll(async () => {
    redis = testRedis();
    standIns = await startDemoStandIns();
    queueConnection = redis.duplicate();
    queue = new Queue(DEMO_QUEUE, { connection: queueConnection, prefix: queuePrefix });
  });
  afterAll(async () => {
    await queue.close();
    await queueConnection.quit();
    await deleteKeysWithPrefix(redis, queuePrefix);
    await redis.quit();
    await standIns.close();
  });

  const counts = () => queue.getJobCounts('waiting', 'active', 'completed', 'failed', 'delayed');

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
    expect(await redis.get(unrelated)).toBe('x');
  });
});
