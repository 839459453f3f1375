import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { BlockId } from '../../blocks/ids';
import { SANDBOX_IDS, type RecordedCall } from '../../src/sandbox';
import type { Harness } from '../e2e/harness';
import { blocksOf } from '../e2e/messages';
import type { ReplayDriver } from '../e2e/replay-driver';
import { eventually } from '../helpers/eventually';
import type { Loopback } from '../helpers/loopback';
import { randomPrefix, testRedis, testRedisUrl } from '../helpers/redis';
import { signozStandIn } from '../helpers/stand-ins';
import {
  blockText,
  diagnoseAndWait,
  expectEveryJob,
  expectValidMessage,
  type ProcessWatch,
  faultEnv,
  givenUpWebhooks,
} from './fault-kit';
import { closeFaultWorld, releaseSharedRedis, startAcceptingTenant, startFaultWorld } from './fault-world';
import { startFaultProxy, type FaultProxy } from './fault-proxy';

const QUEUE = 'webhook-delivery';
/** Steady Ops traffic, the same error rate now as in the hour before: a verification passes on it. */
const CURRENT = { spans: 600, errors: 3, p95Ms: 120 };
const BASELINE = { spans: 2400, errors: 12, p95Ms: 110 };
const SIGNOZ_500 = {
  kind: 'status',
  status: 500,
  body: JSON.stringify({ status: 'error', error: { message: 'clickhouse: connection reset' } }),
} as const;

/**
 * SigNoz down (connection refused, then HTTP 500) and the Docker API socket
 * missing. Neither stops the runbook: every diagnosis posts, saying what it
 * could not read; a batch verified while SigNoz is down says its error rate
 * could not be read (neither a pass nor a crash) and is not called verified;
 * once SigNoz answers, `verify` judges the error rate again and passes.
 */
describe('fault: SigNoz down and the Docker API socket missing', () => {
  const prefix = randomPrefix('flt-sd');
  const socket = path.join(tmpdir(), `stuckjobs-${randomBytes(6).toString('hex')}`, 'nonexistent.sock');
  let tenant: Loopback;
  let signoz: Loopback;
  let proxy: FaultProxy;
  let redis: Redis;
  let worker: Worker | undefined;
  let workerConnection: Redis | undefined;
  let harness: Harness;
  let driver: ReplayDriver;
  let watch: ProcessWatch;

  beforeAll(async () => {
    redis = testRedis();
    tenant = await startAcceptingTenant();
    signoz = await signozStandIn(() => CURRENT, BASELINE);
    proxy = await startFaultProxy(signoz.url);
    ({ harness, driver, watch } = await startFaultWorld(redis, {
      env: faultEnv(prefix, {
        SIGNOZ_URL: proxy.url,
        OPS_DOCKER_URL: `unix://${socket}`,
      }),
    }));
  }, 60_000);

  afterAll(async () => {
    // SigNoz back before the bot closes: a verification still watching reads it and ends.
    await proxy?.up();
    await closeFaultWorld(
      { watch, harness },
      () => worker?.close(),
      () => workerConnection?.quit().catch(() => workerConnection?.disconnect()),
      () => proxy?.close(),
      () => signoz?.close(),
      () => tenant?.close(),
      releaseSharedRedis(redis, prefix),
    );
    console.info(`signoz faults: ${proxy?.refusals} refusal windows, ${proxy?.faulted} HTTP 500 answers`);
  });

  const givenUp = (tenantId: string, count: number) =>
    givenUpWebhooks(
      { redisUrl: testRedisUrl(), prefix, queue: QUEUE, tenantUrl: tenant.url },
      tenantId,
      count,
    );

  /** The tenant is back: a worker delivers replayed jobs and records the 200, as Delphi's does. */
  function startDelivering(): void {
    workerConnection = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
    workerConnection.on('error', () => undefined);
    worker = new Worker(QUEUE, () => Promise.resolve({ status: 200 }), {
      connection: workerConnection,
      prefix,
    });
    worker.on('error', () => undefined);
  }

  /** The verification of `batchId` once judged (its parts block is there). */
  const verificationOf = (batchId: string, from: number): Promise<RecordedCall> =>
    eventually(
      () =>
        Promise.resolve(
          harness.emulator.calls
            .slice(from)
            .find(
              (c) =>
                blocksOf(c).some((b) => b.block_id === BlockId.verificationParts) &&
                JSON.stringify(c.args.blocks).includes(batchId),
            ),
        ),
      30_000,
      50,
    );

  const errorRateLine = (call: RecordedCall): string =>
    blockText(call, BlockId.verificationParts)
      .split('\\n')
      .find((line) => line.includes('*Ops error rate*')) ?? '';

  it('with the Docker API socket missing, the diagnosis posts and says the Ops containers are unknown, not down', async () => {
    const post = await diagnoseAndWait(harness, 'diagnose --new');
    expectValidMessage(post);
    const upstream = blockText(post, BlockId.upstream);
    expect(upstream).toContain(':grey_question: *Ops containers* unknown');
    // The random directory name is masked as token-like by the redaction; the rest is as given.
    expect(upstream).toMatch(
      /cannot reach Docker API at unix:\/\/\/tmp\/\S+\/nonexistent\.sock: socket not found \(ENOENT\)/,
    );
    // Not knowing the containers is not blaming them: no verdict names one as down.
    for (const id of ['webhooks', 'recordings', 'billing']) {
      expect(blockText(post, `${BlockId.workflowPrefix}${id}`)).not.toContain('voiceai-');
    }
    expect(watch.seen).toEqual([]);
  }, 60_000);

  it('SigNoz refusing connections then answering 500: diagnoses post, the verification says the error rate could not be read; recovered, it passes', async () => {
    const from = harness.emulator.calls.length;
    // Diagnosed while SigNoz answers: the baseline is kept with the incident.
    await driver.newIncident('webhooks');
    const ids = await givenUp('t-signoz', 3);
    startDelivering();
    const plan = await driver.plan('replay webhooks --tenant t-signoz');
    if (plan.kind !== 'posted') throw new Error(plan.text);

    // SigNoz goes away: connection refused.
    await proxy.down();
    const during = await diagnoseAndWait(harness, 'diagnose webhooks');
    expectValidMessage(during);
    expect(blockText(during, BlockId.upstream)).toMatch(
      /:grey_question: \*SigNoz\* unknown: cannot reach SigNoz at http:\/\/127\.0\.0\.1:\d+: connection refused \(ECONNREFUSED\)/,
    );
    await driver.click(plan.ts, 'approve', SANDBOX_IDS.approver);
    expect(await driver.waitForState(plan.batchId, 'done', 'failed')).toBe('done');
    const refused = await verificationOf(plan.batchId, from);
    expectValidMessage(refused);
    expect(errorRateLine(refused)).toContain(
      ':grey_question: *Ops error rate*: no error rate from SigNoz now',
    );
    expect(errorRateLine(refused)).toContain('connection refused (ECONNREFUSED)');
    expect(blockText(refused, BlockId.verificationResult)).not.toContain('Verified.');

    // SigNoz is back but failing: HTTP 500.
    await proxy.up();
    proxy.inject(() => SIGNOZ_500);
    const on500 = await diagnoseAndWait(harness, 'diagnose webhooks');
    expectValidMessage(on500);
    expect(blockText(on500, BlockId.upstream)).toContain(
      ':grey_question: *SigNoz* unknown: SigNoz answered HTTP 500: clickhouse: connection reset',
    );
    const again = harness.emulator.calls.length;
    await harness.emulator.sendSlashCommand({ text: 'verify webhooks' });
    const failing = await verificationOf(plan.batchId, again);
    expectValidMessage(failing);
    expect(errorRateLine(failing)).toContain('no error rate from SigNoz now: SigNoz answered HTTP 500');
    expect(blockText(failing, BlockId.verificationResult)).not.toContain('Verified.');

    // Recovered: the same verification reads the error rate and passes it.
    proxy.heal();
    const healed = harness.emulator.calls.length;
    await harness.emulator.sendSlashCommand({ text: 'verify webhooks' });
    const passing = await verificationOf(plan.batchId, healed);
    expectValidMessage(passing);
    expect(errorRateLine(passing)).toContain(':white_check_mark: *Ops error rate*');
    expect(errorRateLine(passing)).toContain('back to baseline');

    // The batch itself ran once, whatever SigNoz said.
    await expectEveryJob(redis, prefix, QUEUE, ids, 'movedOnce');
    expect(proxy.refusals).toBe(1);
    expect(proxy.faulted).toBeGreaterThanOrEqual(4);
    expect(watch.seen).toEqual([]);
  }, 90_000);
});
