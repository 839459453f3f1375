import type { Redis } from 'ioredis';
import { BlockId } from '../../blocks/ids';
import { SANDBOX_IDS, type RecordedCall } from '../../src/sandbox';
import { startS3StandIn, type S3StandIn } from '../../src/sandbox/demo/s3-stand-in';
import { demoWav, sourceTimeoutReason } from '../../src/sandbox/demo/seed-recordings';
import { recordingsWorkflow } from '../../src/workflows/recordings';
import { startHarness, type Harness } from '../e2e/harness';
import { ReplayDriver } from '../e2e/replay-driver';
import { seedWithWorker } from '../helpers/bullmq-fixtures';
import { deleteKeysWithPrefix, randomPrefix, testRedis, testRedisUrl } from '../helpers/redis';
import { accountFor, blockText, expectValidMessage, watchProcess, type ProcessWatch } from './fault-kit';
import { startFaultProxy, type Fault, type FaultProxy } from './fault-proxy';

const QUEUE = recordingsWorkflow.queue;

/** S3's XML error (a HEAD gets the status alone, as from S3). */
const s3Error = (status: number, code: string, message: string): Fault => ({
  kind: 'status',
  status,
  type: 'application/xml',
  body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`,
});

const FAULTS: readonly (readonly [string, Fault, RegExp, RegExp])[] = [
  [
    '503 SlowDown',
    s3Error(503, 'SlowDown', 'Please reduce your request rate.'),
    /store error \(HTTP 503\)/,
    /S3 store error \(HTTP 503\)/,
  ],
  [
    '403 AccessDenied',
    s3Error(403, 'AccessDenied', 'Access Denied'),
    /access denied to bucket demo-recordings \(HTTP 403\)/,
    /access denied to source object .* \(HTTP 403\)/,
  ],
];

/**
 * The recordings bucket (the demo's S3 stand-in, behind a fault proxy on
 * loopback) answers 503 SlowDown or 403 AccessDenied. The diagnosis says the
 * bucket is down and why, a plan and an approval are refused by the
 * recordings precondition with that reason and nothing moves; once the bucket
 * answers, the approval runs the batch once.
 */
describe('fault: recordings bucket answers S3 503 and 403', () => {
  const prefix = randomPrefix('flt-s3');
  let s3: S3StandIn;
  let proxy: FaultProxy;
  let redis: Redis;
  let harness: Harness;
  let driver: ReplayDriver;
  let watch: ProcessWatch;
  let faultsAtBot = 0;

  beforeAll(async () => {
    redis = testRedis();
    s3 = await startS3StandIn();
    proxy = await startFaultProxy(s3.url);
    harness = await startHarness({
      env: {
        QUEUE_PREFIX: prefix,
        TREND_WINDOW_MS: '50',
        PROBE_TIMEOUT_MS: '1000',
        APPROVERS: SANDBOX_IDS.approver,
        RECORDINGS_BUCKET: s3.bucket,
        S3_ENDPOINT: proxy.url,
        RECORDING_ENABLED: 'true',
      },
      // The stand-in only checks that requests are signed: its own fake static keys.
      config: (loaded) => ({ ...loaded, recordings: { ...loaded.recordings, credentials: s3.credentials } }),
    });
    driver = new ReplayDriver(harness, redis);
    watch = watchProcess();
  }, 60_000);

  afterAll(async () => {
    watch?.stop();
    await harness?.close();
    await proxy?.close();
    await s3?.close();
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
    console.info(`s3 faults met by the bot: ${faultsAtBot}`);
  });

  async function whileFaulty<T>(fault: Fault, run: () => Promise<T>): Promise<T> {
    const before = proxy.faulted;
    proxy.inject(() => fault);
    try {
      return await run();
    } finally {
      proxy.heal();
      faultsAtBot += proxy.faulted - before;
    }
  }

  /** Recordings that gave up on a read timeout; their sources are in the bucket. */
  async function givenUp(tenant: string, count: number): Promise<string[]> {
    const recordings = Array.from({ length: count }, (_, i) => {
      const id = `rec_${tenant}_${i}`;
      const payload = {
        tenantId: tenant,
        conversationId: id,
        recordingId: id,
        sourceKey: `recordings/${tenant}/${id}/source.wav`,
        outputKey: `recordings/${tenant}/${id}/final.mp3`,
      };
      s3.putObject(payload.sourceKey, demoWav(id), 'audio/wav');
      return payload;
    });
    return seedWithWorker({
      url: testRedisUrl(),
      prefix,
      queue: QUEUE,
      jobs: recordings.map((data) => ({
        name: 'transmux-recording',
        data,
        failWith: sourceTimeoutReason(data.sourceKey),
      })),
    });
  }

  const rootAt = (ts: string): RecordedCall => {
    const root = harness.emulator.calls.find((c) => c.method === 'chat.postMessage' && c.response.ts === ts);
    if (!root) throw new Error(`no diagnosis at ${ts}`);
    return root;
  };

  const expectAllValid = (from: number): void => {
    const posted = harness.emulator.calls
      .slice(from)
      .filter((c) =>
        ['chat.postMessage', 'chat.update', 'chat.postEphemeral', 'response_url'].includes(c.method),
      );
    expect(posted.length).toBeGreaterThan(0);
    posted.forEach(expectValidMessage);
  };

  it.each(FAULTS)(
    'bucket answering %s: diagnosis says the bucket is down and why, plan and approval are refused, nothing moves; recovered, the batch runs once',
    async (label, fault, probeReason, checkReason) => {
      const from = harness.emulator.calls.length;
      const metBefore = faultsAtBot;
      const tenant = `t${label.slice(0, 3)}`;
      const ids = await givenUp(tenant, 3);

      const ts = await whileFaulty(fault, () => driver.newIncident('recordings'));
      const upstream = blockText(rootAt(ts), BlockId.upstream);
      expect(upstream).toContain(':x: *Recordings bucket* down');
      expect(upstream).toMatch(probeReason);

      // A plan during the fault: its target checks cannot read the sources, so nothing is planned.
      const refused = await whileFaulty(fault, () => driver.plan(`replay recordings --tenant ${tenant}`));
      expect(refused.kind).toBe('refused');
      if (refused.kind === 'refused') expect(refused.text).toMatch(checkReason);

      // Recovered: the plan posts at once (the failed checks were not remembered).
      const plan = await driver.plan(`replay recordings --tenant ${tenant}`);
      if (plan.kind !== 'posted') throw new Error(plan.text);

      // The bucket fails again before the click: refused by the precondition, with the reason.
      const seen = driver.ephemeralsOf(SANDBOX_IDS.approver).length;
      const answer = await whileFaulty(fault, async () => {
        await driver.click(plan.ts, 'approve', SANDBOX_IDS.approver);
        return driver.nextEphemeral(SANDBOX_IDS.approver, seen);
      });
      expect(answer).toContain('recordings: the recordings bucket is not healthy (down)');
      expect(answer).toMatch(probeReason);
      expect(await driver.stateOf(plan.batchId)).toBe('pending');
      expect(await accountFor(redis, prefix, QUEUE, ids)).toEqual({
        movedOnce: 0,
        untouched: ids.length,
        lost: [],
        repeated: [],
      });

      await driver.click(plan.ts, 'approve', SANDBOX_IDS.approver);
      expect(await driver.waitForState(plan.batchId, 'done', 'failed')).toBe('done');
      expect(await accountFor(redis, prefix, QUEUE, ids)).toEqual({
        movedOnce: ids.length,
        untouched: 0,
        lost: [],
        repeated: [],
      });
      expectAllValid(from);
      // The bot met the fault at each step: diagnosis, plan and approval.
      expect(faultsAtBot - metBefore).toBeGreaterThanOrEqual(3);
      expect(watch.seen).toEqual([]);
    },
    90_000,
  );
});
