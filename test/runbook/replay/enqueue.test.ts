import type { Queue } from 'bullmq';
import { Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { createBatchManifest } from '../../../src/approvals/batch-manifest';
import type { CheckResult } from '../../../src/checks/types';
import { silentLogger } from '../../../src/logger';
import { planEnqueue } from '../../../src/runbook/plan/enqueue-plan';
import { redisJobExistence } from '../../../src/runbook/plan/job-existence';
import { batchFromManifest } from '../../../src/runbook/replay/batch-from-manifest';
import { executeBatch } from '../../../src/runbook/replay/executor';
import { RedisBatchJournal } from '../../../src/runbook/replay/journal';
import { reconcileUnfinished } from '../../../src/runbook/replay/reconcile';
import {
  ReplayedReason,
  SkipReason,
  type BatchJournal,
  type JournalEntry,
  type ReplayBatch,
} from '../../../src/runbook/replay/types';
import { buildWorkflows } from '../../../src/workflows';
import { eventually } from '../../helpers/eventually';
import { deleteKeysWithPrefix, randomPrefix, testRedis, testRedisUrl } from '../../helpers/redis';
import { RECORDINGS, enqueueBatchOf, eventsPerJob, recordingJob } from './enqueue-helpers';
import { testQueue, workerConnection } from './helpers';

const passAll = {
  check: (): Promise<CheckResult> =>
    Promise.resolve({ check: 'target-exists', status: 'pass', reason: 'exists' }),
};

describe('executeBatch, enqueue batches', () => {
  let redis: Redis;
  let prefix: string;
  let statePrefix: string;
  let journal: RedisBatchJournal;
  let queue: Queue;

  const key = (suffix: string): string => `${prefix}:${RECORDINGS}:${suffix}`;
  const run = (batch: ReplayBatch) =>
    executeBatch({ batch, connection: redis, journal, logger: silentLogger });
  const reconcile = () => reconcileUnfinished({ connection: redis, journal, logger: silentLogger });
  const added = (event: 'added' | 'duplicated' = 'added') => eventsPerJob(redis, prefix, RECORDINGS, event);

  /** `/stuckjobs enqueue recordings <ids…> --tenant acme`, planned and approved: the batch the approval hands over. */
  async function approvedEnqueue(ids: readonly string[]): Promise<ReplayBatch> {
    const plan = await planEnqueue(
      { workflows: buildWorkflows(undefined), targets: passAll, jobs: redisJobExistence(redis, prefix) },
      { workflow: 'recordings', ids, tenant: 'acme' },
    );
    if (plan.status !== 'planned') throw new Error(plan.reason);
    const manifest = createBatchManifest({
      kind: 'enqueue',
      sessionId: 'sess-1',
      teamId: 'T1',
      channelId: 'C1',
      workflow: 'recordings',
      queue: plan.queue,
      cohort: { tenant: 'acme' },
      jobs: plan.eligible.map(({ id, payloadSha256, enqueue }) => ({ id, payloadSha256, enqueue })),
      batchNumber: 1,
      requestedBy: 'U-REQ',
      dryRun: false,
    });
    return batchFromManifest(manifest, prefix);
  }

  /** What the executor writes right before adding `job`, then crashes; `at` is the job's `timestamp` if it was added. */
  async function crashWhileAdding(batch: ReplayBatch, jobId: string): Promise<number> {
    await journal.begin(batch);
    const at = Date.now() - 5;
    await journal.write(batch.id, jobId, { status: 'moving', at });
    return at;
  }

  /** The add the crashed run made before dying, as the executor makes it. */
  async function addAsTheCrashedRunDid(job: ReplayBatch['jobs'][number], at: number): Promise<void> {
    await queue.add(job.enqueue!.name, JSON.parse(job.enqueue!.data) as object, {
      jobId: job.id,
      timestamp: at,
      attempts: 1,
      removeOnComplete: false,
      removeOnFail: false,
    });
  }

  beforeAll(() => {
    redis = testRedis();
  });
  beforeEach(() => {
    prefix = randomPrefix('enqueue-q');
    statePrefix = randomPrefix('enqueue-s');
    journal = new RedisBatchJournal(redis, statePrefix, silentLogger);
    queue = testQueue(redis, prefix, RECORDINGS);
  });
  afterEach(async () => {
    await queue.close();
    await deleteKeysWithPrefix(redis, prefix);
    await deleteKeysWithPrefix(redis, statePrefix);
  });
  afterAll(async () => {
    await redis.quit();
  });

  it('enqueue twice with the same ids creates each job once', async () => {
    const ids = ['rec-1', 'rec-2', 'rec-3'];
    const first = await approvedEnqueue(ids);
    // Planned before the first batch ran (two operators, or a stale plan): approved for the same jobs.
    const stale = await approvedEnqueue(ids);

    const outcomes = await run(first);

    expect(outcomes).toEqual(
      first.jobs.map((job) => ({ jobId: job.id, status: 'replayed', reason: ReplayedReason.Enqueued })),
    );
    for (const job of first.jobs) {
      const stored = await redis.hgetall(key(job.id));
      expect(stored).toMatchObject({ name: 'transmux-recording', data: job.enqueue!.data });
      expect(JSON.parse(stored.opts ?? '{}')).toMatchObject({
        attempts: 1,
        removeOnComplete: false,
        removeOnFail: false,
      });
    }
    expect(await queue.getJobCounts()).toMatchObject({
      waiting: 3,
      active: 0,
      completed: 0,
      failed: 0,
      delayed: 0,
    });

    // The same command again: every id is already enqueued, so nothing is planned.
    const again = await planEnqueue(
      { workflows: buildWorkflows(undefined), targets: passAll, jobs: redisJobExistence(redis, prefix) },
      { workflow: 'recordings', ids: [...ids, 'rec-4'], tenant: 'acme' },
    );
    expect(again).toMatchObject({
      status: 'planned',
      eligible: [{ sourceId: 'rec-4' }],
      excluded: ids.map((id) => ({ id, reason: 'already enqueued' })),
    });

    // The stale approval runs: each job already exists, so it adds nothing.
    const second = await run(stale);
    expect(second).toEqual(
      stale.jobs.map((job) => ({ jobId: job.id, status: 'skipped', reason: SkipReason.AlreadyExists })),
    );
    // And the first batch re-run (a retried click) reads its journal.
    expect(await run(first)).toEqual(outcomes);

    expect(await queue.getJobCounts()).toMatchObject({ waiting: 3 });
    expect(await redis.llen(key('wait'))).toBe(3);
    const adds = await added();
    expect(first.jobs.map((job) => adds.get(job.id))).toEqual([1, 1, 1]);
    // Not even a no-op add reached BullMQ: the EXISTS check came first.
    expect((await added('duplicated')).size).toBe(0);
  });

  it('skips an id someone else enqueued after the plan, leaving their job as it is', async () => {
    const batch = await approvedEnqueue(['rec-1', 'rec-2']);
    await queue.add('transmux-recording', { theirs: true }, { jobId: batch.jobs[0]!.id });
    const theirs = await redis.hgetall(key(batch.jobs[0]!.id));

    const outcomes = await run(batch);

    expect(outcomes).toEqual([
      { jobId: batch.jobs[0]!.id, status: 'skipped', reason: SkipReason.AlreadyExists },
      { jobId: batch.jobs[1]!.id, status: 'replayed', reason: ReplayedReason.Enqueued },
    ]);
    expect(await redis.hgetall(key(batch.jobs[0]!.id))).toEqual(theirs);
    expect(await queue.getJobCounts()).toMatchObject({ waiting: 2 });
  });

  it('does not count a job another batch added between its check and its add', async () => {
    const batch = enqueueBatchOf(prefix, ['rec-1']);
    const job = batch.jobs[0]!;
    // The other batch's add lands right after this run journals `moving`: the last moment before its own add.
    const racing: BatchJournal = {
      begin: (b) => journal.begin(b),
      claim: (id, owner, ttl) => journal.claim(id, owner, ttl),
      renew: (id, owner, ttl) => journal.renew(id, owner, ttl),
      release: (id, owner) => journal.release(id, owner),
      entries: (id) => journal.entries(id),
      finish: (id) => journal.finish(id),
      listUnfinished: () => journal.listUnfinished(),
      writeMany: (batchId, entries) => journal.writeMany(batchId, entries),
      ledgerKey: (batchId) => journal.ledgerKey(batchId),
      write: async (batchId: string, jobId: string, entry: JournalEntry) => {
        await journal.write(batchId, jobId, entry);
        if (entry.status === 'moving') await addAsTheCrashedRunDid(job, entry.at - 1);
      },
    };

    const outcomes = await executeBatch({ batch, connection: redis, journal: racing, logger: silentLogger });

    expect(outcomes).toEqual([{ jobId: job.id, status: 'skipped', reason: SkipReason.AlreadyExists }]);
    expect((await added()).get(job.id)).toBe(1);
    expect((await added('duplicated')).get(job.id)).toBe(1);
  });

  it('skips a job whose payload is not the approved one, and adds nothing for it', async () => {
    const batch = enqueueBatchOf(prefix, ['rec-1', 'rec-2']);
    const tampered: ReplayBatch = {
      ...batch,
      jobs: [{ ...batch.jobs[0]!, payloadSha256: recordingJob('rec-9').payloadSha256 }, batch.jobs[1]!],
    };

    const outcomes = await run(tampered);

    expect(outcomes[0]).toEqual({
      jobId: batch.jobs[0]!.id,
      status: 'skipped',
      reason: SkipReason.PayloadChanged,
    });
    expect(outcomes[1]?.status).toBe('replayed');
    expect(await redis.exists(key(batch.jobs[0]!.id))).toBe(0);
  });

  it('gives the job one supervised attempt: a failing worker leaves it given up in failed', async () => {
    const batch = enqueueBatchOf(prefix, ['rec-1']);
    await run(batch);
    const connection = workerConnection(testRedisUrl());
    const worker = new Worker(RECORDINGS, () => Promise.reject(new Error('S3 500')), { connection, prefix });
    worker.on('error', () => undefined);
    try {
      await eventually(async () => ((await redis.zcard(key('failed'))) === 1 ? true : undefined));
    } finally {
      await worker.close();
      await connection.quit();
    }
    const job = (await Job.fromId(queue, batch.jobs[0]!.id))!;
    expect({ attemptsMade: job.attemptsMade, attempts: job.opts.attempts }).toEqual({
      attemptsMade: 1,
      attempts: 1,
    });
    expect(await queue.getJobCounts()).toMatchObject({ failed: 1, delayed: 0, waiting: 0 });
  });

  describe('recovery of a `moving` entry', () => {
    it('counts a job the crashed run had added, and adds nothing', async () => {
      const batch = enqueueBatchOf(prefix, ['rec-1', 'rec-2']);
      const at = await crashWhileAdding(batch, batch.jobs[0]!.id);
      await addAsTheCrashedRunDid(batch.jobs[0]!, at);

      const [result] = await reconcile();

      expect(result?.status).toBe('finished');
      expect(result?.status === 'finished' && result.outcomes).toEqual([
        { jobId: batch.jobs[0]!.id, status: 'replayed', reason: ReplayedReason.EnqueueRecovered },
        { jobId: batch.jobs[1]!.id, status: 'replayed', reason: ReplayedReason.Enqueued },
      ]);
      const adds = await added();
      expect(batch.jobs.map((job) => adds.get(job.id))).toEqual([1, 1]);
      expect((await added('duplicated')).size).toBe(0);
      expect(await queue.getJobCounts()).toMatchObject({ waiting: 2 });
    });

    it('adds a job the crashed run had not added yet, once', async () => {
      const batch = enqueueBatchOf(prefix, ['rec-1']);
      await crashWhileAdding(batch, batch.jobs[0]!.id);
      expect(await redis.exists(key(batch.jobs[0]!.id))).toBe(0);

      const [result] = await reconcile();

      expect(result?.status === 'finished' && result.outcomes).toEqual([
        { jobId: batch.jobs[0]!.id, status: 'replayed', reason: ReplayedReason.Enqueued },
      ]);
      expect(await redis.hget(key(batch.jobs[0]!.id), 'data')).toBe(batch.jobs[0]!.enqueue!.data);
      expect((await added()).get(batch.jobs[0]!.id)).toBe(1);
      // Settled for good: another recovery finds nothing to do.
      expect(await reconcile()).toEqual([]);
      expect((await added()).get(batch.jobs[0]!.id)).toBe(1);
    });

    it('does not claim a job someone else added under the id after the crash', async () => {
      const batch = enqueueBatchOf(prefix, ['rec-1']);
      const at = await crashWhileAdding(batch, batch.jobs[0]!.id);
      await addAsTheCrashedRunDid(batch.jobs[0]!, at + 1);

      const [result] = await reconcile();

      expect(result?.status === 'finished' && result.outcomes).toEqual([
        { jobId: batch.jobs[0]!.id, status: 'skipped', reason: SkipReason.AlreadyExists },
      ]);
      expect((await added()).get(batch.jobs[0]!.id)).toBe(1);
    });

    it('does not add again a job the crashed run added that was removed since', async () => {
      const batch = enqueueBatchOf(prefix, ['rec-1']);
      const at = await crashWhileAdding(batch, batch.jobs[0]!.id);
      await addAsTheCrashedRunDid(batch.jobs[0]!, at);
      await (await Job.fromId(queue, batch.jobs[0]!.id))!.remove();

      const [result] = await reconcile();

      expect(result?.status === 'finished' && result.outcomes).toEqual([
        { jobId: batch.jobs[0]!.id, status: 'replayed', reason: ReplayedReason.EnqueueRecoveredFromEvents },
      ]);
      expect(await redis.exists(key(batch.jobs[0]!.id))).toBe(0);
      expect((await added()).get(batch.jobs[0]!.id)).toBe(1);
    });
  });
});
