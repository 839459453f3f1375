import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { seedFailedFast, seedWithWorker } from '../helpers/bullmq-fixtures';
import { deleteKeysWithPrefix, randomPrefix, testRedis, testRedisUrl } from '../helpers/redis';

describe('bullmq fixtures', () => {
  let redis: Redis;
  let prefix: string;
  const queues: Queue[] = [];

  const openQueue = (name: string): Queue => {
    const queue = new Queue(name, { connection: redis, prefix, skipMetasUpdate: true });
    queue.on('error', () => undefined);
    queues.push(queue);
    return queue;
  };

  beforeAll(() => {
    redis = testRedis();
  });
  beforeEach(() => {
    prefix = randomPrefix();
  });
  afterEach(async () => {
    await Promise.all(queues.splice(0).map((queue) => queue.close()));
    await deleteKeysWithPrefix(redis, prefix);
  });
  afterAll(async () => {
    await redis.quit();
  });

  it('seedFailedFast writes the same job hash fields and failed-set score a real Worker leaves', async () => {
    const [realId] = await seedWithWorker({
      url: testRedisUrl(),
      prefix,
      queue: 'real',
      jobs: [{ name: 'deliver', data: { tenant: 't1' }, attempts: 1, failWith: 'endpoint returned 500' }],
    });
    const [fastId] = await seedFailedFast({
      redis,
      prefix,
      queue: 'fast',
      count: 1,
      name: 'deliver',
      dataFor: () => ({ tenant: 't1' }),
      failedReason: 'endpoint returned 500',
      attempts: 1,
    });
    const real = await redis.hgetall(`${prefix}:real:${realId}`);
    const fast = await redis.hgetall(`${prefix}:fast:${fastId}`);
    expect(Object.keys(fast).sort()).toEqual(Object.keys(real).sort());
    for (const field of ['name', 'data', 'opts', 'atm', 'ats', 'failedReason', 'delay', 'priority']) {
      expect({ field, value: fast[field] }).toEqual({ field, value: real[field] });
    }
    expect(await redis.zscore(`${prefix}:real:failed`, realId!)).toBe(real['finishedOn']);
    expect(await redis.zscore(`${prefix}:fast:failed`, fastId!)).toBe(fast['finishedOn']);
    expect(await redis.get(`${prefix}:fast:id`)).toBe('1');
  });

  it("seedFailedFast jobs read back correctly through bullmq's own getters", async () => {
    const ids = await seedFailedFast({
      redis,
      prefix,
      queue: 'billing-housekeeping',
      count: 20,
      name: 'invoice.finalize',
      dataFor: (i) => ({ invoice: `in_${i}` }),
      failedReason: 'Stripe 402: card declined',
      attempts: 3,
      attemptsMadeFor: (i) => (i === 0 ? 1 : 3),
    });
    const queue = openQueue('billing-housekeeping');
    expect(await queue.getJobCounts('failed', 'waiting', 'delayed')).toEqual({
      failed: 20,
      waiting: 0,
      delayed: 0,
    });
    const newest = await queue.getFailed(0, 1);
    expect(newest.map((job) => job.id)).toEqual([ids[19], ids[18]]);
    expect(newest[0]).toMatchObject({
      name: 'invoice.finalize',
      data: { invoice: 'in_19' },
      attemptsMade: 3,
      failedReason: 'Stripe 402: card declined',
      opts: expect.objectContaining({ attempts: 3 }) as unknown,
    });
    const first = await queue.getJob(ids[0]!);
    expect(first?.attemptsMade).toBe(1);
    expect(await first?.getState()).toBe('failed');
    expect(first!.finishedOn! - first!.timestamp).toBe(10);
  });

  it('seeds 50,000 failed jobs in a few seconds', async () => {
    const started = Date.now();
    await seedFailedFast({
      redis,
      prefix,
      queue: 'webhook-delivery',
      count: 50_000,
      name: 'webhook.deliver',
      dataFor: (i) => ({ tenant: `t${i % 7}`, url: `https://tenant.example/hook/${i}` }),
      failedReason: 'connect ETIMEDOUT',
      attempts: 5,
    });
    const elapsed = Date.now() - started;
    console.info(
      `seedFailedFast: 50,000 jobs in ${elapsed} ms (${Math.round(50_000 / (elapsed / 1000))} jobs/s)`,
    );
    expect(await redis.zcard(`${prefix}:webhook-delivery:failed`)).toBe(50_000);
    expect(await redis.get(`${prefix}:webhook-delivery:id`)).toBe('50000');
    expect(elapsed).toBeLessThan(15_000);
  });
});
