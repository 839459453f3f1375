import type { Redis } from 'ioredis';
import { resumeAndReport } from '../../handlers/replay/resume';
import { loadConfig } from '../../src/config';
import { silentLogger } from '../../src/logger';
import { createServices, type Services } from '../../src/services';
import { deleteKeysWithPrefix, randomPrefix, testRedis, testRedisUrl } from '../helpers/redis';

type SweepClient = Parameters<typeof resumeAndReport>[1];

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
 * Every replica sweeps every lease period (issue 8), so an idle sweep, the
 * common case, must cost next to nothing: measured here on the real services.
 */
describe('an idle recovery sweep', () => {
  const statePrefix = randomPrefix('idle-bot');
  const queuePrefix = randomPrefix('idle-q');
  let services: Services;
  let redis: Redis;

  beforeAll(() => {
    redis = testRedis();
    const config = loadConfig({
      REDIS_URL: testRedisUrl(),
      STATE_PREFIX: statePrefix,
      QUEUE_PREFIX: queuePrefix,
      SLACK_BOT_TOKEN: 'xoxb-idle-sweep',
      SLACK_SIGNING_SECRET: 'idle-sweep-secret',
    });
    services = createServices(config, silentLogger, undefined, { sampleTrends: false });
  });

  afterAll(async () => {
    await services?.close();
    await deleteKeysWithPrefix(redis, statePrefix);
    await redis.quit();
  });

  it('reads three small sets, writes nothing and calls no Slack method when nothing is unfinished', async () => {
    // Connected first, so the handshake is not counted as the sweep's.
    await Promise.all([services.redis.state.ping(), services.redis.queues.ping()]);
    const stateCommands: string[] = [];
    const queueCommands: string[] = [];
    const stops = [
      recordCommands(services.redis.state, stateCommands),
      recordCommands(services.redis.queues, queueCommands),
    ];
    const slackCalls: string[] = [];
    const client = new Proxy(
      {},
      {
        get: (_target, method) => {
          slackCalls.push(String(method));
          return undefined;
        },
      },
    ) as SweepClient;
    try {
      const report = await resumeAndReport(services, client, silentLogger);
      expect(report).toEqual({ finished: 0, busy: 0, failed: 0, approvedRun: 0, closed: 0 });
    } finally {
      for (const stop of stops) stop();
    }
    console.log(
      `idle sweep: state ${JSON.stringify(stateCommands)}, queues ${JSON.stringify(queueCommands)}`,
    );
    // The unfinished-journal index (read by journal recovery and by the stranded check) and the unsettled-approval set.
    expect(stateCommands).toEqual(['smembers', 'smembers', 'smembers']);
    expect(queueCommands).toEqual([]);
    expect(slackCalls).toEqual([]);
    expect(await redis.exists(`${statePrefix}:journals:unfinished`, `${statePrefix}:batches:unsettled`)).toBe(
      0,
    );
  });
});
