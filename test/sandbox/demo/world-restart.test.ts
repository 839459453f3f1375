import { createServer, type Server } from 'node:http';
import type { Redis } from 'ioredis';
import { WEBHOOKS_QUEUE, demoTenantOrigin } from '../../../src/sandbox/demo/seed';
import { startDemoWorld } from '../../../src/sandbox/demo/world';
import { deleteKeysWithPrefix, randomPrefix, testRedis, testRedisUrl } from '../../helpers/redis';

/** A second `npm start` over the same prefix: the webhook jobs carry the tenants' address. */
describe('startDemoWorld over an existing demo', () => {
  const queuePrefix = randomPrefix('demo-restart');
  let redis: Redis;
  let squatter: Server | undefined;

  beforeAll(() => {
    redis = testRedis();
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => (squatter ? squatter.close(() => resolve()) : resolve()));
    await deleteKeysWithPrefix(redis, queuePrefix);
    await redis.quit();
  });

  /** Where one seeded webhook job would deliver. */
  async function jobOrigin(): Promise<string> {
    const [id] = await redis.zrange(`${queuePrefix}:${WEBHOOKS_QUEUE}:failed`, '0', '0');
    const data = JSON.parse((await redis.hget(`${queuePrefix}:${WEBHOOKS_QUEUE}:${id}`, 'data')) ?? '{}') as {
      url: string;
    };
    return new URL(data.url).origin;
  }

  it('takes the same tenants port again and keeps the incident, or starts over when the port went elsewhere', async () => {
    const first = await startDemoWorld({ redisUrl: testRedisUrl(), queuePrefix });
    const origin = new URL(first.standIns.webhooks.tenantUrl('acme')).origin;
    expect(first.seeded).toBe(true);
    await first.close();

    const again = await startDemoWorld({ redisUrl: testRedisUrl(), queuePrefix });
    try {
      expect(again.seeded).toBe(false);
      expect(new URL(again.standIns.webhooks.tenantUrl('acme')).origin).toBe(origin);
      expect(await jobOrigin()).toBe(origin);
    } finally {
      await again.close();
    }

    // Something that is not a tenant holds the port now: the jobs could never be delivered.
    squatter = createServer((_req, res) => {
      res.writeHead(404);
      res.end();
    });
    await new Promise<void>((resolve) =>
      squatter!.listen(Number(new URL(origin).port), '127.0.0.1', resolve),
    );
    const moved = await startDemoWorld({ redisUrl: testRedisUrl(), queuePrefix });
    try {
      const movedOrigin = new URL(moved.standIns.webhooks.tenantUrl('acme')).origin;
      expect(movedOrigin).not.toBe(origin);
      expect(moved.seeded).toBe(true);
      expect(await demoTenantOrigin(redis, queuePrefix)).toBe(movedOrigin);
      expect(await jobOrigin()).toBe(movedOrigin);
    } finally {
      await moved.close();
    }
  });
});
