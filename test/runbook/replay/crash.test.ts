import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { silentLogger } from '../../../src/logger';
import { RedisBatchJournal } from '../../../src/runbook/replay/journal';
import { reconcileUnfinished } from '../../../src/runbook/replay/reconcile';
import { ReplayedReason } from '../../../src/runbook/replay/types';
import { eventually } from '../../helpers/eventually';
import { deleteKeysWithPrefix, randomPrefix, testRedis, testRedisUrl } from '../../helpers/redis';
import {
  QUEUE,
  batchOf,
  failingWorker,
  movesOutOfFailed,
  seedGivenUp,
  testQueue,
  type CountingWorker,
  readableEntries,
  withStatus,
  leaseExpired as expired,
} from './helpers';
import { runChild, type ChildEnv } from './spawn-child';

const BATCH_SIZE = 300;
/** Small chunks, so a kill lands between chunk scripts at many different points (60 chunks). */
const CHUNK_SIZE = 5;
/** Short, so each restart waits little for the dead run's lease; renewed before every chunk. */
const LEASE_MS = 1_500;

// Drawn once per run and shown in the test title, so a failure names its kill points.
const KILL_1 = randomInt(20, 80);
const CRASH_AFTER_COPY = randomInt(2, 12);
const CRASH_BEFORE_COPY = randomInt(2, 12);
const KILL_4_AFTER = randomInt(10, 40);

describe('replay crash safety (executor in a child process, SIGKILLed)', () => {
  let redis: Redis;
  let prefix: string;
  let statePrefix: string;
  let journal: RedisBatchJournal;
  let queue: Queue;
  let worker: CountingWorker | undefined;
  let dir: string;

  beforeAll(() => {
    redis = testRedis();
    prefix = randomPrefix('replay-crash-q');
    statePrefix = randomPrefix('replay-crash-s');
    journal = new RedisBatchJournal(redis, statePrefix, silentLogger);
    queue = testQueue(redis, prefix);
    dir = mkdtempSync(path.join(tmpdir(), 'stuckjobs-crash-'));
  });
  afterAll(async () => {
    await worker?.close();
    await queue.close();
    await deleteKeysWithPrefix(redis, prefix);
    await deleteKeysWithPrefix(redis, statePrefix);
    await redis.quit();
    rmSync(dir, { recursive: true, force: true });
  });

  const entriesOf = (batchId: string) => readableEntries(journal, batchId);
  const leaseExpired = (batchId: string) => expired(redis, journal, batchId);

  it(`replays each of ${BATCH_SIZE} jobs exactly once across 4 kills (at ${KILL_1} settled, after copy #${CRASH_AFTER_COPY}, before copy #${CRASH_BEFORE_COPY}, at +${KILL_4_AFTER})`, async () => {
    const ids = await seedGivenUp({
      url: testRedisUrl(),
      prefix,
      queue: QUEUE,
      count: BATCH_SIZE,
      attempts: 1,
    });
    // No `failedAt`: the frozen finishedOn cannot stop a second move here, only the journal and its ledger.
    const batch = await batchOf(redis, prefix, QUEUE, ids);
    const batchFile = path.join(dir, 'batch.json');
    writeFileSync(batchFile, JSON.stringify(batch));
    // Delphi's worker is still broken: a replayed job runs, fails and is back in
    // `failed`, given up again, with the same payload, between crash and restart.
    worker = failingWorker(testRedisUrl(), prefix, QUEUE);
    const base: ChildEnv = {
      REDIS_URL: testRedisUrl(),
      STATE_PREFIX: statePrefix,
      MODE: 'reconcile',
      LEASE_MS: String(LEASE_MS),
      STEP_DELAY_MS: '3',
      CHUNK_SIZE: String(CHUNK_SIZE),
    };
    const ledger = async (): Promise<Map<string, string>> =>
      new Map(Object.entries(await redis.hgetall(journal.ledgerKey(batch.id))));

    // 1. The first run, killed from outside at a random point.
    const first = await runChild({ ...base, MODE: 'execute', BATCH_FILE: batchFile }, KILL_1);
    expect(first).toMatchObject({ signal: 'SIGKILL', finished: false });
    let entries = await entriesOf(batch.id);
    expect(withStatus(entries, 'replayed').length).toBeGreaterThanOrEqual(KILL_1);
    expect(withStatus(entries, 'pending').length).toBeGreaterThan(0);
    await leaseExpired(batch.id);

    // 2. A restart that dies right after a chunk's journal copy, before the next chunk's move.
    const second = await runChild({ ...base, CRASH_AT: `after-copy:${CRASH_AFTER_COPY}` });
    expect(second).toMatchObject({ signal: 'SIGKILL', finished: false });
    entries = await entriesOf(batch.id);
    const notMoved = withStatus(entries, 'pending');
    expect(notMoved.length).toBeGreaterThan(0);
    // Every job the journal still calls pending is unmoved: in `failed`, no move event, no ledger verdict.
    let moves = await movesOutOfFailed(redis, prefix, QUEUE);
    let verdicts = await ledger();
    expect(notMoved.filter((id) => moves.has(id) || verdicts.has(id))).toEqual([]);
    expect(await redis.zmscore(`${prefix}:${QUEUE}:failed`, ...notMoved)).not.toContain(null);
    await leaseExpired(batch.id);

    // 3. A restart that dies right after a chunk moved, before the journal copy of its verdicts.
    const third = await runChild({ ...base, CRASH_AT: `before-copy:${CRASH_BEFORE_COPY}` });
    expect(third).toMatchObject({ signal: 'SIGKILL', finished: false });
    entries = await entriesOf(batch.id);
    moves = await movesOutOfFailed(redis, prefix, QUEUE);
    verdicts = await ledger();
    // The journal says pending, the ledger (written by the same script as the moves) says moved.
    const movedUnrecorded = withStatus(entries, 'pending').filter((id) => verdicts.has(id));
    expect(movedUnrecorded).toHaveLength(CHUNK_SIZE);
    expect(movedUnrecorded.every((id) => verdicts.get(id) === 'moved' && moves.get(id) === 1)).toBe(true);
    expect(movedUnrecorded.filter((id) => notMoved.includes(id))).toEqual(movedUnrecorded);
    // And nothing else moved without a verdict in the ledger.
    expect([...moves.keys()].filter((id) => verdicts.get(id) !== 'moved')).toEqual([]);
    // The dangerous case: moved, run and failed again, and replayable by every other check.
    await eventually(() =>
      Promise.resolve(movedUnrecorded.every((id) => worker?.runs.get(id) === 1) ? true : undefined),
    );
    await eventually(async () =>
      (await Promise.all(movedUnrecorded.map((id) => queue.getJobState(id)))).every((s) => s === 'failed')
        ? true
        : undefined,
    );
    await leaseExpired(batch.id);

    // 4. A restart killed from outside at a random point.
    const settled = withStatus(entries, 'replayed').length;
    const fourth = await runChild(base, settled + KILL_4_AFTER);
    expect(fourth).toMatchObject({ signal: 'SIGKILL', finished: false });
    expect(withStatus(await entriesOf(batch.id), 'pending').length).toBeGreaterThan(0);
    await leaseExpired(batch.id);

    // 5. Recovery in this process finishes the batch.
    const results = await reconcileUnfinished({
      connection: redis,
      journal,
      logger: silentLogger,
      chunkSize: CHUNK_SIZE,
    });
    expect(results.map((r) => r.status)).toEqual(['finished']);
    const outcomes = results[0]?.status === 'finished' ? results[0].outcomes : [];
    expect(outcomes.map((o) => o.jobId)).toEqual(ids);
    expect(outcomes.every((o) => o.status === 'replayed')).toBe(true);
    for (const id of movedUnrecorded) {
      expect(outcomes.find((o) => o.jobId === id)?.reason).toBe(ReplayedReason.Recovered);
    }

    // Exactly one move out of `failed` per job, by BullMQ's own events stream
    // (untrimmed: the seeding's first `added` event is still there).
    const [firstEvent] = await redis.xrange(`${prefix}:${QUEUE}:events`, '-', '+', 'COUNT', 1);
    expect(firstEvent?.[1]).toEqual(expect.arrayContaining(['added', ids[0]]));
    moves = await movesOutOfFailed(redis, prefix, QUEUE);
    expect(ids.filter((id) => moves.get(id) !== 1)).toEqual([]);
    verdicts = await ledger();
    expect(ids.filter((id) => verdicts.get(id) !== 'moved')).toEqual([]);
    // And one run per job by the worker, which failed each again: given up, atm 1 + 1.
    await eventually(() => Promise.resolve(worker!.runs.size === BATCH_SIZE ? true : undefined), 15_000);
    await eventually(async () =>
      (await redis.zcard(`${prefix}:${QUEUE}:failed`)) === BATCH_SIZE ? true : undefined,
    );
    expect([...worker.runs.values()].every((runs) => runs === 1)).toBe(true);
    const atm = await Promise.all(ids.map((id) => redis.hget(`${prefix}:${QUEUE}:${id}`, 'atm')));
    expect(new Set(atm)).toEqual(new Set(['2']));

    entries = await entriesOf(batch.id);
    expect(withStatus(entries, 'replayed')).toHaveLength(BATCH_SIZE);
    expect(await redis.hget(journal.keys(batch.id).meta, 'state')).toBe('done');
    expect(await journal.listUnfinished()).toEqual([]);
  }, 60_000);
});
