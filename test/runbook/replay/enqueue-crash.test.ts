import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Worker, type Job, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { silentLogger } from '../../../src/logger';
import { RedisBatchJournal } from '../../../src/runbook/replay/journal';
import { reconcileUnfinished } from '../../../src/runbook/replay/reconcile';
import { ReplayedReason } from '../../../src/runbook/replay/types';
import { eventually } from '../../helpers/eventually';
import { deleteKeysWithPrefix, randomPrefix, testRedis, testRedisUrl } from '../../helpers/redis';
import { RECORDINGS, enqueueBatchOf, eventsPerJob } from './enqueue-helpers';
import { testQueue, workerConnection, readableEntries, withStatus, leaseExpired as expired } from './helpers';
import { runChild, type ChildEnv } from './spawn-child';

const BATCH_SIZE = 150;
const LEASE_MS = 1_500;

// Drawn once per run and shown in the test title, so a failure names its kill points.
const KILL_1 = randomInt(10, 50);
const CRASH_AFTER_MOVING = randomInt(3, 20);
const CRASH_BEFORE_REPLAYED = randomInt(3, 20);

/**
 * The enqueue path through the same crash harness as replays (crash-child.ts):
 * the executor in a child process, SIGKILLed at a random point, right after a
 * `moving` write (before its add) and right after an add (before `replayed`).
 */
describe('enqueue crash safety (executor in a child process, SIGKILLed)', () => {
  let redis: Redis;
  let prefix: string;
  let statePrefix: string;
  let journal: RedisBatchJournal;
  let queue: Queue;
  let dir: string;
  let worker: Worker | undefined;
  let workerRedis: Redis | undefined;
  const runs = new Map<string, number>();

  beforeAll(() => {
    redis = testRedis();
    prefix = randomPrefix('enqueue-crash-q');
    statePrefix = randomPrefix('enqueue-crash-s');
    journal = new RedisBatchJournal(redis, statePrefix, silentLogger);
    queue = testQueue(redis, prefix, RECORDINGS);
    dir = mkdtempSync(path.join(tmpdir(), 'stuckjobs-enqueue-crash-'));
  });
  afterAll(async () => {
    await worker?.close();
    await workerRedis?.quit();
    await queue.close();
    await deleteKeysWithPrefix(redis, prefix);
    await deleteKeysWithPrefix(redis, statePrefix);
    await redis.quit();
    rmSync(dir, { recursive: true, force: true });
  });

  const entriesOf = (batchId: string) => readableEntries(journal, batchId);
  const leaseExpired = (batchId: string) => expired(redis, journal, batchId);

  it(`adds each of ${BATCH_SIZE} jobs exactly once across 3 kills (at ${KILL_1} settled, after moving #${CRASH_AFTER_MOVING}, before replayed #${CRASH_BEFORE_REPLAYED})`, async () => {
    const batch = enqueueBatchOf(
      prefix,
      Array.from({ length: BATCH_SIZE }, (_, i) => `rec-${i}`),
    );
    const ids = batch.jobs.map((job) => job.id);
    const batchFile = path.join(dir, 'batch.json');
    writeFileSync(batchFile, JSON.stringify(batch));
    // Delphi's worker is up: an added job runs (and completes) between crash and restart.
    workerRedis = workerConnection(testRedisUrl());
    worker = new Worker(
      RECORDINGS,
      (job: Job) => {
        runs.set(String(job.id), (runs.get(String(job.id)) ?? 0) + 1);
        return Promise.resolve('transmuxed');
      },
      { connection: workerRedis, prefix, concurrency: 20 },
    );
    worker.on('error', () => undefined);
    const base: ChildEnv = {
      REDIS_URL: testRedisUrl(),
      STATE_PREFIX: statePrefix,
      MODE: 'reconcile',
      LEASE_MS: String(LEASE_MS),
      STEP_DELAY_MS: '1',
    };

    // 1. The first run, killed from outside at a random point.
    const first = await runChild({ ...base, MODE: 'execute', BATCH_FILE: batchFile }, KILL_1);
    expect(first).toMatchObject({ signal: 'SIGKILL', finished: false });
    let entries = await entriesOf(batch.id);
    expect(withStatus(entries, 'pending').length).toBeGreaterThan(0);
    await leaseExpired(batch.id);

    // 2. A restart that dies right after journaling `moving`, before that add.
    const second = await runChild({ ...base, CRASH_AT: `after-moving:${CRASH_AFTER_MOVING}` });
    expect(second).toMatchObject({ signal: 'SIGKILL', finished: false });
    entries = await entriesOf(batch.id);
    const notAdded = withStatus(entries, 'moving');
    expect(notAdded).toHaveLength(1);
    expect(await redis.exists(`${prefix}:${RECORDINGS}:${notAdded[0]}`)).toBe(0);
    await leaseExpired(batch.id);

    // 3. A restart that dies right after an add, before journaling `replayed`; the worker runs the job.
    const third = await runChild({ ...base, CRASH_AT: `before-replayed:${CRASH_BEFORE_REPLAYED}` });
    expect(third).toMatchObject({ signal: 'SIGKILL', finished: false });
    entries = await entriesOf(batch.id);
    const addedUnrecorded = withStatus(entries, 'moving');
    expect(addedUnrecorded).toHaveLength(1);
    expect(addedUnrecorded[0]).not.toBe(notAdded[0]);
    await eventually(() => Promise.resolve(runs.get(addedUnrecorded[0]!) === 1 ? true : undefined));
    await leaseExpired(batch.id);

    // 4. Recovery in this process finishes the batch.
    const results = await reconcileUnfinished({ connection: redis, journal, logger: silentLogger });
    expect(results.map((r) => r.status)).toEqual(['finished']);
    const outcomes = results[0]?.status === 'finished' ? results[0].outcomes : [];
    expect(outcomes.map((o) => o.jobId)).toEqual(ids);
    expect(outcomes.every((o) => o.status === 'replayed')).toBe(true);
    expect(outcomes.find((o) => o.jobId === addedUnrecorded[0])?.reason).toBe(
      ReplayedReason.EnqueueRecovered,
    );

    // Exactly one job created per id, by BullMQ's own events stream, and one run each.
    const adds = await eventsPerJob(redis, prefix, RECORDINGS, 'added');
    expect(ids.filter((id) => adds.get(id) !== 1)).toEqual([]);
    expect(adds.size).toBe(BATCH_SIZE);
    await eventually(
      async () => ((await queue.getJobCounts()).completed === BATCH_SIZE ? true : undefined),
      15_000,
    );
    expect(await queue.getJobCounts()).toMatchObject({ completed: BATCH_SIZE, waiting: 0, failed: 0 });
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
    expect(runs.size).toBe(BATCH_SIZE);
    expect(await journal.listUnfinished()).toEqual([]);
  }, 60_000);
});
