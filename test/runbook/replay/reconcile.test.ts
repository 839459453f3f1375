import { Job } from 'bullmq';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { silentLogger } from '../../../src/logger';
import { readJob } from '../../../src/runbook/replay/job-reading';
import type { RedisBatchJournal } from '../../../src/runbook/replay/journal';
import { reconcileUnfinished } from '../../../src/runbook/replay/reconcile';
import { ReplayedReason, SkipReason, type ReplayBatch } from '../../../src/runbook/replay/types';
import { eventually } from '../../helpers/eventually';
import { testRedis, testRedisUrl } from '../../helpers/redis';
import {
  QUEUE,
  batchOf,
  cleanReplayScope,
  failingWorker,
  freshReplayScope,
  movesOutOfFailed,
  seedGivenUp,
} from './helpers';

/**
 * The crash window, laid out by hand: a journal that says `moving` for a job,
 * with Redis in each state a crash can leave behind. The child-process crash
 * test (crash.test.ts) reaches the same states by killing a real run.
 */
describe('reconcileUnfinished', () => {
  let redis: Redis;
  let prefix: string;
  let statePrefix: string;
  let journal: RedisBatchJournal;
  let queue: Queue;

  const key = (suffix: string): string => `${prefix}:${QUEUE}:${suffix}`;
  const reconcile = () => reconcileUnfinished({ connection: redis, journal, logger: silentLogger });

  /** What the executor writes right before moving `jobId`, then crashes. */
  async function crashWhileMoving(batch: ReplayBatch, jobId: string): Promise<void> {
    await journal.begin(batch);
    const { mark } = await readJob(redis, key, jobId);
    await journal.write(batch.id, jobId, { status: 'moving', at: Date.now(), mark });
  }

  /** The move the crashed run made before dying (BullMQ's own, as the executor does it). */
  async function moveAsTheCrashedRunDid(jobId: string): Promise<void> {
    await (await Job.fromId(queue, jobId))!.retry('failed');
  }

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

  it('moves a `moving` job that had not moved yet, once, and finishes the pending ones', async () => {
    const ids = await seedGivenUp({ url: testRedisUrl(), prefix, queue: QUEUE, count: 3, attempts: 2 });
    const batch = await batchOf(redis, prefix, QUEUE, ids);
    await crashWhileMoving(batch, ids[0]!);

    const [result] = await reconcile();

    expect(result).toMatchObject({ status: 'finished' });
    expect(result?.status === 'finished' && result.outcomes).toEqual(
      ids.map((jobId) => ({ jobId, status: 'replayed' })),
    );
    const moves = await movesOutOfFailed(redis, prefix, QUEUE);
    expect(ids.map((id) => moves.get(id))).toEqual([1, 1, 1]);
    expect(await journal.listUnfinished()).toEqual([]);
  });

  it('never moves again a job that moved, ran and failed again before recovery', async () => {
    const ids = await seedGivenUp({ url: testRedisUrl(), prefix, queue: QUEUE, count: 2, attempts: 1 });
    const batch = await batchOf(redis, prefix, QUEUE, ids);
    await crashWhileMoving(batch, ids[0]!);
    await moveAsTheCrashedRunDid(ids[0]!);
    const worker = failingWorker(testRedisUrl(), prefix, QUEUE);
    try {
      // Back in failed, given up again (atm 2 > attempts 1), same payload: replayable by every other check.
      await eventually(async () => ((await queue.getJobState(ids[0]!)) === 'failed' ? true : undefined));
    } finally {
      await worker.close();
    }
    expect(await redis.hget(key(ids[0]!), 'atm')).toBe('2');

    const [result] = await reconcile();

    expect(result?.status === 'finished' && result.outcomes).toEqual([
      { jobId: ids[0], status: 'replayed', reason: ReplayedReason.Recovered },
      { jobId: ids[1], status: 'replayed' },
    ]);
    const moves = await movesOutOfFailed(redis, prefix, QUEUE);
    expect([moves.get(ids[0]!), moves.get(ids[1]!)]).toEqual([1, 1]);
    expect(await queue.getJobState(ids[0]!)).toBe('failed');
  });

  it('recognises a move that happened when the job still waits', async () => {
    const ids = await seedGivenUp({ url: testRedisUrl(), prefix, queue: QUEUE, count: 1, attempts: 1 });
    const batch = await batchOf(redis, prefix, QUEUE, ids);
    await crashWhileMoving(batch, ids[0]!);
    await moveAsTheCrashedRunDid(ids[0]!);

    const [result] = await reconcile();

    expect(result?.status === 'finished' && result.outcomes).toEqual([
      { jobId: ids[0], status: 'replayed', reason: ReplayedReason.Recovered },
    ]);
    expect((await movesOutOfFailed(redis, prefix, QUEUE)).get(ids[0]!)).toBe(1);
    expect(await queue.getJobState(ids[0]!)).toBe('waiting');
  });

  it('tells a moved-then-removed job (events stream) from one removed without a move', async () => {
    const ids = await seedGivenUp({ url: testRedisUrl(), prefix, queue: QUEUE, count: 2, attempts: 1 });
    const batch = await batchOf(redis, prefix, QUEUE, ids);
    await crashWhileMoving(batch, ids[0]!);
    const { mark } = await readJob(redis, key, ids[1]!);
    await journal.write(batch.id, ids[1]!, { status: 'moving', at: Date.now(), mark });
    // removeOnComplete after the replay ran, versus a cleanup that removed a failed job.
    await moveAsTheCrashedRunDid(ids[0]!);
    await (await Job.fromId(queue, ids[0]!))!.remove();
    await (await Job.fromId(queue, ids[1]!))!.remove();

    const [result] = await reconcile();

    expect(result?.status === 'finished' && result.outcomes).toEqual([
      { jobId: ids[0], status: 'replayed', reason: ReplayedReason.RecoveredFromEvents },
      { jobId: ids[1], status: 'skipped', reason: SkipReason.Gone },
    ]);
    expect((await movesOutOfFailed(redis, prefix, QUEUE)).get(ids[1]!)).toBeUndefined();
  });

  it('leaves a batch whose lease is still held alone, and takes it once the lease is gone', async () => {
    const ids = await seedGivenUp({ url: testRedisUrl(), prefix, queue: QUEUE, count: 2, attempts: 1 });
    const batch = await batchOf(redis, prefix, QUEUE, ids);
    await crashWhileMoving(batch, ids[0]!);
    await journal.claim(batch.id, 'crashed-run', 300);

    const [busy] = await reconcile();
    expect(busy).toMatchObject({ status: 'busy', owner: 'crashed-run' });
    expect(await redis.zcard(key('failed'))).toBe(2);

    await eventually(async () =>
      (await redis.exists(journal.keys(batch.id).lease)) === 0 ? true : undefined,
    );
    const [finished] = await reconcile();
    expect(finished).toMatchObject({ status: 'finished' });
    expect(await redis.zcard(key('failed'))).toBe(0);
    expect(await reconcile()).toEqual([]);
  });
});
