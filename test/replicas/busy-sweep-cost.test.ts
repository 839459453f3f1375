import type { Redis } from 'ioredis';
import { silentLogger } from '../../src/logger';
import { RedisBatchJournal } from '../../src/runbook/replay/journal';
import type { ReplayBatch } from '../../src/runbook/replay/types';
import type { Services } from '../../src/services';
import { deleteKeysWithPrefix, randomPrefix, testRedis } from '../helpers/redis';
import { meteredSweep, sweepServices } from './sweep-meter';
import type { SweepClient } from './sweep-stubs';

const JOBS = 1_000;

/**
 * With two replicas, a batch running on one is listed as unfinished on every
 * sweep of the other, each period, for as long as it runs (issue 8). Such a
 * pass must see the lease and move on: no begin (a write per job), no claim,
 * no second read of the whole list per batch.
 */
describe('a recovery sweep while a 1,000-job batch runs on another replica', () => {
  const statePrefix = randomPrefix('busy-bot');
  const queuePrefix = randomPrefix('busy-q');
  let services: Services;
  let redis: Redis;

  beforeAll(() => {
    redis = testRedis();
    services = sweepServices(statePrefix, queuePrefix, 'busy-sweep');
  });

  afterAll(async () => {
    await services?.close();
    await deleteKeysWithPrefix(redis, statePrefix);
    await redis.quit();
  });

  it('reports it busy from its lease, writing nothing and reading neither its entries nor the list twice', async () => {
    const batch: ReplayBatch = {
      id: 'b-busy-1000',
      queuePrefix,
      queue: 'webhook-delivery',
      jobs: Array.from({ length: JOBS }, (_, i) => ({ id: String(i + 1), payloadSha256: 'c'.repeat(64) })),
    };
    const elsewhere = new RedisBatchJournal(redis, statePrefix, silentLogger);
    await elsewhere.begin(batch);
    expect(await elsewhere.claim(batch.id, 'replica-a', 60_000)).toBe(true);
    const client = new Proxy({}, { get: () => undefined }) as SweepClient;
    const { report, stateCommands, queueCommands } = await meteredSweep(services, client);
    console.log(
      `busy sweep (${JOBS}-job batch leased elsewhere): ${stateCommands.length} state commands ${JSON.stringify(stateCommands)}, ${queueCommands.length} queue commands`,
    );
    expect(report).toEqual({ finished: 0, busy: 1, failed: 0, approvedRun: 0, closed: 0 });
    // Journal recovery: the list (one SMEMBERS, one HMGET) and one look at the batch's state and lease.
    // The stranded check: the list again, and the unsettled approvals (none: this batch has no record).
    expect(stateCommands).toEqual(['smembers', 'hmget', 'hget', 'get', 'smembers', 'hmget', 'smembers']);
    expect(queueCommands).toEqual([]);
    expect(await redis.get(elsewhere.keys(batch.id).lease)).toBe('replica-a');
    expect(await redis.hget(elsewhere.keys(batch.id).meta, 'owner')).toBe('replica-a');
  });
});
