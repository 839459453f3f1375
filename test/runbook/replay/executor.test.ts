import { Job } from 'bullmq';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { silentLogger } from '../../../src/logger';
import { BatchBusyError, JournalMismatchError } from '../../../src/runbook/replay/errors';
import { executeBatch } from '../../../src/runbook/replay/executor';
import { unfinishedIndexKey, type RedisBatchJournal } from '../../../src/runbook/replay/journal';
import { SkipReason, type ReplayBatch } from '../../../src/runbook/replay/types';
import { seedWithWorker, LONG_BACKOFF_MS } from '../../helpers/bullmq-fixtures';
import { testRedis, testRedisUrl } from '../../helpers/redis';
import { eventually } from '../../helpers/eventually';
import {
  QUEUE,
  batchOf,
  cleanReplayScope,
  failingWorker,
  freshReplayScope,
  movesOutOfFailed,
  seedGivenUp,
} from './helpers';

describe('executeBatch', () => {
  let redis: Redis;
  let prefix: string;
  let statePrefix: string;
  let journal: RedisBatchJournal;
  let queue: Queue;

  const run = (batch: ReplayBatch, onProgress?: (done: number, total: number) => void, chunkSize?: number) =>
    executeBatch({
      batch,
      connection: redis,
      journal,
      logger: silentLogger,
      ...(onProgress ? { onProgress } : {}),
      ...(chunkSize !== undefined ? { chunkSize } : {}),
    });
  const key = (suffix: string): string => `${prefix}:${QUEUE}:${suffix}`;

  beforeAll(() => {
    redis = testRedis();
  });
  beforeEach(() => {
    ({ prefix, statePrefix, journal, queue } = freshReplayScope(redis));
  });
  afterEach(() => cleanReplayScope(redis, { prefix, statePrefix, queue }));
  afterAll(async () => {
    await redis.quit();
  });

  it('moves 10 given-up jobs to wait exactly once, keeps their attempt counts, and journals each', async () => {
    const ids = await seedGivenUp({ url: testRedisUrl(), prefix, queue: QUEUE, count: 10, attempts: 3 });
    const batch = await batchOf(redis, prefix, QUEUE, ids);
    const progress: [number, number][] = [];

    const outcomes = await run(batch, (done, total) => progress.push([done, total]), 4);

    expect(outcomes).toEqual(ids.map((jobId) => ({ jobId, status: 'replayed' })));
    // Once per chunk of 4, each after the chunk's verdicts are in the journal.
    expect(progress).toEqual([
      [4, 10],
      [8, 10],
      [10, 10],
    ]);
    // In batch order: the first one moved is the first a worker takes (LPUSH, taken from the right).
    expect(await redis.lrange(key('wait'), '0', '-1')).toEqual([...ids].reverse());
    expect(await redis.zcard(key('failed'))).toBe(0);
    expect(await redis.llen(key('wait'))).toBe(10);
    const moves = await movesOutOfFailed(redis, prefix, QUEUE);
    for (const id of ids) {
      expect(await queue.getJobState(id)).toBe('waiting');
      expect(moves.get(id)).toBe(1);
      // Not reset: one more failure puts it straight back in `failed` (see replay-job.ts).
      const [atm, finishedOn, failedReason] = await redis.hmget(key(id), 'atm', 'finishedOn', 'failedReason');
      expect({ atm, finishedOn, failedReason }).toEqual({ atm: '3', finishedOn: null, failedReason: null });
    }
    const entries = await journal.entries(batch.id);
    expect([...entries.values()].map((e) => (e === 'unreadable' ? e : e.status))).toEqual(
      ids.map(() => 'replayed'),
    );
    expect(await redis.hget(journal.keys(batch.id).meta, 'state')).toBe('done');
    expect(await redis.smembers(unfinishedIndexKey(statePrefix))).toEqual([]);
    expect(await journal.listUnfinished()).toEqual([]);
  });

  it('skips a job whose payload was rewritten after the plan, and moves the rest', async () => {
    const ids = await seedGivenUp({ url: testRedisUrl(), prefix, queue: QUEUE, count: 3, attempts: 1 });
    const batch = await batchOf(redis, prefix, QUEUE, ids);
    const changed = (await Job.fromId(queue, ids[1]!))!;
    await changed.updateData({ tenant: 'acme', delivery: 'd-1', url: 'https://evil.example/' });

    const outcomes = await run(batch);

    expect(outcomes.map((o) => o.status)).toEqual(['replayed', 'skipped', 'replayed']);
    expect(outcomes[1]).toEqual({ jobId: ids[1], status: 'skipped', reason: SkipReason.PayloadChanged });
    expect(await queue.getJobState(ids[1]!)).toBe('failed');
    expect((await movesOutOfFailed(redis, prefix, QUEUE)).get(ids[1]!)).toBeUndefined();
    const entry = (await journal.entries(batch.id)).get(ids[1]!);
    expect(entry).toMatchObject({ status: 'skipped', reason: SkipReason.PayloadChanged });
  });

  it('skips a job that failed again since the plan (same payload, new failure), and moves the rest', async () => {
    const ids = await seedGivenUp({ url: testRedisUrl(), prefix, queue: QUEUE, count: 2, attempts: 1 });
    const planned = await batchOf(redis, prefix, QUEUE, ids);
    const finishedOn = async (id: string) => Number(await redis.hget(key(id), 'finishedOn'));
    const batch: ReplayBatch = {
      ...planned,
      jobs: await Promise.all(
        planned.jobs.map(async (job) => ({ ...job, failedAt: await finishedOn(job.id) })),
      ),
    };
    // Retried by someone else and failed again (say, on a Stripe 4xx): a new finishedOn and reason.
    await redis.hset(
      key(ids[0]!),
      'finishedOn',
      String((await finishedOn(ids[0]!)) + 1000),
      'failedReason',
      'StripeInvalidRequestError (status 400)',
    );

    const outcomes = await run(batch);

    expect(outcomes).toEqual([
      { jobId: ids[0], status: 'skipped', reason: SkipReason.FailedAgain },
      { jobId: ids[1], status: 'replayed' },
    ]);
    expect(await queue.getJobState(ids[0]!)).toBe('failed');
  });

  it('skips jobs that are no longer failed or no longer exist', async () => {
    const ids = await seedGivenUp({ url: testRedisUrl(), prefix, queue: QUEUE, count: 3, attempts: 1 });
    const batch = await batchOf(redis, prefix, QUEUE, ids);
    // Someone else replayed one from a dashboard, and removed another.
    await (await Job.fromId(queue, ids[0]!))!.retry('failed');
    await (await Job.fromId(queue, ids[2]!))!.remove();

    const outcomes = await run(batch);

    expect(outcomes).toEqual([
      { jobId: ids[0], status: 'skipped', reason: SkipReason.NotFailed },
      { jobId: ids[1], status: 'replayed' },
      { jobId: ids[2], status: 'skipped', reason: SkipReason.Gone },
    ]);
    // The dashboard's move is the only one: the executor added none.
    expect((await movesOutOfFailed(redis, prefix, QUEUE)).get(ids[0]!)).toBe(1);
    expect(await queue.getJobState(ids[0]!)).toBe('waiting');
  });

  it('never moves a job the worker is still retrying or that has attempts left', async () => {
    const ids = await seedWithWorker({
      url: testRedisUrl(),
      prefix,
      queue: QUEUE,
      jobs: [
        { name: 'webhook.deliver', data: { n: 1 }, attempts: 3, backoffMs: LONG_BACKOFF_MS, failWith: '503' },
        {
          name: 'webhook.deliver',
          data: { n: 2 },
          attempts: 3,
          failWith: 'key revoked',
          unrecoverable: true,
        },
        { name: 'webhook.deliver', data: { n: 3 }, attempts: 1, failWith: '500' },
      ],
    });
    const batch = await batchOf(redis, prefix, QUEUE, ids);

    const outcomes = await run(batch);

    expect(outcomes).toEqual([
      { jobId: ids[0], status: 'skipped', reason: SkipReason.NotFailed },
      { jobId: ids[1], status: 'skipped', reason: SkipReason.AttemptsLeft },
      { jobId: ids[2], status: 'replayed' },
    ]);
    expect(await queue.getJobState(ids[0]!)).toBe('delayed');
    expect(await queue.getJobState(ids[1]!)).toBe('failed');
    expect(await redis.hget(key(ids[1]!), 'atm')).toBe('1');
    const moves = await movesOutOfFailed(redis, prefix, QUEUE);
    expect([moves.get(ids[0]!), moves.get(ids[1]!), moves.get(ids[2]!)]).toEqual([undefined, undefined, 1]);
  });

  it('moves nothing when a finished batch runs again', async () => {
    const ids = await seedGivenUp({ url: testRedisUrl(), prefix, queue: QUEUE, count: 5, attempts: 1 });
    const batch = await batchOf(redis, prefix, QUEUE, ids);
    const first = await run(batch);
    // The worker is still broken: every replayed job is back in failed, given up
    // again, same payload. Only the journal stands between them and a second move.
    const worker = failingWorker(testRedisUrl(), prefix, QUEUE);
    try {
      await eventually(async () => ((await redis.zcard(key('failed'))) === 5 ? true : undefined));
    } finally {
      await worker.close();
    }
    const eventsBefore = await redis.xlen(key('events'));

    const second = await run(batch);

    expect(second).toEqual(first);
    expect(await redis.xlen(key('events'))).toBe(eventsBefore);
    const moves = await movesOutOfFailed(redis, prefix, QUEUE);
    for (const id of ids) expect(moves.get(id)).toBe(1);
  });

  it('refuses to run a batch whose lease another run holds, and moves nothing', async () => {
    const ids = await seedGivenUp({ url: testRedisUrl(), prefix, queue: QUEUE, count: 2, attempts: 1 });
    const batch = await batchOf(redis, prefix, QUEUE, ids);
    await journal.begin(batch);
    expect(await journal.claim(batch.id, 'other-replica', 10_000)).toBe(true);

    await expect(run(batch)).rejects.toBeInstanceOf(BatchBusyError);

    expect(await redis.zcard(key('failed'))).toBe(2);
    expect(await redis.get(journal.keys(batch.id).lease)).toBe('other-replica');
  });

  it('refuses a batch id whose journal lists other jobs', async () => {
    const ids = await seedGivenUp({ url: testRedisUrl(), prefix, queue: QUEUE, count: 2, attempts: 1 });
    const batch = await batchOf(redis, prefix, QUEUE, ids);
    await journal.begin({ ...batch, jobs: batch.jobs.slice(0, 1) });

    await expect(run(batch)).rejects.toBeInstanceOf(JournalMismatchError);
    expect(await redis.zcard(key('failed'))).toBe(2);
  });

  it('fails closed on an unreadable journal entry: reported, not moved', async () => {
    const ids = await seedGivenUp({ url: testRedisUrl(), prefix, queue: QUEUE, count: 2, attempts: 1 });
    const batch = await batchOf(redis, prefix, QUEUE, ids);
    await journal.begin(batch);
    await redis.hset(journal.keys(batch.id).entries, ids[0]!, '{"status":"moving"}');

    const outcomes = await run(batch);

    expect(outcomes[0]).toEqual({ jobId: ids[0], status: 'skipped', reason: SkipReason.UnreadableJournal });
    expect(outcomes[1]).toEqual({ jobId: ids[1], status: 'replayed' });
    expect(await queue.getJobState(ids[0]!)).toBe('failed');
  });
});
