import type { Redis } from 'ioredis';
import { SANDBOX_IDS } from '../../src/sandbox';
import { startDemoWorld, type DemoWorld } from '../../src/sandbox/demo/world';
import { demoBillingAccounts, demoBillingPeriod } from '../../src/sandbox/demo/seed-billing';
import { demoRecordings } from '../../src/sandbox/demo/seed-recordings';
import { demoSeededAt } from '../../src/sandbox/demo/seed';
import { sandboxConfig, sandboxPrefixes } from '../../src/sandbox/sandbox-config';
import { eventually } from '../helpers/eventually';
import { deleteKeysWithPrefix, randomPrefix, testRedis, testRedisUrl } from '../helpers/redis';
import { startHarness, type Harness } from './harness';
import { ReplayDriver } from './replay-driver';

/**
 * The sandbox's demo world for the two workflows the browser test does not
 * walk: recordings (some sources missing) and billing (some Stripe 4xx
 * failures). Planned, approved and verified against the demo's stand-ins,
 * the jobs the runbook must never replay are left out.
 */
// Planning, a batch and a 30 s verification wait: each test must outlast its waits.
jest.setTimeout(90_000);

describe('the demo world, recordings and billing, end to end', () => {
  const prefix = randomPrefix('demo-e2e');
  const { queuePrefix } = sandboxPrefixes(prefix);
  let world: DemoWorld;
  let harness: Harness;
  let redis: Redis;
  let driver: ReplayDriver;

  beforeAll(async () => {
    redis = testRedis();
    world = await startDemoWorld({ redisUrl: testRedisUrl(), queuePrefix });
    harness = await startHarness({
      env: { SANDBOX_PREFIX: prefix, TREND_WINDOW_MS: '50', APPROVERS: SANDBOX_IDS.approver },
      config: (loaded) => sandboxConfig(loaded, undefined, world.upstreams),
    });
    driver = new ReplayDriver(harness, redis);
  }, 60_000);

  afterAll(async () => {
    await harness?.close();
    await world?.close();
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
  });

  const approvalJobIds = (text: string): string[] =>
    (/Job ids:\*? ?([^"\\]+)/.exec(text)?.[1] ?? '').split(',').map((id) => id.replace(/[`\s]/g, ''));

  async function planApproveVerify(workflow: 'recordings' | 'billing', cohort: string): Promise<string[]> {
    await driver.newIncident(workflow);
    await driver.sample(`sample ${workflow} ${cohort}`);
    const plan = await driver.plan(`replay ${workflow} ${cohort}`);
    if (plan.kind !== 'posted') throw new Error(`plan refused: ${plan.text}`);
    const ids = approvalJobIds(JSON.stringify(plan.post.args.blocks));
    await driver.click(plan.ts, 'approve', SANDBOX_IDS.approver);
    await driver.waitForState(plan.batchId, 'done');
    return ids;
  }

  /** The verification message's final text, once it says "Verified." and names the workflow's effect. */
  const verifiedSaying = (effect: string): Promise<string> =>
    eventually(
      () =>
        Promise.resolve(
          harness.emulator.calls
            .map((c) => JSON.stringify(c.args))
            .find((text) => text.includes('Verified.') && text.includes(effect)),
        ),
      30_000,
    );

  it('replays the recordings that timed out (a cohort without the missing sources), and verifies their outputs', async () => {
    const ids = await planApproveVerify('recordings', '--reason TimeoutError');
    const recordings = demoRecordings();
    const missing = new Set(recordings.filter((r) => !r.sourcePresent).map((r) => r.jobId));
    expect(ids).toHaveLength(5);
    for (const id of ids) expect(missing.has(id)).toBe(false);
    // The verification passes once the worker processed them; then exactly their outputs exist.
    expect(await verifiedSaying('output object exists: 5 of 5 jobs passed')).toBeTruthy();
    // The replayed jobs produced their outputs, and only those.
    const outputs = world.standIns.s3.keys().filter((key) => key.endsWith('/final.mp3'));
    expect(outputs.sort()).toEqual(
      recordings
        .filter((r) => ids.includes(r.jobId))
        .map((r) => r.payload.outputKey)
        .sort(),
    );
  });

  it('replays the billing jobs that lost their Stripe connection, and verifies their invoices', async () => {
    const ids = await planApproveVerify('billing', '--reason StripeConnectionError');
    const seededAt = (await demoSeededAt(redis, queuePrefix))!;
    const accounts = demoBillingAccounts(seededAt);
    const connectionFailures = accounts.filter((a) => a.reason.startsWith('StripeConnectionError'));
    expect(ids.sort()).toEqual(connectionFailures.map((a) => a.jobId).sort());
    for (const account of connectionFailures) expect(account.exists).toBe(true);
    const verdict = await verifiedSaying('latest invoice covers the billing period: 4 of 4 jobs passed');
    expect(verdict).toContain(`overlapping ${demoBillingPeriod(seededAt)}`);
  });
});
