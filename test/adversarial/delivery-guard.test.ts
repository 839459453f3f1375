import { Redis } from 'ioredis';
import { DELIVERY_MEMORY_MS, RedisDeliveryGuard } from '../../src/delivery-guard';
import { silentLogger } from '../../src/logger';
import { deleteKeysWithPrefix, randomPrefix, testRedis } from '../helpers/redis';

describe('RedisDeliveryGuard', () => {
  const prefix = randomPrefix('adv-dg');
  const redis = testRedis();

  afterAll(async () => {
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
  });

  it('answers true for a trigger id once, false for its copies, and forgets it after the window', async () => {
    const guard = new RedisDeliveryGuard(redis, prefix, silentLogger);
    expect(await guard.firstDelivery('1.2.abc')).toBe(true);
    expect(await guard.firstDelivery('1.2.abc')).toBe(false);
    expect(await guard.firstDelivery('1.2.abd')).toBe(true);
    const ttl = await redis.pttl(`${prefix}:delivery:1.2.abc`);
    expect(ttl).toBeGreaterThan(DELIVERY_MEMORY_MS - 60_000);
    expect(ttl).toBeLessThanOrEqual(DELIVERY_MEMORY_MS);
  });

  it('decides two simultaneous copies once', async () => {
    const guard = new RedisDeliveryGuard(redis, prefix, silentLogger);
    const answers = await Promise.all(Array.from({ length: 10 }, () => guard.firstDelivery('race.1.x')));
    expect(answers.filter(Boolean)).toHaveLength(1);
  });

  it('treats a request as new when the state Redis cannot answer (the store still decides approvals once)', async () => {
    const down = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    down.on('error', () => undefined);
    const guard = new RedisDeliveryGuard(down, prefix, silentLogger);
    expect(await guard.firstDelivery('1.2.down')).toBe(true);
    down.disconnect();
  });
});
