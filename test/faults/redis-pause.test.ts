import { startPrivateRedis, type PrivateRedis } from '../../bench/lib/private-redis';
import { BlockId } from '../../blocks/ids';
import { SANDBOX_IDS } from '../../src/sandbox';
import { movableClock, type Harness } from '../e2e/harness';
import type { ReplayDriver } from '../e2e/replay-driver';
import { eventually } from '../helpers/eventually';
import type { Loopback } from '../helpers/loopback';
import { randomPrefix } from '../helpers/redis';
import {
  accountFor,
  blockText,
  diagnosisOrErrorId,
  expectValidMessage,
  type ProcessWatch,
  givenUpWebhooks,
  recoverAsRestartedBot,
  expectQueuesReadAgain,
} from './fault-kit';
import { closeFaultWorld, startAcceptingTenant, startOnPrivateRedis } from './fault-world';

const QUEUE = 'webhook-delivery';
/** Past the bot's 5 s command timeout: every command it sends meanwhile times out, then runs late. */
const PAUSE_MS = 6_500;

/**
 * `CLIENT PAUSE <ms> ALL` on a private redis-server: Redis holds every
 * command past the bot's timeouts, then runs them all. A timed-out command is
 * not a command that did not happen: the danger is a claim or a decision that
 * the bot gave up on but Redis applied later.
 */
describe('fault: Redis paused (CLIENT PAUSE ALL) past the command timeouts', () => {
  const prefix = randomPrefix('flt-rp');
  const time = movableClock();
  let redis: PrivateRedis;
  let tenant: Loopback;
  let harness: Harness;
  let driver: ReplayDriver;
  let watch: ProcessWatch;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    tenant = await startAcceptingTenant();
    ({ harness, driver, watch } = await startOnPrivateRedis(redis, prefix, time.clock));
  }, 60_000);

  afterAll(() =>
    closeFaultWorld(
      { watch, harness },
      () => tenant?.close(),
      () => redis?.stop(),
    ),
  );

  const givenUp = (tenantId: string, count: number) =>
    givenUpWebhooks({ redisUrl: redis.url, prefix, queue: QUEUE, tenantUrl: tenant.url }, tenantId, count);

  /** Pauses every client but the one sending it; resolves when Redis answers again. */
  async function pause(): Promise<{ readonly resumed: Promise<void> }> {
    const started = Date.now();
    await redis.client.call('CLIENT', 'PAUSE', String(PAUSE_MS), 'ALL');
    const resumed = new Promise<void>((resolve) =>
      setTimeout(resolve, Math.max(0, PAUSE_MS - (Date.now() - started)) + 200),
    );
    return { resumed };
  }

  it('a diagnose during the pause answers: a valid diagnosis (unreadable, or true counts) or an error id', async () => {
    await givenUp('t-diag', 2);
    const { resumed } = await pause();
    const before = harness.emulator.calls.length;
    await harness.emulator.sendSlashCommand({ text: 'diagnose --new' });
    const post = await diagnosisOrErrorId(harness, before);
    if (post.method === 'response_url') expect(post.args.response_type).toBe('ephemeral');
    else expectValidMessage(post);
    // Never made-up numbers: either it says it could not read, or it shows what Redis holds.
    if (post.method === 'chat.postMessage')
      expect(blockText(post, `${BlockId.workflowPrefix}webhooks`)).toMatch(
        /Cannot read the queue|Given up\*\\n2 of 2 failed/,
      );
    await resumed;
    // Once Redis answers again, the next diagnose reads the queues.
    await expectQueuesReadAgain(harness);
    expect(watch.seen).toEqual([]);
  }, 60_000);

  it('an Approve clicked during the pause, and clicked again after it, moves each job of the batch once', async () => {
    time.skew(0);
    await driver.newIncident();
    const ids = await givenUp('t-click', 5);
    const plan = await driver.plan('replay webhooks --tenant t-click');
    if (plan.kind !== 'posted') throw new Error(plan.text);

    const { resumed } = await pause();
    const seen = driver.ephemeralsOf(SANDBOX_IDS.approver).length;
    const click = driver.click(plan.ts, 'approve', SANDBOX_IDS.approver).catch((err: unknown) => err);
    await resumed;
    await click;
    // The approver was answered (an error id, or the batch's outcome in the message), not left in silence.
    await eventually(() =>
      Promise.resolve(
        driver.ephemeralsOf(SANDBOX_IDS.approver).length > seen ||
          /replayed|stopped before the end/.test(driver.messageText(plan.ts))
          ? true
          : undefined,
      ),
    );

    // The approver, seeing an error, clicks again; then a restarted bot's recovery runs.
    await driver.click(plan.ts, 'approve', SANDBOX_IDS.approver);
    const state = await driver.stateOf(plan.batchId);
    if (state !== 'done' && state !== 'failed') {
      await recoverAsRestartedBot(harness, redis.client, time, plan.batchId);
    }
    const final = await driver.waitForState(plan.batchId, 'done', 'failed');
    const account = await accountFor(redis.client, prefix, QUEUE, ids);
    expect(account.lost).toEqual([]);
    expect(account.repeated).toEqual([]);
    expect(account.movedOnce).toBe(final === 'done' ? ids.length : 0);
    expect(watch.seen).toEqual([]);
  }, 60_000);
});
