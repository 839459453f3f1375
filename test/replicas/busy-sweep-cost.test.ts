import type { Redis } from 'ioredis';
import { resumeAndReport } from '../../handlers/replay/resume';
import { loadConfig } from '../../src/config';
import { silentLogger } from '../../src/logger';
import { RedisBatchJournal } from '../../src/runbook/replay/journal';
import type { ReplayBatch } from '../../src/runbook/replay/types';
import { createServices, type Services } from '../../src/services';
import { deleteKeysWithPrefix, randomPrefix, testRedis, testRedisUrl } from '../helpers/redis';

type SweepClient = Parameters<typeof resumeAndReport>[1];

const JOBS = 1_000;

/** Records the name of every command a connection sends (pipelines and scripts included). */
function recordCommands(redis: Redis, into: string[]): () => void {
  const send = redis.sendCommand.bind(redis);
  const spy = jest.spyOn(redis, 'sendCommand').mockImplementation((...args) => {
    into.push(args[0].name.toLowerCase());
    return send(...args);
  });
  return () => spy.mockRestore();
}

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
    const config = loadConfig({
      REDIS_URL: testRedisUrl(),
      STATE_PREFIX: statePrefix,
      QUEUE_PREFIX: queuePrefix,
      SLACK_BOT_TOKEN: 'xoxb-busy-sweep',
      SLACK_SIGNING_SECRET: 'busy-sweep-secret',
    });
    services = createServices(config, silentLogger, undefined, { sampleTrends: false });
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
    await Promise.all([services.redis.state.ping(), services.redis.queues.ping()]);

    const stateCommands: string[] = [];
    const queueCommands: string[] = [];
    const stops = [
      recordCommands(services.redis.state, stateCommands),
      recordCommands(services.redis.queues, queueCommands),
    ];
    const client = new Proxy({}, { get: () => undefined }) as SweepClient;
    let report;
    try {
      report = await resumeAndReport(services, client, silentLogger);
    } finally {
      for (const stop of stops) stop();
    }
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
