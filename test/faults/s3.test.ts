import type { Redis } from 'ioredis';
import { startS3StandIn, type S3StandIn } from '../../src/sandbox/demo/s3-stand-in';
import { demoWav, sourceTimeoutReason } from '../../src/sandbox/demo/seed-recordings';
import { recordingsWorkflow } from '../../src/workflows/recordings';
import type { Harness } from '../e2e/harness';
import type { ReplayDriver } from '../e2e/replay-driver';
import { seedWithWorker } from '../helpers/bullmq-fixtures';
import { randomPrefix, testRedis, testRedisUrl } from '../helpers/redis';
import { expectAllValidSince, faultEnv, type ProcessWatch } from './fault-kit';
import { closeFaultWorld, releaseSharedRedis, startFaultWorld } from './fault-world';
import { FaultWindow, runOutage } from './outage-scenario';
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
  let faultWindow: FaultWindow;

  beforeAll(async () => {
    redis = testRedis();
    s3 = await startS3StandIn();
    proxy = await startFaultProxy(s3.url);
    faultWindow = new FaultWindow(proxy);
    ({ harness, driver, watch } = await startFaultWorld(redis, {
      env: faultEnv(prefix, {
        RECORDINGS_BUCKET: s3.bucket,
        S3_ENDPOINT: proxy.url,
        RECORDING_ENABLED: 'true',
      }),
      // The stand-in only checks that requests are signed: its own fake static keys.
      config: (loaded) => ({ ...loaded, recordings: { ...loaded.recordings, credentials: s3.credentials } }),
    }));
  }, 60_000);

  afterAll(async () => {
    await closeFaultWorld(
      { watch, harness },
      () => proxy?.close(),
      () => s3?.close(),
      releaseSharedRedis(redis, prefix),
    );
    console.info(`s3 faults met by the bot: ${faultWindow?.faultsAtBot}`);
  });

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

  it.each(FAULTS)(
    'bucket answering %s: diagnosis says the bucket is down and why, plan and approval are refused, nothing moves; recovered, the batch runs once',
    async (label, fault, probeReason, checkReason) => {
      const from = harness.emulator.calls.length;
      const metBefore = faultWindow.faultsAtBot;
      const tenant = `t${label.slice(0, 3)}`;
      const ids = await givenUp(tenant, 3);

      await runOutage(
        { harness, driver, redis, prefix, queue: QUEUE, faultWindow },
        {
          workflow: 'recordings',
          tenant,
          ids,
          fault,
          upstreamDown: ':x: *Recordings bucket* down',
          probeReason,
          planReason: checkReason,
          approvalRefusal: 'recordings: the recordings bucket is not healthy (down)',
        },
      );
      expectAllValidSince(harness, from);
      // The bot met the fault at each step: diagnosis, plan and approval.
      expect(faultWindow.faultsAtBot - metBefore).toBeGreaterThanOrEqual(3);
      expect(watch.seen).toEqual([]);
    },
    90_000,
  );
});
