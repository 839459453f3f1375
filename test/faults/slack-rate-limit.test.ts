import type { Redis } from 'ioredis';
import { SANDBOX_IDS } from '../../src/sandbox';
import type { Harness } from '../e2e/harness';
import { diagnosisPosts } from '../e2e/messages';
import type { ReplayDriver } from '../e2e/replay-driver';
import { seedWithWorker } from '../helpers/bullmq-fixtures';
import { eventually } from '../helpers/eventually';
import type { Loopback } from '../helpers/loopback';
import { randomPrefix, testRedis, testRedisUrl } from '../helpers/redis';
import { accountFor, expectValidMessage, type ProcessWatch } from './fault-kit';
import { closeFaultWorld, releaseSharedRedis, startAcceptingTenant, startFaultWorld } from './fault-world';

const QUEUE = 'webhook-delivery';

/**
 * Slack answers 429 with Retry-After, or 5xx (the emulator's `failNext`). The
 * bot waits as told and posts once; a replay whose progress edits and thread
 * notes are refused still moves each job exactly once.
 */
describe('fault: Slack rate limits (429 + Retry-After) and 5xx', () => {
  const prefix = randomPrefix('flt-sl');
  let redis: Redis;
  let tenant: Loopback;
  let harness: Harness;
  let driver: ReplayDriver;
  let watch: ProcessWatch;

  beforeAll(async () => {
    redis = testRedis();
    tenant = await startAcceptingTenant();
    ({ harness, driver, watch } = await startFaultWorld(redis, {
      env: { QUEUE_PREFIX: prefix, TREND_WINDOW_MS: '50', APPROVERS: SANDBOX_IDS.approver },
    }));
  }, 60_000);

  afterAll(() =>
    closeFaultWorld({ watch, harness }, () => tenant?.close(), releaseSharedRedis(redis, prefix)),
  );

  /** The diagnosis posted since call index `before`, or else the ephemeral error with its id. */
  const diagnosisOrErrorSince = (before: number) =>
    eventually(
      () =>
        Promise.resolve(
          diagnosisPosts(harness.emulator, before)[0] ??
            harness.emulator.calls
              .slice(before)
              .find(
                (c) =>
                  c.method === 'response_url' && /\(error id sj-[0-9a-f]{10}\)/.test(String(c.args.text)),
              ),
        ),
      20_000,
    );

  /**
   * The bot behind the emulator runs with no Web API retries (startBotBehindEmulator's
   * `slackRetries: 0`; production has 3): a 429 is then a failed post, and the user
   * must get a clear answer with an error id instead of silence.
   */
  it('a diagnosis refused with 429 and Retry-After gets an ephemeral error id, never silence or a duplicate', async () => {
    const before = harness.emulator.calls.length;
    harness.emulator.failNext('chat.postMessage', { retryAfterSeconds: 1 });
    await harness.emulator.sendSlashCommand({ text: 'diagnose --new' });
    const answered = await diagnosisOrErrorSince(before);
    if (answered.method === 'chat.postMessage') expectValidMessage(answered);
    else expect(answered.args.response_type).toBe('ephemeral');
    const refused = harness.emulator.calls
      .slice(before)
      .find((c) => c.method === 'chat.postMessage' && c.response.ok === false);
    expect(refused?.response.error).toBe('ratelimited');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(diagnosisPosts(harness.emulator, before).length).toBeLessThanOrEqual(1);
    expect(watch.seen).toEqual([]);
  });

  it('a diagnosis refused with a Slack 500 is retried and posted once, or answered with an error id', async () => {
    const before = harness.emulator.calls.length;
    harness.emulator.failNext('chat.postMessage', { status: 500 });
    await harness.emulator.sendSlashCommand({ text: 'diagnose --new' });
    const answered = await diagnosisOrErrorSince(before);
    if (answered.method === 'chat.postMessage') expectValidMessage(answered);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(diagnosisPosts(harness.emulator, before).length).toBeLessThanOrEqual(1);
    expect(watch.seen).toEqual([]);
  });

  it('a replay whose message edits get 429 and whose thread note gets 503 still moves each job exactly once', async () => {
    await driver.newIncident();
    const ids = await seedWithWorker({
      url: testRedisUrl(),
      prefix,
      queue: QUEUE,
      jobs: Array.from({ length: 4 }, (_, i) => ({
        name: 'deliver-webhook',
        data: { tenantId: 't-slack', webhookId: `w${i}`, url: `${tenant.url}/h`, event: 'e', body: {} },
        failWith: `HTTP 503 from ${tenant.url}/h`,
      })),
    });
    const plan = await driver.plan('replay webhooks --tenant t-slack');
    if (plan.kind !== 'posted') throw new Error(plan.text);
    harness.emulator.failNext('chat.update', { retryAfterSeconds: 1, times: 2 });
    harness.emulator.failNext('chat.postMessage', { status: 503 });
    await driver.click(plan.ts, 'approve', SANDBOX_IDS.approver);
    expect(await driver.waitForState(plan.batchId, 'done', 'failed')).toBe('done');
    const account = await accountFor(redis, prefix, QUEUE, ids);
    expect(account).toMatchObject({ movedOnce: ids.length, lost: [], repeated: [] });
    expect(watch.seen).toEqual([]);
  }, 60_000);
});
