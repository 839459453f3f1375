import type { Redis } from 'ioredis';
import { silentLogger } from '../../../src/logger';
import { chunkArgs, readChunk, runChunk, type JobRead } from '../../../src/runbook/replay/replay-chunk';
import type { RunContext } from '../../../src/runbook/replay/run-context';
import type { ReplayBatch } from '../../../src/runbook/replay/types';
import { testRedis, testRedisUrl } from '../../helpers/redis';
import {
  batchOf,
  cleanReplayScope,
  freshReplayScope,
  movesOutOfFailed,
  QUEUE,
  seedGivenUp,
  type ReplayScope,
} from './helpers';

/**
 * The chunk script's own guards, each of which the TypeScript side also
 * applies first: called directly here, so a guard deleted from the script
 * fails a test even though the engine around it would have caught the case.
 */
describe('replay-chunk-9.lua guards, called directly', () => {
  let redis: Redis;
  let scope: ReplayScope;
  let batch: ReplayBatch;
  let ctx: RunContext;

  beforeEach(async () => {
    redis = testRedis();
    scope = freshReplayScope(redis);
    const ids = await seedGivenUp({
      url: testRedisUrl(),
      prefix: scope.prefix,
      queue: QUEUE,
      count: 3,
      attempts: 1,
    });
    batch = await batchOf(redis, scope.prefix, QUEUE, ids);
    ctx = {
      batchId: batch.id,
      kind: 'replay',
      redis,
      queue: scope.queue,
      key: (suffix) => scope.queue.toKey(suffix),
      ledgerKey: scope.journal.ledgerKey(batch.id),
      chunkSize: 10,
      journal: scope.journal,
      owner: 'test',
      leaseMs: 30_000,
      log: silentLogger,
    };
  });
  /** One chunk as the executor runs it: its arguments from the read, then the script. */
  const moveChunk = (jobs: ReplayBatch['jobs'], reads: JobRead[]) =>
    runChunk(ctx, jobs, chunkArgs(ctx, jobs, reads));

  afterEach(async () => {
    await cleanReplayScope(redis, scope);
    await redis.quit();
  });

  it('never moves a job twice: a second call on the same batch answers from the ledger', async () => {
    const reads = await readChunk(ctx, batch.jobs);
    const first = await moveChunk(batch.jobs, reads);
    expect(first.map((v) => [v.verdict, v.earlier])).toEqual(batch.jobs.map(() => ['moved', false]));
    // The same reads again, as a second executor holding stale reads would send them.
    const second = await moveChunk(batch.jobs, reads);
    expect(second.map((v) => [v.verdict, v.earlier])).toEqual(batch.jobs.map(() => ['moved', true]));
    const moves = await movesOutOfFailed(redis, scope.prefix, QUEUE);
    for (const job of batch.jobs) expect(moves.get(job.id)).toBe(1);
  });

  it('leaves a job whose payload changed after the read, atomically with the move', async () => {
    const [job] = batch.jobs;
    const reads = await readChunk(ctx, batch.jobs);
    // Changed between the read (which the SHA-256 check passed) and the move.
    await redis.hset(`${scope.prefix}:${QUEUE}:${job!.id}`, 'data', JSON.stringify({ tampered: true }));
    const verdicts = await moveChunk(batch.jobs, reads);
    expect(verdicts[0]).toMatchObject({ jobId: job!.id, verdict: 'payload-changed' });
    expect(await redis.zscore(`${scope.prefix}:${QUEUE}:failed`, job!.id)).not.toBeNull();
    expect(verdicts.slice(1).map((v) => v.verdict)).toEqual(['moved', 'moved']);
  });

  it('leaves a job that was attempted again after the read (its attempt count moved)', async () => {
    const [job] = batch.jobs;
    const reads = await readChunk(ctx, batch.jobs);
    await redis.hincrby(`${scope.prefix}:${QUEUE}:${job!.id}`, 'atm', 1);
    const verdicts = await moveChunk(batch.jobs, reads);
    expect(verdicts[0]).toMatchObject({ jobId: job!.id, verdict: 'failed-again' });
    expect(await redis.zscore(`${scope.prefix}:${QUEUE}:failed`, job!.id)).not.toBeNull();
  });
});
