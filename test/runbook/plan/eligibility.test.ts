import type { Redis } from 'ioredis';
import { payloadSha256 } from '../../../src/approvals/batch-manifest';
import type { CheckResult, TargetChecker } from '../../../src/checks/types';
import { silentLogger } from '../../../src/logger';
import { BullmqBackend } from '../../../src/queues/bullmq-backend';
import type { QueueBackend } from '../../../src/queues/types';
import { WINDOW_DATA_MAX_BYTES } from '../../../src/runbook/inspect/sample';
import { findEligible, type EligibilityDeps } from '../../../src/runbook/plan/eligibility';
import { buildWorkflows } from '../../../src/workflows';
import { seedWithWorker, type SeedJob } from '../../helpers/bullmq-fixtures';
import { deleteKeysWithPrefix, randomPrefix, testRedis, testRedisUrl } from '../../helpers/redis';

const WEBHOOKS = 'webhook-delivery';
const BILLING = 'billing-housekeeping';
const workflows = buildWorkflows(undefined);

const hook = (tenantId: string, host: string, i: number, extra: object = {}) => ({
  tenantId,
  webhookId: `wh-${tenantId}-${i}`,
  url: `https://${host}/hooks/${i}`,
  event: 'call.ended',
  body: { minutes: i },
  ...extra,
});
const failed = (data: unknown, name = 'deliver-webhook'): SeedJob => ({
  name,
  data,
  failWith: 'HTTP 503 from tenant endpoint',
});

/** Answers by the payload's host (webhooks) or customer (billing); records what it was asked. */
class FakeChecker implements Pick<TargetChecker, 'check'> {
  readonly asked: unknown[] = [];
  check(_workflow: string, payload: unknown): Promise<CheckResult> {
    this.asked.push(payload);
    const text = JSON.stringify(payload);
    if (text.includes('gone.example') || text.includes('cus_gone'))
      return Promise.resolve({ check: 'target-exists', status: 'fail', reason: 'HEAD answered 404' });
    if (text.includes('unknown.example'))
      return Promise.resolve({ check: 'target-exists', status: 'unknown', reason: 'HEAD timed out' });
    if (text.includes('throws.example')) return Promise.reject(new Error('checker bug'));
    return Promise.resolve({ check: 'target-exists', status: 'pass', reason: 'HEAD answered 200' });
  }
}

describe('findEligible against real BullMQ jobs', () => {
  const prefix = randomPrefix('plan');
  let redis: Redis;
  let backend: BullmqBackend;
  const ids: Record<string, string[]> = {};

  const deps = (
    checker: FakeChecker,
    windowSize = 100,
    over: Partial<QueueBackend> = {},
  ): EligibilityDeps => ({
    backend: {
      readWindow: over.readWindow ?? ((...args) => backend.readWindow(...args)),
      readJob: over.readJob ?? ((...args) => backend.readJob(...args)),
    },
    targets: checker,
    workflows,
    windowSize,
  });
  const stored = async (queue: string, id: string) => redis.hget(`${prefix}:${queue}:${id}`, 'data');

  beforeAll(async () => {
    redis = testRedis();
    backend = new BullmqBackend({ connection: redis, prefix, logger: silentLogger });
    const url = testRedisUrl();
    const seed = async (queue: string, label: string, jobs: SeedJob[]) => {
      ids[label] = await seedWithWorker({ url, prefix, queue, jobs });
    };
    // Sequential: the order of ids in the failed window follows the order of seeding.
    await seed(
      WEBHOOKS,
      'goodA',
      [0, 1, 2].map((i) => failed(hook('a', 'a.example', i))),
    );
    await seed(
      WEBHOOKS,
      'goodB',
      [0, 1].map((i) => failed(hook('b', 'b.example', i))),
    );
    await seed(WEBHOOKS, 'malformed', [failed({ tenantId: 'a', webhookId: 'wh', event: 'call.ended' })]);
    await seed(WEBHOOKS, 'unknownHandler', [failed(hook('a', 'a.example', 9), 'deliver-webhook-v0')]);
    await seed(WEBHOOKS, 'targetFail', [failed(hook('a', 'gone.example', 1))]);
    await seed(WEBHOOKS, 'targetUnknown', [failed(hook('a', 'unknown.example', 1))]);
    await seed(WEBHOOKS, 'targetThrows', [failed(hook('a', 'throws.example', 1))]);
    await seed(WEBHOOKS, 'failedEarly', [
      { ...failed(hook('a', 'a.example', 7)), attempts: 3, unrecoverable: true },
    ]);
    // Still retrying: first attempt failed, the next waits an hour in `delayed`.
    await seed(WEBHOOKS, 'delayed', [{ ...failed(hook('a', 'a.example', 8)), attempts: 3 }]);
    await seed(WEBHOOKS, 'large', [
      failed(hook('a', 'a.example', 5, { body: { blob: 'x'.repeat(WINDOW_DATA_MAX_BYTES + 1024) } })),
    ]);
    const bill = (customer: string, i: number) => ({
      tenantId: 'a',
      stripeCustomerId: customer,
      subscriptionId: `sub_${i}`,
      period: '2024-04',
    });
    const reasons = [
      "StripeInvalidRequestError: No such customer: 'cus_1'",
      'Stripe 404: resource_missing',
      'card_declined: Your card was declined.',
      'Request to Stripe failed with HTTP 402 Payment Required',
      'Stripe HTTP 503 Service Unavailable',
      'StripeAPIError: An error occurred with our connection to Stripe (status 500)',
    ];
    await seed(
      BILLING,
      'billing',
      reasons.map((failWith, i) => ({ name: 'sync-subscription-usage', data: bill('cus_ok', i), failWith })),
    );
    await seed(BILLING, 'billingGone', [
      { name: 'sync-subscription-usage', data: bill('cus_gone', 9), failWith: 'Stripe HTTP 503' },
    ]);
  });

  afterAll(async () => {
    await backend.close();
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
  });

  it('keeps given-up, well-formed, known-handler jobs whose target passes, and says why the rest are out', async () => {
    const checker = new FakeChecker();
    const result = await findEligible(deps(checker), {
      workflow: 'webhooks',
      cohort: { tenant: 'a' },
      limit: 100,
    });
    const eligibleIds = result.eligible.map((j) => j.id).sort();
    expect(eligibleIds).toEqual([...ids.goodA!, ...ids.large!].sort());
    const reasonOf = (label: string) => result.excluded.find((e) => e.id === ids[label]![0])?.reason;
    expect(reasonOf('malformed')).toMatch(/^payload not well-formed: url/);
    expect(reasonOf('unknownHandler')).toMatch(/^unknown handler: deliver-webhook-v0 is not a handler/);
    expect(reasonOf('targetFail')).toBe('target check fail: HEAD answered 404');
    expect(reasonOf('targetUnknown')).toBe('target check unknown: HEAD timed out');
    expect(reasonOf('targetThrows')).toBe('target check unknown: the check failed: checker bug');
    expect(reasonOf('failedEarly')).toBe('still has attempts left (1 of 3 used)');
    expect(result.excluded).toHaveLength(6);
    // Other tenants are not in the cohort at all; the still-retrying job is never even read.
    const everyId = [...result.eligible, ...result.excluded].map((j) => j.id);
    for (const id of [...ids.goodB!, ...ids.delayed!]) expect(everyId).not.toContain(id);
    expect(result.capped).toBe(false);
    // Targets are asked only for jobs that passed every other check.
    expect(checker.asked).toHaveLength(result.eligible.length + 3);
  });

  it('hashes each payload exactly as stored, including one too large for the window', async () => {
    const readJob = jest.fn<ReturnType<QueueBackend['readJob']>, Parameters<QueueBackend['readJob']>>(
      (...args) => backend.readJob(...args),
    );
    const result = await findEligible(deps(new FakeChecker(), 100, { readJob }), {
      workflow: 'webhooks',
      cohort: {},
      limit: 100,
    });
    expect(result.eligible).toHaveLength(ids.goodA!.length + ids.goodB!.length + 1);
    for (const job of result.eligible) {
      expect(job.payloadSha256).toBe(payloadSha256(await stored(WEBHOOKS, job.id)));
    }
    // Only the omitted payload is read one by one.
    expect(readJob.mock.calls).toEqual([[WEBHOOKS, 'failed', ids.large![0]]]);
    const large = await stored(WEBHOOKS, ids.large![0]!);
    expect(large!.length).toBeGreaterThan(WINDOW_DATA_MAX_BYTES);
  });

  it('a tenant filter reads an omitted payload before matching, so a large job of another tenant stays out', async () => {
    const result = await findEligible(deps(new FakeChecker()), {
      workflow: 'webhooks',
      cohort: { tenant: 'b' },
      limit: 100,
    });
    expect(result.eligible.map((j) => j.id).sort()).toEqual([...ids.goodB!].sort());
    expect(result.excluded).toEqual([]);
  });

  it('never returns a still-retrying (delayed) job, whatever the cohort', async () => {
    const all = await findEligible(deps(new FakeChecker()), {
      workflow: 'webhooks',
      cohort: {},
      limit: 1000,
    });
    const everyId = [...all.eligible, ...all.excluded].map((j) => j.id);
    expect(everyId).not.toContain(ids.delayed![0]);
    expect(await redis.zscore(`${prefix}:${WEBHOOKS}:delayed`, ids.delayed![0]!)).not.toBeNull();
  });

  it('applies the cohort filter and leaves excluded cohorts out entirely', async () => {
    const result = await findEligible(deps(new FakeChecker()), {
      workflow: 'webhooks',
      cohort: { handler: 'deliver-webhook' },
      exclude: [{ tenant: 'a' }],
      limit: 100,
    });
    expect(result.eligible.map((j) => j.id).sort()).toEqual([...ids.goodB!].sort());
    expect(result.excluded).toEqual([]);
    const reason = await findEligible(deps(new FakeChecker()), {
      workflow: 'webhooks',
      cohort: { reason: 'http 503' },
      exclude: [{ tenant: 'b' }, { handler: 'deliver-webhook-v0' }],
      limit: 100,
    });
    expect(reason.eligible.map((j) => j.id).sort()).toEqual([...ids.goodA!, ...ids.large!].sort());
    expect(reason.excluded.map((e) => e.id)).not.toContain(ids.unknownHandler![0]);
  });

  it('stops at the limit and asks targets only for as many candidates as it still needs', async () => {
    const checker = new FakeChecker();
    const result = await findEligible(deps(checker), {
      workflow: 'webhooks',
      cohort: { tenant: 'a' },
      limit: 2,
    });
    expect(result.eligible).toHaveLength(2);
    expect(result.capped).toBe(true);
    expect(result.scanned).toBeLessThan(12);
    expect(checker.asked.length).toBeLessThanOrEqual(2 + 3);
    const none = await findEligible(deps(checker), { workflow: 'webhooks', cohort: {}, limit: 0 });
    expect(none).toEqual({ eligible: [], excluded: [], scanned: 0, capped: true });
  });

  it('reads a bounded window and says so when it did not reach every failed job', async () => {
    const result = await findEligible(deps(new FakeChecker(), 3), {
      workflow: 'webhooks',
      cohort: {},
      limit: 100,
    });
    expect(result.scanned).toBe(3);
    expect(result.capped).toBe(true);
  });

  it('billing: leaves out jobs whose last failure was a Stripe 4xx, keeps 5xx ones', async () => {
    const result = await findEligible(deps(new FakeChecker()), {
      workflow: 'billing',
      cohort: {},
      limit: 100,
    });
    const [invalid, missing, declined, http402, http503, api500] = ids.billing!;
    expect(result.eligible.map((j) => j.id).sort()).toEqual([http503, api500].sort());
    for (const id of [invalid, missing, declined, http402]) {
      expect(result.excluded).toContainEqual({
        id,
        reason: 'last failure was a Stripe 4xx: a replay would not heal it',
      });
    }
    expect(result.excluded).toContainEqual({
      id: ids.billingGone![0],
      reason: 'target check fail: HEAD answered 404',
    });
    for (const job of result.eligible) {
      expect(job.payloadSha256).toBe(payloadSha256(await stored(BILLING, job.id)));
    }
  });

  it('leaves out a large job that left the failed state before its payload was read', async () => {
    const result = await findEligible(
      deps(new FakeChecker(), 100, { readJob: () => Promise.resolve(undefined) }),
      {
        workflow: 'webhooks',
        cohort: { handler: 'deliver-webhook' },
        limit: 100,
      },
    );
    expect(result.excluded).toContainEqual({
      id: ids.large![0],
      reason: 'no longer failed (it moved while planning)',
    });
    expect(result.eligible.map((j) => j.id)).not.toContain(ids.large![0]);
  });

  it('refuses an unknown workflow', async () => {
    await expect(
      findEligible(
        { ...deps(new FakeChecker()), workflows: [] },
        { workflow: 'webhooks', cohort: {}, limit: 1 },
      ),
    ).rejects.toThrow('unknown workflow webhooks');
  });
});
