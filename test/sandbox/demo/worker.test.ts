import { Job, Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { resetDemoWorld, WEBHOOKS_QUEUE } from '../../../src/sandbox/demo/seed';
import { startDemoStandIns, type DemoStandIns } from '../../../src/sandbox/demo/stand-ins';
import { startDemoWorker, type DemoWorker } from '../../../src/sandbox/demo/worker';
import { eventually } from '../../helpers/eventually';
import { deleteKeysWithPrefix, randomPrefix, testRedis, testRedisUrl } from '../../helpers/redis';

describe('startDemoWorker', () => {
  let redis: Redis;
  let standIns: DemoStandIns;
  let queue: Queue;
  let queueConnection: Redis;
  let worker: DemoWorker | undefined;
  const queuePrefix = randomPrefix('demo');

  beforeAll(async () => {
    redis = testRedis();
    standIns = await startDemoStandIns();
    queueConnection = redis.duplicate();
    queue = new Queue(WEBHOOKS_QUEUE, { connection: queueConnection, prefix: queuePrefix });
    await resetDemoWorld({ redis, queuePrefix, standIns });
  });
  afterEach(async () => {
    await worker?.close();
    worker = undefined;
  });
  afterAll(async () => {
    await queue.close();
    await queueConnection.quit();
    await deleteKeysWithPrefix(redis, queuePrefix);
    await redis.quit();
    await standIns.close();
  });

  it('delivers a retried given-up acme job and records the 2xx in its returnvalue', async () => {
    const [given] = await queue.getFailed(0, 0);
    const id = given!.id!;
    worker = startDemoWorker({ connection: testRedisUrl(), queuePrefix, standIns });
    await Job.fromId(queue, id).then((job) => job!.retry('failed'));

    const done = await eventually(async () => {
      const job = await Job.fromId(queue, id);
      return job && (await job.isCompleted()) ? job : undefined;
    });
    expect(done.returnvalue).toEqual({ status: 200 });
    const raw = await redis.hget(`${queuePrefix}:${WEBHOOKS_QUEUE}:${id}`, 'returnvalue');
    expect(raw).toBe('{"status":200}');
    const posts = standIns.tenantRequests.filter((r) => r.method === 'POST' && r.tenant === 'acme');
    expect(posts).toHaveLength(1);
    expect(JSON.parse(posts[0]!.body)).toEqual((done.data as { body: unknown }).body);
  });

  it('fails a globex delivery with the HTTP status and url', async () => {
    const [delayed] = await queue.getDelayed(0, 0);
    const data = delayed!.data as Record<string, unknown>;
    const eventsConnection = redis.duplicate({ maxRetriesPerRequest: null });
    const events = new QueueEvents(WEBHOOKS_QUEUE, { connection: eventsConnection, prefix: queuePrefix });
    await events.waitUntilReady();
    try {
      worker = startDemoWorker({ connection: testRedisUrl(), queuePrefix, standIns });
      const job = await queue.add('deliver-webhook', data, { attempts: 1 });
      await expect(job.waitUntilFinished(events, 10_000)).rejects.toThrow(
        `HTTP 503 from ${standIns.tenantUrl('globex')}`,
      );
    } finally {
      await events.close();
      await eventsConnection.quit();
    }
  });

  it('refuses to deliver anywhere but the tenant stand-in', async () => {
    const eventsConnection = redis.duplicate({ maxRetriesPerRequest: null });
    const events = new QueueEvents(WEBHOOKS_QUEUE, { connection: eventsConnection, prefix: queuePrefix });
    await events.waitUntilReady();
    try {
      worker = startDemoWorker({ connection: testRedisUrl(), queuePrefix, standIns });
      const job = await queue.add(
        'deliver-webhook',
        { tenantId: 'acme', webhookId: 'wh_x', url: 'https://example.com/hook', event: 'e', body: {} },
        { attempts: 3 },
      );
      await expect(job.waitUntilFinished(events, 10_000)).rejects.toThrow(
        'delivers only to the tenant stand-in',
      );
      expect((await Job.fromId(queue, job.id!))?.attemptsMade).toBe(1);
    } finally {
      await events.close();
      await eventsConnection.quit();
    }
  });
});
