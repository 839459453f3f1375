import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import nock from 'nock';
import { readAudit } from '../../src/approvals/audit';
import { SANDBOX_IDS } from '../../src/sandbox';
import { seedWithWorker } from '../helpers/bullmq-fixtures';
import { eventually } from '../helpers/eventually';
import { startLoopback, type Loopback } from '../helpers/loopback';
import { mockThirdPartyHttp } from '../helpers/nock';
import { deleteKeysWithPrefix, randomPrefix, testRedis, testRedisUrl } from '../helpers/redis';
import { harnessEnv } from './env';
import { startHarness, type Harness } from './harness';
import { ReplayDriver, type PlanAnswer } from './replay-driver';

const WEBHOOKS = 'webhook-delivery';
const BILLING = 'billing-housekeeping';
const STRIPE = 'https://api.stripe.test';
const { approver: APPROVER } = SANDBOX_IDS;

function posted(answer: PlanAnswer): Extract<PlanAnswer, { kind: 'posted' }> {
  if (answer.kind !== 'posted') throw new Error(`plan refused: ${answer.text}`);
  return answer;
}

function refusal(answer: PlanAnswer): string {
  if (answer.kind !== 'refused') throw new Error(`expected a refusal, got batch ${answer.batchId}`);
  return answer.text;
}

/** Job ids listed in an approval request's manifest (the context under the summary). */
async function manifestJobs(redis: Redis, statePrefix: string, batchId: string): Promise<string[]> {
  const raw = await redis.hget(`${statePrefix}:batch:${batchId}`, 'manifest');
  return (JSON.parse(raw ?? '{}') as { jobs: { id: string }[] }).jobs.map((job) => job.id);
}

/**
 * Invariants 3 and 4 through Slack: the canary-first ladder, and the jobs
 * that are never replayed, asserted on Redis.
 */
describe('replay ladder and eligibility end to end', () => {
  const prefix = randomPrefix('rpl');
  let harness: Harness;
  let tenant: Loopback;
  let redis: Redis;
  let driver: ReplayDriver;

  mockThirdPartyHttp();

  beforeAll(async () => {
    redis = testRedis();
    tenant = await startLoopback((_req, res) => res.writeHead(200).end());
    harness = await startHarness({
      env: harnessEnv(prefix, {
        STRIPE_SECRET_KEY: 'sk_test_ladder',
        STRIPE_API_URL: STRIPE,
      }),
    });
    driver = new ReplayDriver(harness, redis);
  }, 60_000);

  afterAll(async () => {
    await harness?.close();
    await tenant?.close();
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
  });

  const webhook = (tenantId: string, i: number) => ({
    tenantId,
    webhookId: `wh-${i}`,
    url: `${tenant.url}/hooks/${tenantId}`,
    event: 'call.ended',
    body: {},
  });
  const verificationOf = async (batchId: string): Promise<string | undefined> => {
    const raw = await redis.get(`${harness.config.statePrefix}:verification:${batchId}`);
    return raw === null ? undefined : (JSON.parse(raw) as { status: string }).status;
  };
  const inFailed = async (queue: string, id: string) =>
    (await redis.zscore(`${prefix}:${queue}:failed`, id)) !== null;

  it('refuses a first batch over 10, and growth until the previous batch verified', async () => {
    await driver.newIncident();
    const ids = await seedWithWorker({
      url: testRedisUrl(),
      prefix,
      queue: WEBHOOKS,
      jobs: Array.from({ length: 30 }, (_, i) => ({
        name: 'deliver-webhook',
        data: webhook('t-ladder', i),
        failWith: 'HTTP 503 from the tenant',
      })),
    });

    expect(refusal(await driver.plan('replay webhooks --tenant t-ladder --batch 11'))).toContain(
      'The first batch of a replay is at most 10 jobs. Asked for 11; choose 10 or fewer.',
    );
    const audited = await readAudit(redis, `${harness.config.statePrefix}:audit`, {});
    expect(audited.at(-1)).toEqual(
      expect.objectContaining({ action: 'plan', actor: SANDBOX_IDS.requester, result: 'ladder' }),
    );
    const canary = posted(await driver.plan('replay webhooks --tenant t-ladder'));
    const canaryJobs = await manifestJobs(redis, harness.config.statePrefix, canary.batchId);
    expect(canaryJobs).toHaveLength(5);
    expect(refusal(await driver.plan('replay webhooks --tenant t-ladder'))).toContain('is still pending');

    await driver.click(canary.ts, 'approve', APPROVER);
    await driver.waitForState(canary.batchId, 'done');

    // Replayed but not run yet (no worker): its verification did not pass, so no growth.
    await eventually(async () => (await verificationOf(canary.batchId)) ?? undefined, 20_000);
    expect(await verificationOf(canary.batchId)).not.toBe('verified');
    const early = refusal(await driver.plan('replay webhooks --tenant t-ladder --batch 6'));
    expect(early).toContain('Batch 1 (5 jobs) is not verified yet: batch 2 may not be larger.');
    expect(early).toMatch(/Not verified: (not-verified|inconclusive): jobs unknown/);

    // The tenant's worker runs the replayed jobs; they complete, which verifies batch 1.
    const connection = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
    // The tenant's 2xx is what the webhooks downstream check reads from the job's result.
    const worker = new Worker(WEBHOOKS, () => Promise.resolve({ status: 200 }), { connection, prefix });
    worker.on('error', () => undefined);
    try {
      await eventually(async () => {
        const done = await Promise.all(
          canaryJobs.map((id) => redis.zscore(`${prefix}:${WEBHOOKS}:completed`, id)),
        );
        return done.every((score) => score !== null) ? true : undefined;
      }, 20_000);
    } finally {
      await worker.close();
      await connection.quit();
    }

    // Verified again now that they ran: only this unlocks growth.
    await harness.emulator.sendSlashCommand({ text: 'verify webhooks' });
    await eventually(
      async () => ((await verificationOf(canary.batchId)) === 'verified' ? true : undefined),
      20_000,
    );
    expect(refusal(await driver.plan('replay webhooks --tenant t-ladder --batch 51'))).toContain(
      'Batch 1 was verified: batch 2 may grow to 50. Asked for 51; choose 50 or fewer.',
    );
    const grown = posted(await driver.plan('replay webhooks --tenant t-ladder --batch 50'));
    const grownJobs = await manifestJobs(redis, harness.config.statePrefix, grown.batchId);
    // Every other given-up job of the cohort: 30 seeded, 5 replayed in the canary.
    expect(grownJobs.sort()).toEqual(ids.filter((id) => !canaryJobs.includes(id)).sort());
    expect(JSON.stringify(grown.post.args.blocks)).toContain('batch 2, at most 50 jobs');
  });

  it('never plans jobs the worker is still retrying, or that failed early with attempts left', async () => {
    await driver.newIncident();
    const retrying = await seedWithWorker({
      url: testRedisUrl(),
      prefix,
      queue: WEBHOOKS,
      jobs: [
        { name: 'deliver-webhook', data: webhook('t-retry', 1), failWith: 'HTTP 503', attempts: 5 },
        { name: 'deliver-webhook', data: webhook('t-retry', 2), failWith: 'HTTP 503', attempts: 5 },
        {
          name: 'deliver-webhook',
          data: webhook('t-retry', 3),
          failWith: 'bad signature',
          attempts: 5,
          unrecoverable: true,
        },
      ],
    });
    const text = refusal(await driver.plan('replay webhooks --tenant t-retry'));
    expect(text).toContain('No given-up webhooks job of this cohort can be replayed');
    expect(text).toContain('1 left out: still has attempts left');
    expect(text).toContain('2 webhooks job(s) of this cohort are still retrying');
    expect(await redis.zscore(`${prefix}:${WEBHOOKS}:delayed`, retrying[0]!)).not.toBeNull();
    expect(await redis.zscore(`${prefix}:${WEBHOOKS}:delayed`, retrying[1]!)).not.toBeNull();
    expect(await inFailed(WEBHOOKS, retrying[2]!)).toBe(true);
  });

  it('never replays a billing job whose last failure was a Stripe 4xx', async () => {
    nock(STRIPE).persist().get('/v1/balance').reply(200, { object: 'balance', available: [] });
    nock(STRIPE)
      .persist()
      .get(/\/v1\/customers\/cus_\w+/)
      .reply(200, (uri) => ({ id: uri.split('/').pop(), object: 'customer' }));
    nock(STRIPE)
      .persist()
      .get(/\/v1\/subscriptions\/sub_\w+/)
      .reply(200, (uri) => ({
        id: uri.split('/').pop(),
        object: 'subscription',
        status: 'active',
        customer: `cus_${(uri.split('/').pop() ?? '').slice(4)}`,
      }));
    await driver.newIncident('billing');
    const billing = (i: number) => ({
      tenantId: 't-bill',
      stripeCustomerId: `cus_b${i}`,
      subscriptionId: `sub_b${i}`,
      period: '2026-10',
    });
    const ids = await seedWithWorker({
      url: testRedisUrl(),
      prefix,
      queue: BILLING,
      jobs: [
        {
          name: 'sync-subscription-usage',
          data: billing(1),
          failWith: 'StripeAPIError: api_error (status 500)',
        },
        {
          name: 'sync-subscription-usage',
          data: billing(2),
          failWith: 'StripeInvalidRequestError: No such subscription item (status 400)',
        },
        {
          name: 'close-billing-period',
          data: billing(3),
          failWith: 'Stripe API error 402: payment required',
        },
        { name: 'close-billing-period', data: billing(4), failWith: 'connect ETIMEDOUT api.stripe.com' },
      ],
    });
    const batch = posted(await driver.plan('replay billing --tenant t-bill'));
    expect((await manifestJobs(redis, harness.config.statePrefix, batch.batchId)).sort()).toEqual(
      [ids[0]!, ids[3]!].sort(),
    );
    expect(JSON.stringify(batch.post.args.blocks)).toContain(':heavy_check_mark: Stripe is reachable');
    await driver.click(batch.ts, 'approve', APPROVER);
    await driver.waitForState(batch.batchId, 'done');
    expect(await inFailed(BILLING, ids[0]!)).toBe(false);
    expect(await inFailed(BILLING, ids[3]!)).toBe(false);
    expect(await inFailed(BILLING, ids[1]!)).toBe(true);
    expect(await inFailed(BILLING, ids[2]!)).toBe(true);
    const queue = new Queue(BILLING, { connection: redis, prefix, skipMetasUpdate: true });
    try {
      expect((await queue.getJob(ids[1]!))?.attemptsMade).toBe(1);
    } finally {
      await queue.close();
    }
  });
});
