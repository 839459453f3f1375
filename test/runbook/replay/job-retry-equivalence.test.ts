import { Job, Queue, Worker, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { silentLogger } from '../../../src/logger';
import { executeBatch } from '../../../src/runbook/replay/executor';
import { RedisBatchJournal } from '../../../src/runbook/replay/journal';
import { eventually } from '../../helpers/eventually';
import { deleteKeysWithPrefix, randomPrefix, testRedis, testRedisUrl } from '../../helpers/redis';
import { QUEUE, batchOf, movesOutOfFailed, workerConnection } from './helpers';

/** A plain job, a prioritized one and a LIFO one: each takes its own branch of BullMQ's move. */
const JOBS: { name: string; data: unknown; opts: JobsOptions }[] = [
  { name: 'webhook.deliver', data: { tenant: 'acme', delivery: 'd-1' }, opts: {} },
  { name: 'webhook.deliver', data: { tenant: 'acme', delivery: 'd-2' }, opts: { priority: 5 } },
  { name: 'webhook.deliver', data: { tenant: 'umbrella', delivery: 'd-3' }, opts: { lifo: true } },
];
const ATTEMPTS = 2;
/** Written by the clock or by the failure's stack, not by the move. */
const TIME_FIELDS = new Set(['timestamp', 'processedOn', 'finishedOn', 'stacktrace']);

interface Seen {
  readonly id: string;
  readonly name: string;
  readonly data: unknown;
  readonly attemptsMade: number;
  readonly attemptsStarted: number;
}

/** The same given-up jobs, the same way, in a queue of its own (ids 1, 2, 3 in both). */
async function seedGivenUp(url: string, prefix: string): Promise<string[]> {
  const connection = workerConnection(url);
  const queue = new Queue(QUEUE, { connection, prefix });
  queue.on('error', () => undefined);
  const worker = new Worker(QUEUE, () => Promise.reject(new Error('endpoint returned 500')), {
    connection,
    prefix,
    concurrency: 1,
    autorun: false,
  });
  worker.on('error', () => undefined);
  try {
    const ids: string[] = [];
    for (const job of JOBS) {
      const added = await queue.add(job.name, job.data, {
        ...job.opts,
        attempts: ATTEMPTS,
        backoff: { type: 'fixed', delay: 1 },
      });
      ids.push(String(added.id));
    }
    void worker.run();
    await eventually(async () => ((await queue.getFailedCount()) === JOBS.length ? true : undefined), 10_000);
    return ids;
  } finally {
    await worker.close();
    await queue.close();
    await connection.quit().catch(() => connection.disconnect());
  }
}

/** A real Worker that succeeds, one job at a time; what it saw of each job, in order. */
async function processAll(url: string, prefix: string): Promise<Seen[]> {
  const connection = workerConnection(url);
  const seen: Seen[] = [];
  const worker = new Worker(
    QUEUE,
    (job) => {
      seen.push({
        id: String(job.id),
        name: job.name,
        data: job.data,
        attemptsMade: job.attemptsMade,
        attemptsStarted: job.attemptsStarted,
      });
      return Promise.resolve('delivered');
    },
    { connection, prefix, concurrency: 1 },
  );
  worker.on('error', () => undefined);
  try {
    await eventually(() => Promise.resolve(seen.length === JOBS.length ? true : undefined), 10_000);
    return seen;
  } finally {
    await worker.close();
    await connection.quit().catch(() => connection.disconnect());
  }
}

describe('a job moved by the chunk script is a job moved by Job.retry', () => {
  let redis: Redis;
  const ours = randomPrefix('replay-eq-ours');
  const theirs = randomPrefix('replay-eq-retry');
  const statePrefix = randomPrefix('replay-eq-s');

  beforeAll(() => {
    redis = testRedis();
  });
  afterAll(async () => {
    for (const prefix of [ours, theirs, statePrefix]) await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
  });

  /** Every field but the clock's, of every job; then each structure a move touches. */
  async function snapshot(prefix: string, ids: readonly string[]) {
    const key = (suffix: string): string => `${prefix}:${QUEUE}:${suffix}`;
    const jobs = await Promise.all(
      ids.map(async (id) =>
        Object.fromEntries(
          Object.entries(await redis.hgetall(key(id))).filter(([field]) => !TIME_FIELDS.has(field)),
        ),
      ),
    );
    const fieldNames = await Promise.all(
      ids.map(async (id) => Object.keys(await redis.hgetall(key(id))).sort()),
    );
    return {
      jobs,
      fieldNames,
      failed: (await redis.zrange(key('failed'), '0', '-1')).sort(),
      wait: await redis.lrange(key('wait'), '0', '-1'),
      prioritized: await redis.zrange(key('prioritized'), '0', '-1', 'WITHSCORES'),
      pc: await redis.get(key('pc')),
      marker: await redis.zrange(key('marker'), '0', '-1', 'WITHSCORES'),
      maxLenEvents: await redis.hget(key('meta'), 'opts.maxLenEvents'),
      moves: [...(await movesOutOfFailed(redis, prefix, QUEUE))].sort(),
    };
  }

  it('same hash fields, same sets and lists, same event, and a Worker runs it the same way', async () => {
    const [ourIds, theirIds] = [
      await seedGivenUp(testRedisUrl(), ours),
      await seedGivenUp(testRedisUrl(), theirs),
    ];
    expect(ourIds).toEqual(theirIds);
    // The seeding Worker may leave a delay marker behind, timed by its own clock: start both from none.
    for (const prefix of [ours, theirs]) await redis.del(`${prefix}:${QUEUE}:marker`);
    const before = [await snapshot(ours, ourIds), await snapshot(theirs, theirIds)];
    expect(before[0]).toEqual(before[1]);

    // Ours: the engine's real path, one chunk holding all three.
    const journal = new RedisBatchJournal(redis, statePrefix, silentLogger);
    const outcomes = await executeBatch({
      batch: await batchOf(redis, ours, QUEUE, ourIds),
      connection: redis,
      journal,
      logger: silentLogger,
    });
    expect(outcomes.map((o) => o.status)).toEqual(['replayed', 'replayed', 'replayed']);
    // Theirs: BullMQ's own move, in the same order, with the options the engine documents.
    const queue = new Queue(QUEUE, { connection: redis, prefix: theirs, skipMetasUpdate: true });
    queue.on('error', () => undefined);
    try {
      for (const id of theirIds) {
        await (await Job.fromId(queue, id))!.retry('failed', {
          resetAttemptsMade: false,
          resetAttemptsStarted: false,
        });
      }
    } finally {
      await queue.close();
    }

    const after = [await snapshot(ours, ourIds), await snapshot(theirs, theirIds)];
    expect(after[0]).toEqual(after[1]);
    // What that means, spelled out: out of `failed`, the failure fields gone, the attempt counts kept.
    expect(after[0]!.failed).toEqual([]);
    expect(after[0]!.wait).toEqual([ourIds[0], ourIds[2]]);
    expect(after[0]!.prioritized.filter((_, i) => i % 2 === 0)).toEqual([ourIds[1]]);
    for (const names of after[0]!.fieldNames) {
      expect(names).not.toEqual(expect.arrayContaining(['finishedOn']));
      expect(names).not.toEqual(expect.arrayContaining(['failedReason']));
    }
    expect(after[0]!.jobs.map((job) => job.atm)).toEqual(['2', '2', '2']);
    expect(after[0]!.moves).toEqual(ourIds.map((id) => [id, 1]).sort());

    // A real Worker takes them in the same order and sees the same job: "a replay keeps the attempt count".
    const seen = [await processAll(testRedisUrl(), ours), await processAll(testRedisUrl(), theirs)];
    expect(seen[0]).toEqual(seen[1]);
    expect(seen[0]!.map((s) => s.attemptsMade)).toEqual([2, 2, 2]);
    // After processing, the marker is the Worker's own scheduling note, timed by its clock:
    // it is compared right after the move (above), not after the Worker ran.
    const withoutMarker = ({ marker: _marker, ...rest }: Awaited<ReturnType<typeof snapshot>>) => rest;
    const done = [await snapshot(ours, ourIds), await snapshot(theirs, theirIds)].map(withoutMarker);
    expect(done[0]).toEqual(done[1]);
    expect(done[0]!.jobs.map((job) => job.returnvalue)).toEqual([
      '"delivered"',
      '"delivered"',
      '"delivered"',
    ]);
  });
});
