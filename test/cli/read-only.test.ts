import type { Redis } from 'ioredis';
import { seedFailedFast } from '../helpers/bullmq-fixtures';
import { startCommandCounter, touchingPrefix, writeKind } from '../helpers/command-counter';
import { startLoopback, type Loopback } from '../helpers/loopback';
import { deleteKeysWithPrefix, dumpKeysWithPrefix, testRedis, testRedisUrl } from '../helpers/redis';
import { cliEnv, cliPrefixes, runCapture } from './cli-io';
import { seedIncident, WEBHOOK_QUEUE } from './seed';

/** Invariant 1 from the terminal: every CLI command leaves Delphi's keys exactly as they were. */
describe('the CLI never writes to Delphi keys', () => {
  const prefixes = cliPrefixes('clir');
  let redis: Redis;
  let tenant: Loopback;

  beforeAll(async () => {
    redis = testRedis();
    tenant = await startLoopback((_req, res) => res.writeHead(200).end());
    await seedIncident(redis, prefixes.queue, tenant.url);
    // A cohort whose sample fails its checks, so the gate and a refused plan are exercised too.
    await seedFailedFast({
      redis,
      prefix: prefixes.queue,
      queue: WEBHOOK_QUEUE,
      count: 2,
      name: 'deliver-webhook',
      dataFor: (i) => ({ tenantId: 't-bad', webhookId: `wh-${i}` }),
      failedReason: 'HTTP 503',
      attempts: 1,
    });
  }, 60_000);

  afterAll(async () => {
    await tenant.close();
    await deleteKeysWithPrefix(redis, prefixes.queue);
    await deleteKeysWithPrefix(redis, prefixes.state);
    await redis.quit();
  });

  it('diagnose, sample, replay --dry-run and audit leave every queue key identical; writes go under the bot prefix only', async () => {
    const env = cliEnv(prefixes);
    const before = await dumpKeysWithPrefix(redis, `${prefixes.queue}:`);
    expect(before.size).toBeGreaterThan(10);
    const counter = await startCommandCounter(testRedisUrl());
    const codes: number[] = [];
    for (const argv of [
      ['diagnose'],
      ['diagnose', '--json'],
      ['sample', 'webhooks', '10'],
      ['sample', 'webhooks', '--state', 'delayed', '--json'],
      ['sample', 'billing', '--json'],
      ['replay', 'webhooks', '--dry-run', '--tenant', 't-ok'],
      ['replay', 'webhooks', '--dry-run', '--tenant', 't-ok', '--json'],
      ['replay', 'webhooks', '--dry-run', '--tenant', 't-bad'],
      ['replay', 'billing', '--dry-run'],
      ['audit', '50'],
      ['audit', '--json'],
    ]) {
      codes.push((await runCapture(argv, env)).code);
    }
    const commands = await counter.stop();
    // Each command ran to an answer (0 or 1), none failed (2).
    expect(codes.every((code) => code === 0 || code === 1)).toBe(true);
    expect(await dumpKeysWithPrefix(redis, `${prefixes.queue}:`)).toEqual(before);

    // Every command naming one of this test's keys: queue keys are only read, never by a script.
    const ours = touchingPrefix(commands, prefixes.queue);
    const queueKeyCommands = ours.filter((c) => c.args.some((arg) => arg.startsWith(`${prefixes.queue}:`)));
    expect(queueKeyCommands.length).toBeGreaterThan(20);
    expect(queueKeyCommands.filter((c) => writeKind(c.name) !== null)).toEqual([]);
    // What was written is the bot's own record: gate, dry-run manifests, audit.
    const writes = ours.filter((c) => writeKind(c.name) === 'write');
    expect(writes.length).toBeGreaterThan(0);
    for (const write of writes) expect(write.args[0]).toMatch(new RegExp(`^${prefixes.state}:`));
    expect(writes.map((w) => w.name)).toContain('XADD');
  }, 60_000);
});
