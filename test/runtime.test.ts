import { loadConfig } from '../src/config';
import { silentLogger } from '../src/logger';
import { startRuntime } from '../src/runtime';
import { closedPortUrl } from './helpers/loopback';
import { SANDBOX_IDS } from '../src/sandbox';
import { GIVEN_UP_ACME_JOBS } from '../src/sandbox/demo/seed';
import { deleteKeysWithPrefix, randomPrefix, testRedis, testRedisUrl } from './helpers/redis';

describe('startRuntime', () => {
  it('starts the sandbox without Slack credentials, serves /healthz and stops cleanly', async () => {
    const port = Number(new URL(await closedPortUrl()).port);
    const sandboxPrefix = randomPrefix('rt');
    const config = loadConfig({
      PORT: String(port),
      REDIS_URL: testRedisUrl(),
      SANDBOX_PREFIX: sandboxPrefix,
    });
    expect(config.mode).toBe('sandbox');
    const runtime = await startRuntime(config, silentLogger, { REDIS_URL: testRedisUrl() });
    try {
      expect(runtime.port).toBe(port);
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(200);
      // The page takes the configured port; the bot listens elsewhere on loopback for the emulator.
      expect(runtime.pageUrl).toBe(`http://localhost:${port}`);
      const page = await fetch(`http://127.0.0.1:${port}/`);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      expect(await page.text()).toContain('id="composer"');

      const reply = await runtime.sandbox!.sendSlashCommand({ text: 'help' });
      expect(reply.status).toBe(200);
      expect(JSON.parse(reply.body)).toMatchObject({ response_type: 'ephemeral' });

      // The demo incident, under the sandbox's own prefix only.
      const redis = testRedis();
      const failed = `${sandboxPrefix}:bull:webhook-delivery:failed`;
      try {
        expect(await redis.exists(`${sandboxPrefix}:bull:demo:seeded`)).toBe(1);
        expect(await redis.zcard(failed)).toBe(GIVEN_UP_ACME_JOBS);

        // Reset demo: the jobs seeded afresh, the sandbox's state and the channel emptied.
        await redis.zpopmin(failed);
        await fetch(`http://127.0.0.1:${port}/command`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ user: SANDBOX_IDS.requester, text: '/stuckjobs help' }),
        });
        expect(runtime.sandbox!.ephemerals(SANDBOX_IDS.requester)).not.toEqual([]);
        await redis.set(`${sandboxPrefix}:state:leftover`, '1');
        const reset = await fetch(`http://127.0.0.1:${port}/reset`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        });
        expect(reset.status).toBe(200);
        expect(await redis.zcard(failed)).toBe(GIVEN_UP_ACME_JOBS);
        expect(await redis.exists(`${sandboxPrefix}:state:leftover`)).toBe(0);
        expect(runtime.sandbox!.ephemerals(SANDBOX_IDS.requester)).toEqual([]);
      } finally {
        await redis.quit();
      }
    } finally {
      await runtime.stop();
      await runtime.stop();
      const cleanup = testRedis();
      await deleteKeysWithPrefix(cleanup, sandboxPrefix);
      await cleanup.quit();
    }
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });

  it('answers 503 on /healthz when Redis does not answer', async () => {
    const port = Number(new URL(await closedPortUrl()).port);
    const deadRedis = `redis://127.0.0.1:${new URL(await closedPortUrl()).port}`;
    // REDIS_URL set by the operator: the sandbox uses it as is, even when it does not answer.
    const runtime = await startRuntime(
      loadConfig({ PORT: String(port), REDIS_URL: deadRedis, SANDBOX_PREFIX: randomPrefix('rt') }),
      silentLogger,
      {
        REDIS_URL: deadRedis,
      },
    );
    try {
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(503);
      expect(await health.json()).toMatchObject({ ok: false });
      // The demo world needs that Redis too: the page says it is not there, and the sandbox runs on.
      expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toContain(
        'The demo incident could not be set up',
      );
    } finally {
      await runtime.stop();
    }
  });
});
