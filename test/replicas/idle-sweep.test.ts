import type { Redis } from 'ioredis';
import type { Services } from '../../src/services';
import { deleteKeysWithPrefix, randomPrefix, testRedis } from '../helpers/redis';
import { meteredSweep, sweepServices } from './sweep-meter';
import type { SweepClient } from './sweep-stubs';

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
    services = sweepServices(statePrefix, queuePrefix, 'idle-sweep');
  });

  afterAll(async () => {
    await services?.close();
    await deleteKeysWithPrefix(redis, statePrefix);
    await redis.quit();
  });

  it('reads three small sets, writes nothing and calls no Slack method when nothing is unfinished', async () => {
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
    const { report, stateCommands, queueCommands } = await meteredSweep(services, client);
    expect(report).toEqual({ finished: 0, busy: 0, failed: 0, approvedRun: 0, closed: 0 });
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
