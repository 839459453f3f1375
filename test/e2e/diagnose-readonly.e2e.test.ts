import type { Redis } from 'ioredis';
import { SANDBOX_IDS } from '../../src/sandbox';
import { seedFailedFast, seedWithWorker } from '../helpers/bullmq-fixtures';
import {
  clientAddress,
  startCommandCounter,
  writeKind,
  type RecordedCommand,
} from '../helpers/command-counter';
import { eventually } from '../helpers/eventually';
import {
  deleteKeysWithPrefix,
  dumpKeysWithPrefix,
  randomPrefix,
  testRedis,
  testRedisUrl,
} from '../helpers/redis';
import { startHarness, type Harness } from './harness';

/** The census walks the whole (shared) Redis, so its commands depend on other tests' keys: judged apart. */
const CENSUS_COMMANDS = new Set(['SCAN', 'TYPE', 'DBSIZE']);
const CENSUS_KEY_BUDGET = 5_000;
const SCAN_COUNT = 250;

/**
 * Commands the bot's own connections issued during one `/stuckjobs diagnose`.
 * MONITOR cannot tell whose script a `lua` line belongs to, and other test
 * files run BullMQ workers meanwhile: keep script lines only if they touch
 * this test's prefix (the bot runs no scripts, so any such line is a failure).
 */
async function diagnoseRecording(harness: Harness, prefix: string): Promise<RecordedCommand[]> {
  const sources = await Promise.all([
    clientAddress(harness.services.redis.queues),
    clientAddress(harness.services.redis.state),
  ]);
  const counter = await startCommandCounter(testRedisUrl(), { sources });
  const before = harness.emulator.calls.length;
  await harness.emulator.sendSlashCommand({ text: 'diagnose' });
  const post = await harness.emulator.waitForCall(
    'chat.postMessage',
    (call) => harness.emulator.calls.indexOf(call) >= before,
    20_000,
  );
  await eventually(async () => {
    const session = await harness.services.sessions.current(SANDBOX_IDS.team, SANDBOX_IDS.incidentChannel);
    return session?.threadTs === post.response.ts ? session : undefined;
  });
  const commands = await counter.stop();
  return commands.filter((c) => c.source !== 'lua' || c.args.some((arg) => arg.startsWith(prefix)));
}

function envFor(prefix: string): Record<string, string> {
  return {
    QUEUE_PREFIX: prefix,
    STATE_PREFIX: `${prefix}-bot`,
    TREND_WINDOW_MS: '100',
    CENSUS_KEY_BUDGET: String(CENSUS_KEY_BUDGET),
  };
}

describe('diagnose is read-only and its cost does not grow with the backlog', () => {
  let redis: Redis;
  const prefixes: string[] = [];
  beforeAll(() => {
    redis = testRedis();
  });
  afterAll(async () => {
    for (const prefix of prefixes) {
      await deleteKeysWithPrefix(redis, prefix);
      await deleteKeysWithPrefix(redis, `${prefix}-bot`);
    }
    await redis.quit();
  });

  it('leaves every key and value under the queue prefix identical and writes only under its own prefix', async () => {
    const prefix = randomPrefix('ro');
    prefixes.push(prefix);
    await seedWithWorker({
      url: testRedisUrl(),
      prefix,
      queue: 'webhook-delivery',
      jobs: [
        {
          name: 'deliver-webhook',
          data: { url: 'http://127.0.0.1:9/x' },
          failWith: 'HTTP 503 from http://127.0.0.1:9/x',
        },
        { name: 'deliver-webhook', data: { url: 'http://127.0.0.1:9/y' }, attempts: 3, failWith: 'HTTP 500' },
        { name: 'deliver-webhook', data: { ok: true } },
      ],
    });
    await seedFailedFast({
      redis,
      prefix,
      queue: 'billing-housekeeping',
      count: 20,
      name: 'close-billing-period',
      dataFor: (i) => ({ tenantId: `t${i}` }),
      failedReason: 'Stripe 404',
      attempts: 2,
    });
    const harness = await startHarness({ env: envFor(prefix) });
    try {
      const before = await dumpKeysWithPrefix(redis, `${prefix}:`);
      expect(before.size).toBeGreaterThan(20);
      const commands = await diagnoseRecording(harness, prefix);
      const after = await dumpKeysWithPrefix(redis, `${prefix}:`);
      expect(after).toEqual(before);

      const writes = commands.filter((c) => writeKind(c.name) !== null);
      // The delivery's trigger id (a copy of the request is not acted on twice), the session record,
      // its place in the open index and the audit line: all under the bot's own prefix.
      expect(writes.map((w) => w.name).sort()).toEqual(['SET', 'SET', 'XADD', 'ZADD']);
      for (const write of writes) {
        expect(write.args[0]).toMatch(
          new RegExp(`^${prefix}-bot:(delivery:|session:|sessions:open$|audit$)`),
        );
      }
    } finally {
      await harness.close();
    }
  }, 60_000);

  it('issues the same Redis commands for 500 and for 50,000 failed jobs', async () => {
    const counts: Record<string, number>[] = [];
    for (const size of [500, 50_000]) {
      const prefix = randomPrefix(`cost${size}`);
      prefixes.push(prefix);
      await seedFailedFast({
        redis,
        prefix,
        queue: 'webhook-delivery',
        count: size,
        name: 'deliver-webhook',
        dataFor: (i) => ({ tenantId: `t${i % 7}`, url: `http://127.0.0.1:9/${i % 3}` }),
        failedReason: 'HTTP 503 from http://127.0.0.1:9/',
        attempts: 3,
      });
      const harness = await startHarness({ env: envFor(prefix) });
      try {
        const commands = await diagnoseRecording(harness, prefix);
        const byName: Record<string, number> = {};
        for (const command of commands) byName[command.name] = (byName[command.name] ?? 0) + 1;
        counts.push(byName);
      } finally {
        await harness.close();
      }
    }
    const [small, large] = counts as [Record<string, number>, Record<string, number>];
    const withoutCensus = (byName: Record<string, number>) =>
      Object.fromEntries(Object.entries(byName).filter(([name]) => !CENSUS_COMMANDS.has(name)));
    expect(withoutCensus(large)).toEqual(withoutCensus(small));
    expect(Object.values(withoutCensus(small)).reduce((a, b) => a + b, 0)).toBeLessThan(500);
    // The census is bounded by its budgets, not by the backlog.
    for (const byName of counts) {
      expect(byName.SCAN ?? 0).toBeLessThanOrEqual(Math.ceil(CENSUS_KEY_BUDGET / SCAN_COUNT) + 1);
      expect(byName.TYPE ?? 0).toBeLessThanOrEqual(100);
      expect(byName.KEYS).toBeUndefined();
    }
  }, 120_000);
});
