import { Redis } from 'ioredis';
import { loadConfig } from '../../src/config';
import { ConfigError } from '../../src/errors';
import { silentLogger } from '../../src/logger';
import { connectReplayRedis } from '../../src/redis-acl/replay-access';

const noFile = (): string => {
  throw new Error('no such file');
};

/** REPLAY_REDIS_URL and REQUIRE_REPLAY_REDIS_URL, and which connection replay gets from them. */
describe('replay connection settings', () => {
  // Never connected: lazyConnect, and only compared by identity.
  const queues = new Redis({ lazyConnect: true });

  afterAll(() => queues.disconnect());

  it('replays on REDIS_URL by default (one user, as before), with the flag off', () => {
    const config = loadConfig({}, noFile);
    expect(config.redis.replayUrl).toBeUndefined();
    expect(config.replay.requireOwnRedis).toBe(false);
    expect(connectReplayRedis(config, queues, silentLogger)).toEqual({ redis: queues, own: false });
  });

  it('opens a connection of its own for REPLAY_REDIS_URL, named for the replay role', () => {
    const config = loadConfig(
      { REPLAY_REDIS_URL: 'redis://stuckjobs-replay:pw@127.0.0.1:1', REQUIRE_REPLAY_REDIS_URL: 'true' },
      noFile,
    );
    expect(config.redis.replayUrl).toBe('redis://stuckjobs-replay:pw@127.0.0.1:1');
    const replay = connectReplayRedis(config, queues, silentLogger);
    try {
      expect(replay.own).toBe(true);
      expect(replay.redis).not.toBe(queues);
      expect(replay.redis?.options.connectionName).toBe('stuckjobs:replay');
      expect(replay.redis?.options.username).toBe('stuckjobs-replay');
    } finally {
      replay.redis?.disconnect();
    }
  });

  it('has no replay connection at all when REQUIRE_REPLAY_REDIS_URL is set without REPLAY_REDIS_URL', () => {
    const config = loadConfig({ REQUIRE_REPLAY_REDIS_URL: 'yes' }, noFile);
    expect(connectReplayRedis(config, queues, silentLogger)).toEqual({ redis: undefined, own: false });
  });

  it('names the variable when REPLAY_REDIS_URL or the flag is malformed', () => {
    expect.assertions(2);
    try {
      loadConfig({ REPLAY_REDIS_URL: 'not a url', REQUIRE_REPLAY_REDIS_URL: 'maybe' }, noFile);
    } catch (error) {
      const problems = error instanceof ConfigError ? error.problems.join('\n') : '';
      expect(problems).toMatch(/^REPLAY_REDIS_URL: /m);
      expect(problems).toMatch(/^REQUIRE_REPLAY_REDIS_URL: expected true or false/m);
    }
  });
});
