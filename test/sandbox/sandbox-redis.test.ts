import { Redis } from 'ioredis';
import { ConfigError } from '../../src/errors';
import { silentLogger } from '../../src/logger';
import { INSTALL_REDIS, sandboxRedis } from '../../src/sandbox/sandbox-redis';
import { closedPortUrl } from '../helpers/loopback';
import { testRedisUrl } from '../helpers/redis';

const redisUrlOf = async () => `redis://127.0.0.1:${new URL(await closedPortUrl()).port}`;

describe('sandboxRedis', () => {
  it('uses REDIS_URL as set, without asking it', async () => {
    const url = await redisUrlOf();
    const redis = await sandboxRedis({ redisUrl: url, logger: silentLogger });
    expect(redis).toMatchObject({ url, private: false });
  });

  it("uses the machine's Redis when it answers on the default address", async () => {
    const redis = await sandboxRedis({ defaultUrl: testRedisUrl(), logger: silentLogger });
    expect(redis).toMatchObject({ url: testRedisUrl(), private: false });
  });

  it('starts a private redis-server when nothing answers, keeping nothing on disk, and stops it', async () => {
    const redis = await sandboxRedis({ defaultUrl: await redisUrlOf(), logger: silentLogger });
    expect(redis.private).toBe(true);
    const client = new Redis(redis.url, {
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      lazyConnect: true,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      expect(await client.ping()).toBe('PONG');
      expect(await client.config('GET', 'save')).toEqual(['save', '']);
      expect(await client.config('GET', 'appendonly')).toEqual(['appendonly', 'no']);
    } finally {
      client.disconnect();
    }
    await redis.stop();
    await redis.stop();
    const after = new Redis(redis.url, {
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      lazyConnect: true,
    });
    after.on('error', () => undefined);
    await expect(after.connect()).rejects.toThrow();
    after.disconnect();
  });

  it('says how to install Redis when nothing answers and redis-server is missing', async () => {
    const attempt = sandboxRedis({
      defaultUrl: await redisUrlOf(),
      redisServer: '/nonexistent/redis-server',
      logger: silentLogger,
    });
    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
    await expect(attempt).rejects.toThrow(INSTALL_REDIS);
  });
});
