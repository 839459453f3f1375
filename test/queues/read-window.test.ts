import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { silentLogger } from '../../src/logger';
import { BullmqBackend } from '../../src/queues/bullmq-backend';
import { seedFailedFast, seedWithWorker } from '../helpers/bullmq-fixtures';
import { deleteKeysWithPrefix, randomPrefix, testRedis, testRedisUrl } from '../helpers/redis';

describe('BullmqBackend.readWindow and readJob', () => {
  let redis: Redis;
  let backend: BullmqBackend;
  const prefix = randomPrefix('win');
  beforeAll(() => {
    redis = testRedis();
    backend = new BullmqBackend({ connection: redis, prefix, logger: silentLogger });
  });
  afterAll(async () => {
    await backend.close();
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
  });

  it('reads failed jobs newest first, bounded by the window, and says when capped', async () => {
    const ids = await seedFailedFast({
      redis,
      prefix,
      queue: 'q1',
      count: 12,
      name: 'n',
      dataFor: (i) => ({ i }),
      failedReason: 'x',
      attempts: 1,
    });
    const window = await backend.readWindow('q1', 'failed', 5);
    expect(window.jobs.map((j) => j.id)).toEqual(ids.slice(-5).reverse());
    expect(window).toMatchObject({ stateCount: 12, capped: true });
    expect(window.jobs[0]?.rawData).toBe(JSON.stringify({ i: 11 }));
  });

  it('leaves payloads over the cap out of the window, keeping order and the other fields', async () => {
    const ids = await seedFailedFast({
      redis,
      prefix,
      queue: 'q2',
      count: 3,
      name: 'n',
      dataFor: (i) => ({ i, blob: i === 1 ? 'x'.repeat(5_000) : '' }),
      failedReason: 'boom',
      attempts: 2,
    });
    const window = await backend.readWindow('q2', 'failed', 10, 1_000);
    expect(window.jobs.map((j) => j.id)).toEqual([...ids].reverse());
    const big = window.jobs.find((j) => j.id === ids[1]);
    expect(big).toMatchObject({ rawData: null, failedReason: 'boom', attemptsMade: 2, attemptsAllowed: 2 });
    expect(big?.omittedDataBytes).toBeGreaterThan(5_000);
    expect(window.jobs.filter((j) => j.omittedDataBytes === undefined)).toHaveLength(2);
    expect((await backend.readJob('q2', 'failed', ids[1]!))?.rawData).toContain('x'.repeat(5_000));
  });

  it('reads delayed and waiting windows, and readJob answers only for the state the job is in', async () => {
    const [retrying] = await seedWithWorker({
      url: testRedisUrl(),
      prefix,
      queue: 'q3',
      jobs: [{ name: 'n', data: { a: 1 }, attempts: 3, failWith: 'again' }],
    });
    const delayed = await backend.readWindow('q3', 'delayed', 10);
    expect(delayed.jobs.map((j) => j.id)).toEqual([retrying]);
    expect(delayed.jobs[0]).toMatchObject({ attemptsMade: 1, failedReason: 'again' });
    expect(await backend.readJob('q3', 'delayed', retrying!)).toBeDefined();
    expect(await backend.readJob('q3', 'failed', retrying!)).toBeUndefined();
    expect((await backend.readWindow('q3', 'waiting', 10)).jobs).toEqual([]);
  });

  it('counts prioritized jobs as waiting', async () => {
    const queue = new Queue('q4', { connection: redis, prefix, skipMetasUpdate: true });
    queue.on('error', () => undefined);
    const plain = await queue.add('n', { p: 0 });
    const urgent = await queue.add('n', { p: 1 }, { priority: 1 });
    await queue.close();
    const window = await backend.readWindow('q4', 'waiting', 10);
    expect(window.jobs.map((j) => j.id)).toEqual([plain.id, urgent.id]);
    expect(window.stateCount).toBe(2);
    expect(await backend.readJob('q4', 'waiting', urgent.id!)).toBeDefined();
  });
});
