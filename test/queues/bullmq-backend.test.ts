import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { silentLogger } from '../../src/logger';
import { BullmqBackend } from '../../src/queues/bullmq-backend';
import { seedFailedFast, seedWithWorker, type SeedJob } from '../helpers/bullmq-fixtures';
import { deleteKeysWithPrefix, randomPrefix, testRedis, testRedisUrl } from '../helpers/redis';

const QUEUE = 'webhook-delivery';

describe('BullmqBackend.snapshot', () => {
  let redis: Redis;
  let prefix: string;
  let backend: BullmqBackend;
  const cleanups: (() => Promise<unknown>)[] = [];

  const testQueue = (name = QUEUE): Queue => {
    const queue = new Queue(name, { connection: redis, prefix });
    queue.on('error', () => undefined);
    cleanups.push(() => queue.close());
    return queue;
  };

  beforeAll(() => {
    redis = testRedis();
  });
  beforeEach(() => {
    prefix = randomPrefix();
    backend = new BullmqBackend({ connection: redis, prefix, logger: silentLogger });
  });
  afterEach(async () => {
    await backend.close();
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await deleteKeysWithPrefix(redis, prefix);
  });
  afterAll(async () => {
    await redis.quit();
  });

  it('counts, splits given-up / failed-early / will-retry and groups reasons from jobs a real Worker failed', async () => {
    const failing = (failWith: string, attempts: number, extra: Partial<SeedJob> = {}): SeedJob => ({
      name: 'webhook.deliver',
      data: { tenant: 'acme', url: 'https://acme.example/hook' },
      attempts,
      failWith,
      ...extra,
    });
    const started = Date.now();
    await seedWithWorker({
      url: testRedisUrl(),
      prefix,
      queue: QUEUE,
      jobs: [
        failing('endpoint returned 500\n    at deliver (webhooks.ts:10)', 1),
        failing('endpoint returned 500\n    at deliver (webhooks.ts:10)', 1),
        failing('endpoint returned 500', 1),
        failing('  timeout after 10000 ms  ', 1),
        failing('timeout after 10000 ms', 1),
        failing('signature key revoked', 5, { unrecoverable: true }),
        failing('endpoint returned 503', 3),
        failing('endpoint returned 503', 3),
        { name: 'webhook.deliver', data: { tenant: 'ok' } },
        { name: 'webhook.deliver', data: { tenant: 'ok' } },
      ],
    });
    const queue = testQueue();
    // A retry promoted out of `delayed` waits with its attempt already counted.
    const [promoted] = await queue.getDelayed(0, 0);
    await promoted!.promote();
    await queue.addBulk([1, 2, 3].map((i) => ({ name: 'webhook.deliver', data: { i } })));
    const settled = Date.now();

    const snap = await backend.snapshot(QUEUE, { sampleSize: 50 });

    expect(snap.counts).toEqual({
      waiting: 4,
      active: 0,
      delayed: 1,
      prioritized: 0,
      paused: 0,
      failed: 6,
      completed: 2,
      waitingChildren: 0,
    });
    expect(snap.isPaused).toBe(false);
    expect(snap.workers).toBe(0);
    expect(snap.givenUp).toEqual({ value: 5, exact: true, sampled: 6 });
    expect(snap.failedEarly).toEqual({ value: 1, exact: true, sampled: 6 });
    expect(snap.willRetry).toEqual({ value: 2, exact: true, sampled: 5 });
    expect(snap.topFailureReasons).toEqual([
      { reason: 'endpoint returned 500', count: 3 },
      { reason: 'timeout after 10000 ms', count: 2 },
      { reason: 'signature key revoked', count: 1 },
    ]);
    const unrecoverable = snap.sample.find((job) => job.failedReason === 'signature key revoked');
    expect(unrecoverable).toMatchObject({ state: 'failed', attemptsMade: 1, attemptsAllowed: 5 });
    const retrying = snap.sample.filter((job) => job.attemptsMade > 0 && job.state !== 'failed');
    expect(retrying.map((job) => job.state).sort()).toEqual(['delayed', 'waiting']);
    expect(retrying[0]).toMatchObject({ attemptsAllowed: 3, failedReason: 'endpoint returned 503' });
    expect(snap.sample.find((job) => job.state === 'failed')?.data).toEqual({
      tenant: 'acme',
      url: 'https://acme.example/hook',
    });

    const failedTimes = (await queue.getFailed()).map((job) => job.finishedOn!);
    expect(snap.oldestFailedAt).toBe(Math.min(...failedTimes));
    const waitingTimes = (await queue.getWaiting()).map((job) => job.timestamp);
    expect(snap.oldestWaitingAt).toBe(Math.min(...waitingTimes));
    expect(snap.oldestWaitingAt).toBe(promoted!.timestamp);
    expect(snap.oldestFailedAt).toBeGreaterThanOrEqual(started);
    expect(snap.oldestFailedAt).toBeLessThanOrEqual(settled);
    expect(snap.reading).toMatchObject({ depth: 5, added: 13 });
    expect(await backend.readDepth(QUEUE)).toMatchObject({ depth: 5, added: 13 });
  });

  it('newest failed jobs come first in the sample, and an empty queue reads as zeros', async () => {
    await seedFailedFast({
      redis,
      prefix,
      queue: QUEUE,
      count: 5,
      name: 'n',
      dataFor: (i) => i,
      failedReason: 'x',
      attempts: 1,
    });
    const snap = await backend.snapshot(QUEUE, { sampleSize: 3 });
    expect(snap.sample.map((job) => job.id)).toEqual(['5', '4', '3']);
    expect(snap.sample.map((job) => job.data)).toEqual([4, 3, 2]);

    const empty = await backend.snapshot('recording-postprocess', { sampleSize: 3 });
    expect(empty.counts.failed + empty.reading.depth + empty.reading.added).toBe(0);
    expect(empty).toMatchObject({
      oldestWaitingAt: null,
      oldestFailedAt: null,
      sample: [],
      topFailureReasons: [],
    });
    expect(empty.givenUp).toEqual({ value: 0, exact: true, sampled: 0 });
  });

  it('extrapolates from a bounded sample, and says so', async () => {
    await seedFailedFast({
      redis,
      prefix,
      queue: QUEUE,
      count: 200,
      name: 'webhook.deliver',
      dataFor: (i) => ({ i }),
      failedReason: 'endpoint returned 500',
      attempts: 3,
      attemptsMadeFor: (i) => (i % 2 === 0 ? 3 : 1),
    });
    const small = await backend.snapshot(QUEUE, { sampleSize: 50 });
    expect(small.givenUp).toEqual({ value: 100, exact: false, sampled: 50 });
    expect(small.failedEarly).toEqual({ value: 100, exact: false, sampled: 50 });
    expect(small.sample).toHaveLength(50);
    expect(small.topFailureReasons).toEqual([{ reason: 'endpoint returned 500', count: 50 }]);

    const whole = await backend.snapshot(QUEUE, { sampleSize: 200 });
    expect(whole.givenUp).toEqual({ value: 100, exact: true, sampled: 200 });
  });

  it('reports a paused queue and still counts its waiting jobs', async () => {
    const queue = testQueue();
    await queue.addBulk([1, 2].map((i) => ({ name: 'recording.transcode', data: { i } })));
    await queue.pause();
    const snap = await backend.snapshot(QUEUE, { sampleSize: 10 });
    expect(snap.isPaused).toBe(true);
    expect(snap.counts.waiting + snap.counts.paused).toBe(2);
    expect(snap.reading.depth).toBe(2);
  });

  it('reads a legacy (BullMQ <= 4) paused list and ignores its wait-list marker', async () => {
    const base = `${prefix}:${QUEUE}`;
    await redis.hset(`${base}:1`, { name: 'a', data: '{not json', opts: '{}', timestamp: 1000 });
    await redis.hset(`${base}:2`, {
      name: 'b',
      data: '"s"',
      opts: '{"attempts":2}',
      timestamp: 2000,
      atm: 1,
    });
    await redis.rpush(`${base}:wait`, '2', '0:1000');
    await redis.rpush(`${base}:paused`, '1');
    await redis.hset(`${base}:meta`, 'paused', '1');
    const snap = await backend.snapshot(QUEUE, { sampleSize: 10 });
    expect(snap.counts).toMatchObject({ waiting: 1, paused: 1 });
    expect(snap.isPaused).toBe(true);
    expect(snap.sample).toEqual([
      {
        id: '2',
        name: 'b',
        state: 'waiting',
        data: 's',
        rawData: '"s"',
        attemptsMade: 1,
        attemptsAllowed: 2,
        createdAt: 2000,
      },
    ]);
    expect(snap.willRetry).toEqual({ value: 1, exact: true, sampled: 1 });
    expect(snap.oldestWaitingAt).toBe(2000);
    expect((await backend.readDepth(QUEUE)).depth).toBe(2);
    // The marker is still there: reading it must not pop it.
    expect(await redis.lrange(`${base}:wait`, 0, -1)).toEqual(['2', '0:1000']);
  });

  it('counts a connected Worker, and none once it is gone', async () => {
    const connection = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
    connection.on('error', () => undefined);
    const worker = new Worker(QUEUE, () => Promise.resolve(), { connection, prefix });
    worker.on('error', () => undefined);
    await worker.waitUntilReady();
    let workers: number | null = 0;
    for (let i = 0; i < 50 && workers === 0; i++) {
      workers = (await backend.snapshot(QUEUE, { sampleSize: 1 })).workers;
      if (workers === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(workers).toBe(1);
    await worker.close();
    await connection.quit();
    expect((await backend.snapshot(QUEUE, { sampleSize: 1 })).workers).toBe(0);
  });

  it('reports workers as unknown (null), never 1, when CLIENT LIST is refused', async () => {
    const blocked = testRedis();
    cleanups.push(() => blocked.quit());
    // What GCP Memorystore answers; bullmq turns it into a placeholder entry.
    jest
      .spyOn(blocked, 'client')
      .mockRejectedValue(new Error("ERR unknown command 'client', with args beginning with: 'LIST'"));
    const probe = new Queue(QUEUE, { connection: blocked, prefix, skipMetasUpdate: true });
    cleanups.push(() => probe.close());
    expect(await probe.getWorkers()).toEqual([{ name: 'GCP does not support client list' }]);
    const gcp = new BullmqBackend({ connection: blocked, prefix, logger: silentLogger });
    cleanups.push(() => gcp.close());
    const snap = await gcp.snapshot(QUEUE, { sampleSize: 1 });
    expect(snap.workers).toBeNull();
  });

  it('close() is idempotent, keeps the shared connection open and refuses later snapshots', async () => {
    await backend.snapshot(QUEUE, { sampleSize: 1 });
    await Promise.all([backend.close(), backend.close()]);
    await backend.close();
    expect(redis.status).toBe('ready');
    expect(await redis.ping()).toBe('PONG');
    await expect(backend.snapshot(QUEUE, { sampleSize: 1 })).rejects.toThrow('closed');
  });
});
