import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { BlockId } from '../../blocks/ids';
import { readAudit } from '../../src/approvals/audit';
import { SANDBOX_IDS, type RecordedCall } from '../../src/sandbox';
import { seedWithWorker } from '../helpers/bullmq-fixtures';
import { eventually } from '../helpers/eventually';
import { startLoopback, type Loopback } from '../helpers/loopback';
import { deleteKeysWithPrefix, randomPrefix, testRedis, testRedisUrl } from '../helpers/redis';
import { healthyOpsContainers, signozStandIn } from '../helpers/stand-ins';
import { workerConnection } from '../runbook/replay/helpers';
import { startIdleSweep } from '../../handlers/replay/end-incident';
import { silentLogger } from '../../src/logger';
import { harnessEnv } from './env';
import { startHarness, type Harness } from './harness';
import { blocksOf } from './messages';
import { ReplayDriver } from './replay-driver';

const QUEUE = 'webhook-delivery';
const { requester: REQUESTER, approver: APPROVER } = SANDBOX_IDS;

/**
 * Issue 5 end to end: a scripted incident — diagnose, sample, a refused plan,
 * plan, a refused self-approval, approve, verify, done — against real Redis, a
 * real BullMQ Worker delivering the replayed webhooks, loopback stand-ins for
 * the tenant, SigNoz and Docker, and the Slack emulator. The note, the summary
 * and the audit stream are asserted on their facts.
 */
describe('a scripted incident, diagnose to done', () => {
  const prefix = randomPrefix('inc');
  let harness: Harness;
  let redis: Redis;
  let driver: ReplayDriver;
  const stubs: Loopback[] = [];
  let tenantStatus = 503;
  /** Ops' error rate in the last 15 minutes: high during the incident, back to normal after the replay. */
  let opsErrors = 800;
  let worker: Worker | undefined;
  let workerRedis: Redis | undefined;

  beforeAll(async () => {
    redis = testRedis();
    const tenant = await startLoopback((_req, res) => res.writeHead(tenantStatus).end());
    const docker = await healthyOpsContainers();
    const signoz = await signozStandIn(() => ({ spans: 4000, errors: opsErrors, p95Ms: 300 }), {
      spans: 16000,
      errors: 40,
      p95Ms: 150,
    });
    stubs.push(tenant, docker, signoz);
    const hook = (tenantId: string, i: number) => ({
      tenantId,
      webhookId: `wh-${i}`,
      url: `${tenant.url}/hooks/${tenantId}`,
      event: 'call.ended',
      body: {},
    });
    // The tenant answered 503 while Ops was delivering: these gave up.
    await seedWithWorker({
      url: testRedisUrl(),
      prefix,
      queue: QUEUE,
      jobs: Array.from({ length: 8 }, (_, i) => ({
        name: 'deliver-webhook',
        data: hook('t-acme', i),
        failWith: `HTTP 503 from ${tenant.url}/hooks/t-acme`,
      })),
    });
    harness = await startHarness({
      env: harnessEnv(prefix, {
        SIGNOZ_URL: signoz.url,
        SIGNOZ_API_KEY: 'signoz-test-key',
        OPS_DOCKER_URL: docker.url,
        VERIFY_WINDOW_MS: '8000',
      }),
    });
    driver = new ReplayDriver(harness, redis);
  }, 60_000);

  /** Ops is back: its worker delivers whatever is replayed, recording the tenant's 2xx. Started after seeding. */
  function startDeliveryWorker(): void {
    workerRedis = workerConnection(testRedisUrl());
    worker = new Worker(QUEUE, () => Promise.resolve({ status: 200 }), { connection: workerRedis, prefix });
    worker.on('error', () => undefined);
  }

  afterEach(async () => {
    await worker?.close();
    await workerRedis?.quit();
    worker = undefined;
    workerRedis = undefined;
  });

  afterAll(async () => {
    await harness?.close();
    for (const stub of stubs) await stub.close();
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
  });

  const posts = (predicate: (call: RecordedCall) => boolean) =>
    harness.emulator.calls.filter((call) => call.method === 'chat.postMessage' && predicate(call));
  const hasBlock = (id: string) => (call: RecordedCall) =>
    blocksOf(call).some((block) => block.block_id === id);

  it('verifies the batch, then writes a note and a summary from the record, with every step audited in order', async () => {
    startDeliveryWorker();
    const thread = await driver.newIncident('webhooks');
    const session = await harness.services.sessions.current(SANDBOX_IDS.team, SANDBOX_IDS.incidentChannel);
    expect(session?.findings?.causes.some((cause) => cause.text.includes('answered 503'))).toBe(true);

    tenantStatus = 200; // the tenant recovered after the diagnosis: checks and preconditions pass now
    await driver.sample('sample webhooks --tenant t-acme');
    expect((await driver.plan('replay webhooks --tenant t-acme --batch 11')).kind).toBe('refused');
    // The canary comes from the diagnosis's Plan replay button (t-acme is the only tenant here).
    const batch = await driver.planFromButton(thread);

    await driver.click(batch.ts, 'approve', REQUESTER);
    opsErrors = 20; // 0.5 %: back to the hour-before baseline (0.25 %) within the allowance
    await driver.click(batch.ts, 'approve', APPROVER);
    const verified = await eventually(async () => {
      const raw = await redis.get(`${harness.config.statePrefix}:verification:${batch.batchId}`);
      return raw === null
        ? undefined
        : (JSON.parse(raw) as { status: string; parts: { name: string; status: string }[] });
    }, 30_000);
    expect(verified.status).toBe('verified');
    expect(verified.parts.map((part) => [part.name, part.status])).toEqual([
      ['jobs', 'pass'],
      ['drain', 'pass'],
      ['downstream', 'pass'],
      ['error-rate', 'pass'],
    ]);
    const verification = await eventually(
      () =>
        Promise.resolve(
          harness.emulator
            .thread(SANDBOX_IDS.incidentChannel, thread)
            .find(
              (m) =>
                JSON.stringify(m.blocks).includes(BlockId.verificationResult) && m.text.endsWith('verified'),
            ),
        ),
      10_000,
    );
    expect(JSON.stringify(verification.blocks)).toContain('*Verified.*');

    const before = harness.emulator.calls.length;
    await harness.emulator.sendSlashCommand({ text: 'done' });
    const summary = await harness.emulator.waitForCall(
      'chat.postMessage',
      (call) => harness.emulator.calls.indexOf(call) >= before && hasBlock(BlockId.summaryHeader)(call),
      20_000,
    );
    const note = posts(
      (call) => harness.emulator.calls.indexOf(call) >= before && hasBlock(BlockId.oplogNote)(call),
    )[0];
    expect(note).toBeDefined();

    // The note: when, symptom, root cause, what was done (who, when), the result.
    const noteText = JSON.stringify(note?.args.blocks);
    expect(noteText).toMatch(/Since \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
    expect(noteText).toContain('Given up');
    expect(noteText).toMatch(/suspected/i);
    expect(noteText).toContain('answered 503');
    expect(noteText).toContain(`<@${REQUESTER}>`);
    expect(noteText).toContain(`<@${APPROVER}>`);
    expect(noteText).toMatch(/5 jobs replayed/);
    expect(noteText).toMatch(/all batches verified/);

    // The summary: broadcast, with counts before and after, the batch and its verification, and the thread link.
    expect(summary.args.thread_ts).toBe(thread);
    expect(String(summary.args.reply_broadcast)).toBe('true');
    const summaryText = JSON.stringify(summary.args.blocks);
    expect(summaryText).toContain(
      `https://stuckjobs-sandbox.slack.com/archives/${SANDBOX_IDS.incidentChannel}/p${thread.replace('.', '')}`,
    );
    expect(summaryText).toMatch(/given up[^"]*8[^"]*→[^"]*3/i);
    expect(summaryText).toContain('verified');
    expect(summaryText).toContain(
      `approve by <@${REQUESTER}>: refused, the requester cannot approve their own batch`,
    );
    expect(summaryText).toContain(`approve by <@${APPROVER}>: approved`);

    // The audit stream holds every step of this incident, in order, refusals included.
    const steps = (
      await readAudit(redis, `${harness.config.statePrefix}:audit`, { sessionId: session!.id, since: 0 })
    ).map((entry) => `${entry.action}:${entry.result}`);
    expect(steps).toEqual([
      'diagnose:posted',
      'sample:clean',
      'plan:ladder',
      'create:created',
      'approve:self-approval',
      'approve:approved',
      'claim:claimed',
      'finish:finished',
      'verify:verified',
      'done:done',
      'note:posted',
    ]);
    // The incident is closed once the summary is out: the next diagnose opens a fresh one.
    await eventually(async () =>
      (await harness.services.sessions.current(SANDBOX_IDS.team, SANDBOX_IDS.incidentChannel))
        ? undefined
        : true,
    );
  });

  it('ends an incident idle past the timeout by itself, once, with its summary', async () => {
    const thread = await driver.newIncident('webhooks');
    const later = () => Date.now() + harness.config.incidentIdleMs + 60_000;
    const sweepNow = () =>
      startIdleSweep(harness.services, harness.bot.app.client, silentLogger, {
        idleMs: harness.config.incidentIdleMs,
        everyMs: 3_600_000,
        now: later,
      });
    const first = sweepNow();
    const second = sweepNow();
    try {
      // Not idle yet by the real clock: the sweep leaves it open.
      const early = startIdleSweep(harness.services, harness.bot.app.client, silentLogger, {
        idleMs: harness.config.incidentIdleMs,
        everyMs: 3_600_000,
      });
      expect(await early.sweep()).toBe(0);
      early.stop();
      // Two replicas sweeping at once write one ending.
      expect((await Promise.all([first.sweep(), second.sweep()])).reduce((a, b) => a + b, 0)).toBe(1);
    } finally {
      first.stop();
      second.stop();
    }
    const summaries = harness.emulator
      .thread(SANDBOX_IDS.incidentChannel, thread)
      .filter((m) => JSON.stringify(m.blocks).includes(BlockId.summaryHeader));
    expect(summaries).toHaveLength(1);
    expect(JSON.stringify(summaries[0]?.blocks)).toMatch(/idle/i);
    expect(
      await harness.services.sessions.current(SANDBOX_IDS.team, SANDBOX_IDS.incidentChannel),
    ).toBeUndefined();
  });

  it('is not verified while the Ops error rate stays high, and the ladder stays closed', async () => {
    // Fresh given-up jobs of another tenant, diagnosed while Ops still errs.
    await seedWithWorker({
      url: testRedisUrl(),
      prefix,
      queue: QUEUE,
      jobs: Array.from({ length: 4 }, (_, i) => ({
        name: 'deliver-webhook',
        data: {
          tenantId: 't-noisy',
          webhookId: `n-${i}`,
          url: `${stubs[0]!.url}/hooks/t-noisy`,
          event: 'e',
          body: {},
        },
        failWith: 'HTTP 503',
      })),
    });
    startDeliveryWorker();
    tenantStatus = 200;
    opsErrors = 800;
    await driver.newIncident('webhooks');
    const batch = await driver.plan('replay webhooks --tenant t-noisy --batch 2');
    if (batch.kind !== 'posted') throw new Error(batch.text);
    await driver.click(batch.ts, 'approve', APPROVER);
    const result = await eventually(async () => {
      const raw = await redis.get(`${harness.config.statePrefix}:verification:${batch.batchId}`);
      return raw === null
        ? undefined
        : (JSON.parse(raw) as { status: string; parts: { name: string; status: string }[] });
    }, 30_000);
    expect(result.status).toBe('not-verified');
    expect(result.parts.find((part) => part.name === 'error-rate')?.status).toBe('fail');
    expect(result.parts.find((part) => part.name === 'jobs')?.status).toBe('pass');
    const refused = await driver.plan('replay webhooks --tenant t-noisy --batch 3');
    expect(refused.kind === 'refused' && refused.text).toContain('Batch 1 (2 jobs) is not verified yet');
  });
});
