import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { createStripeClient } from '../../src/probes/stripe-client';
import { SANDBOX_IDS } from '../../src/sandbox';
import { closeBillingPeriod } from '../../src/sandbox/demo/close-period';
import { monthBefore } from '../../src/sandbox/demo/seed-billing';
import { startStripeStandIn, type StripeStandIn } from '../../src/sandbox/demo/stripe-stand-in';
import { billingWorkflow } from '../../src/workflows/billing';
import type { Harness } from '../e2e/harness';
import { blocksOf } from '../e2e/messages';
import type { ReplayDriver } from '../e2e/replay-driver';
import { eventually } from '../helpers/eventually';
import { randomPrefix, testRedis, testRedisUrl } from '../helpers/redis';
import { accountFor, diagnosisAt, expectAllValidSince, faultEnv, type ProcessWatch } from './fault-kit';
import { closeFaultWorld, releaseSharedRedis, startFaultWorld } from './fault-world';
import { FaultWindow, runOutage } from './outage-scenario';
import { startFaultProxy, type Fault, type FaultProxy } from './fault-proxy';

const QUEUE = billingWorkflow.queue;
const PROBE_TIMEOUT_MS = 1000;
const PERIOD = monthBefore(new Date(), 1);

/** Stripe's error envelope, so stripe-node maps each answer to its own error class. */
const stripeError = (status: number, error: Record<string, string>): Fault => ({
  kind: 'status',
  status,
  body: JSON.stringify({ error }),
});
const STRIPE_500 = stripeError(500, { type: 'api_error', message: 'An unknown error occurred' });
const CARD_DECLINED = stripeError(402, {
  type: 'card_error',
  code: 'card_declined',
  decline_code: 'generic_decline',
  message: 'Your card was declined.',
});
const noSuchCustomer = (id: string): Fault =>
  stripeError(404, {
    type: 'invalid_request_error',
    code: 'resource_missing',
    message: `No such customer: '${id}'`,
    param: 'customer',
  });

type Failure = '500' | '402' | '404';

/**
 * Stripe (the demo's stand-in, behind a fault proxy on loopback) answers 500,
 * or never answers within PROBE_TIMEOUT_MS. The diagnosis says Stripe is down
 * and why; an approval clicked meanwhile is refused by the billing
 * precondition with that reason and nothing moves; once Stripe answers again
 * the same approval goes through and each job of the batch moves exactly once.
 * Billing jobs that gave up on a Stripe 402 or 404 (failed by the demo's real
 * `close-billing-period` handler) are never planned.
 */
describe('fault: Stripe 500, timeout, and 402/404 job failures', () => {
  const prefix = randomPrefix('flt-st');
  let stripe: StripeStandIn;
  let proxy: FaultProxy;
  let redis: Redis;
  let harness: Harness;
  let driver: ReplayDriver;
  let watch: ProcessWatch;
  let faultWindow: FaultWindow;

  beforeAll(async () => {
    redis = testRedis();
    stripe = await startStripeStandIn();
    proxy = await startFaultProxy(stripe.url);
    faultWindow = new FaultWindow(proxy);
    ({ harness, driver, watch } = await startFaultWorld(redis, {
      env: faultEnv(prefix, {
        PROBE_TIMEOUT_MS: String(PROBE_TIMEOUT_MS),
        STRIPE_SECRET_KEY: stripe.secretKey,
        STRIPE_API_URL: proxy.url,
      }),
    }));
  }, 60_000);

  afterAll(async () => {
    await closeFaultWorld(
      { watch, harness },
      () => proxy?.close(),
      () => stripe?.close(),
      releaseSharedRedis(redis, prefix),
    );
    console.info(`stripe faults met by the bot: ${faultWindow?.faultsAtBot}`);
  });

  /**
   * Given-up billing jobs as production gets them: the demo's real handler
   * creates each period's invoice through Stripe (the proxy), which answers
   * each customer with the fault named; customer and subscription exist.
   */
  async function seedBilling(tenant: string, failures: readonly Failure[]): Promise<Map<Failure, string[]>> {
    const accounts = failures.map((failure, i) => ({
      failure,
      customer: `cus_${tenant.replace(/\W/g, '')}${i}`,
      subscription: `sub_${tenant.replace(/\W/g, '')}${i}`,
    }));
    for (const a of accounts) {
      stripe.store.addCustomer({ id: a.customer, name: tenant, metadata: { tenantId: tenant } });
      stripe.store.addSubscription({ id: a.subscription, customer: a.customer });
    }
    const jobIds = accounts.map((a) => `close-${a.subscription}-${PERIOD}`);
    const byCustomer = new Map(accounts.map((a) => [a.customer, a.failure]));
    proxy.inject((req) => {
      const customer = new URLSearchParams(req.body).get('customer') ?? '';
      if (req.method !== 'POST' || !req.url.startsWith('/v1/invoices')) return undefined;
      const failure = byCustomer.get(customer);
      if (failure === '500') return STRIPE_500;
      if (failure === '402') return CARD_DECLINED;
      return failure === '404' ? noSuchCustomer(customer) : undefined;
    });
    const connection = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
    connection.on('error', () => undefined);
    const queue = new Queue(QUEUE, { connection, prefix });
    queue.on('error', () => undefined);
    const client = createStripeClient(stripe.secretKey, proxy.url, 5_000);
    const worker = new Worker(QUEUE, closeBillingPeriod(client.stripe), {
      connection,
      prefix,
      autorun: false,
    });
    worker.on('error', () => undefined);
    try {
      await queue.addBulk(
        accounts.map((a) => ({
          name: 'close-billing-period',
          data: {
            tenantId: tenant,
            stripeCustomerId: a.customer,
            subscriptionId: a.subscription,
            period: PERIOD,
          },
          opts: { jobId: `close-${a.subscription}-${PERIOD}`, attempts: 1 },
        })),
      );
      void worker.run();
      // Done when every job of this seeding is in `failed` (earlier tests moved theirs out).
      await eventually(async () => {
        const scores = await redis.zmscore(`${prefix}:${QUEUE}:failed`, ...jobIds);
        return scores.every((score) => score !== null) ? true : undefined;
      }, 20_000);
    } finally {
      proxy.heal();
      await worker.close();
      await queue.close();
      client.close();
      await connection.quit().catch(() => connection.disconnect());
    }
    const ids = new Map<Failure, string[]>();
    for (const a of accounts) {
      ids.set(a.failure, [...(ids.get(a.failure) ?? []), `close-${a.subscription}-${PERIOD}`]);
    }
    return ids;
  }

  it('billing jobs that gave up on a Stripe 402 or 404 are never planned, and the bot says why', async () => {
    const from = harness.emulator.calls.length;
    const ids = await seedBilling('t-4xx', ['500', '402', '404', '500', '402', '404']);
    await driver.newIncident('billing');

    // Only the 402s, or only the 404s, asked for: refused, and the refusal names the Stripe 4xx rule.
    for (const reason of ['StripeCardError', 'StripeInvalidRequestError']) {
      const only4xx = await driver.plan(`replay billing --reason ${reason}`);
      expect(only4xx.kind).toBe('refused');
      if (only4xx.kind === 'refused') {
        expect(only4xx.text).toContain(
          '2 left out: last failure was a Stripe 4xx: a replay would not heal it',
        );
      }
    }

    // The whole queue: the approval request lists the two 500 jobs only, and says four were left out.
    const plan = await driver.plan('replay billing');
    if (plan.kind !== 'posted') throw new Error(plan.text);
    const request = JSON.stringify(plan.post.args.blocks);
    expect(request).toContain('4 excluded by checks or filters');
    expect(request).toContain('no job whose last failure was a Stripe 4xx');
    for (const id of [...ids.get('402')!, ...ids.get('404')!]) expect(request).not.toContain(id);
    await driver.click(plan.ts, 'approve', SANDBOX_IDS.approver);
    expect(await driver.waitForState(plan.batchId, 'done', 'failed')).toBe('done');

    const replayed = await accountFor(redis, prefix, QUEUE, ids.get('500')!);
    expect(replayed).toEqual({ movedOnce: 2, untouched: 0, lost: [], repeated: [] });
    const kept = await accountFor(redis, prefix, QUEUE, [...ids.get('402')!, ...ids.get('404')!]);
    expect(kept).toEqual({ movedOnce: 0, untouched: 4, lost: [], repeated: [] });
    expectAllValidSince(harness, from);
    expect(watch.seen).toEqual([]);
  }, 90_000);

  it.each([
    ['answers HTTP 500', STRIPE_500, /Stripe API error \(HTTP 500\)/],
    ['never answers within PROBE_TIMEOUT_MS', { kind: 'hang' } as const, /did not answer within 1000 ms/],
  ])(
    'Stripe that %s: diagnosis says Stripe is down, plan and approval are refused with the reason, nothing moves; once Stripe answers the approval moves each job once',
    async (label, fault, reason) => {
      const from = harness.emulator.calls.length;
      const metBefore = faultWindow.faultsAtBot;
      const tenant = `t-${label.split(' ')[0]}-${label.length}`;
      const ids = (await seedBilling(tenant, ['500', '500', '500'])).get('500')!;

      const { ts, plan, seen } = await runOutage(
        { harness, driver, redis, prefix, queue: QUEUE, faultWindow },
        {
          workflow: 'billing',
          tenant,
          ids,
          fault,
          upstreamDown: ':x: *Stripe* down',
          probeReason: reason,
          planReason: reason,
          approvalRefusal: 'billing: Stripe is not reachable (down)',
        },
      );
      // A second click on the finished batch moves nothing more.
      await driver.click(plan.ts, 'approve', SANDBOX_IDS.approver);
      await driver.nextEphemeral(SANDBOX_IDS.approver, seen + 1);
      expect((await accountFor(redis, prefix, QUEUE, ids)).repeated).toEqual([]);
      expect(blocksOf(diagnosisAt(harness, ts)).length).toBeGreaterThan(0);
      expectAllValidSince(harness, from);
      // The bot met the fault at each step: diagnosis, plan and approval.
      expect(faultWindow.faultsAtBot - metBefore).toBeGreaterThanOrEqual(3);
      expect(watch.seen).toEqual([]);
    },
    90_000,
  );
});
