import type { Redis } from 'ioredis';
import { BlockId } from '../../blocks/ids';
import { readAudit } from '../../src/approvals/audit';
import { SANDBOX_IDS } from '../../src/sandbox';
import { seedWithWorker } from '../helpers/bullmq-fixtures';
import { eventually } from '../helpers/eventually';
import { startLoopback, type Loopback } from '../helpers/loopback';
import { deleteKeysWithPrefix, randomPrefix, testRedis, testRedisUrl } from '../helpers/redis';
import { harnessEnv } from '../e2e/env';
import { startHarness, type Harness } from '../e2e/harness';
import { blocksOf } from '../e2e/messages';
import { ReplayDriver } from '../e2e/replay-driver';
import { AttackKit } from './attack-kit';

const QUEUE = 'webhook-delivery';

/**
 * Why the delivery guard exists: the same captured requests as in
 * signed-requests.e2e.test.ts, with the guard switched off. Slack's signature
 * check lets each copy through; the approval store still decides a batch once,
 * but a copied `diagnose --new` opens a second incident.
 */
describe('adversarial: a captured request delivered again, without the delivery guard', () => {
  const prefix = randomPrefix('adv-nog');
  let harness: Harness;
  let kit: AttackKit;
  let redis: Redis;
  let tenant: Loopback;
  let driver: ReplayDriver;

  beforeAll(async () => {
    redis = testRedis();
    tenant = await startLoopback((_req, res) => res.writeHead(200).end());
    harness = await startHarness({
      env: harnessEnv(prefix),
      override: () => ({ deliveries: { firstDelivery: () => Promise.resolve(true) } }),
    });
    kit = await AttackKit.start(harness);
    driver = new ReplayDriver(harness, redis);
  }, 60_000);

  afterAll(async () => {
    await kit?.close();
    await harness?.close();
    await tenant?.close();
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
  });

  async function twice(fields: Record<string, string>): Promise<void> {
    const body = AttackKit.form(fields);
    const headers = kit.headers(body);
    expect((await kit.post(body, headers)).status).toBe(200);
    expect((await kit.post(body, headers)).status).toBe(200);
  }

  it('a copied `diagnose --new` opens a second incident: two diagnoses posted', async () => {
    const before = harness.emulator.calls.length;
    await twice(kit.commandForm('diagnose webhooks --new'));
    const diagnoses = await eventually(async () => {
      const posts = harness.emulator.calls
        .slice(before)
        .filter(
          (c) =>
            c.method === 'chat.postMessage' &&
            blocksOf(c).some((b) => b.block_id === BlockId.diagnosisHeader),
        );
      return Promise.resolve(posts.length >= 2 ? posts : undefined);
    }, 20_000);
    expect(diagnoses).toHaveLength(2);
  });

  it('a copied Approve click is still decided once by the store (the second is `not-pending`)', async () => {
    await driver.newIncident();
    await seedWithWorker({
      url: testRedisUrl(),
      prefix,
      queue: QUEUE,
      jobs: [
        {
          name: 'deliver-webhook',
          data: { tenantId: 't-nog', webhookId: 'w', url: `${tenant.url}/h`, event: 'e', body: {} },
          failWith: 'HTTP 503',
        },
      ],
    });
    const plan = await driver.plan('replay webhooks --tenant t-nog');
    if (plan.kind !== 'posted') throw new Error(`plan refused: ${plan.text}`);
    const payload = kit.clickPayload('replay_approve', plan.value, {
      user: SANDBOX_IDS.approver,
      messageTs: plan.ts,
    });
    await twice({ payload: JSON.stringify(payload) });
    await driver.waitForState(plan.batchId, 'done');
    const results = await eventually(async () => {
      const audit = await readAudit(redis, `${harness.config.statePrefix}:audit`, { batchId: plan.batchId });
      const decisions = audit.filter((e) => e.action === 'approve').map((e) => e.result);
      return decisions.length >= 2 ? decisions : undefined;
    }, 20_000);
    expect([...results].sort()).toEqual(['approved', 'not-pending']);
  });
});
