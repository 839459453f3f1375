import type { Redis } from 'ioredis';
import nock from 'nock';
import { SANDBOX_IDS } from '../../src/sandbox';
import { eventually } from '../helpers/eventually';
import { mockThirdPartyHttp } from '../helpers/nock';
import { deleteKeysWithPrefix, randomPrefix, testRedis } from '../helpers/redis';
import { startHarness, type Harness } from './harness';
import { ReplayDriver } from './replay-driver';

const S3 = 'https://s3.recordings.test';
const BUCKET = 'recordings-bucket';
const QUEUE = 'recording-postprocess';

/**
 * Issue 4, item 9: jobs that were never enqueued, through the same plan,
 * approval and ladder; deterministic ids make a second enqueue a no-op.
 */
describe('/stuckjobs enqueue end to end', () => {
  const prefix = randomPrefix('enq');
  let harness: Harness;
  let redis: Redis;
  let driver: ReplayDriver;
  const savedEnv = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };

  mockThirdPartyHttp();

  beforeAll(async () => {
    redis = testRedis();
    process.env.AWS_ACCESS_KEY_ID = 'AKIATESTONLY';
    process.env.AWS_SECRET_ACCESS_KEY = 'test-only-secret';
    harness = await startHarness({
      env: {
        QUEUE_PREFIX: prefix,
        TREND_WINDOW_MS: '50',
        APPROVERS: SANDBOX_IDS.approver,
        RECORDINGS_BUCKET: BUCKET,
        S3_ENDPOINT: S3,
        RECORDING_ENABLED: 'true',
      },
    });
    driver = new ReplayDriver(harness, redis);
  }, 60_000);

  afterAll(async () => {
    await harness?.close();
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
    process.env.AWS_ACCESS_KEY_ID = savedEnv.id;
    process.env.AWS_SECRET_ACCESS_KEY = savedEnv.secret;
  });

  beforeEach(() => {
    nock(S3).persist().head(`/${BUCKET}/`).reply(200);
    // The recordings' source objects exist, except rec-gone's.
    nock(S3).persist().head(`/${BUCKET}/recordings/t-rec/rec-gone/source.wav`).reply(404);
    nock(S3)
      .persist()
      .head(/\/recordings-bucket\/recordings\/t-rec\/rec-\d+\/source\.wav/)
      .reply(200);
  });

  const jobKey = (id: string) => `${prefix}:${QUEUE}:stuckjobs-recordings-${id}`;

  it('creates each job once when the same ids are enqueued twice, and leaves out a missing recording', async () => {
    await driver.newIncident('recordings');
    const first = await driver.plan('enqueue recordings rec-1 rec-2 rec-gone --tenant t-rec');
    if (first.kind !== 'posted') throw new Error(first.text);
    const shown = JSON.stringify(first.post.args.blocks);
    expect(shown).toContain('Enqueue batch 1');
    expect(shown).toContain('stuckjobs-recordings-rec-1');
    expect(shown).toContain('rec-gone: target check');
    expect(await redis.exists(jobKey('rec-1'))).toBe(0);

    await driver.click(first.ts, 'approve', SANDBOX_IDS.approver);
    await driver.waitForState(first.batchId, 'done');
    // The next plan waits for the batch's verification (nobody runs these jobs here: it will not pass).
    await eventually(
      async () =>
        (await redis.exists(`${harness.config.statePrefix}:verification:${first.batchId}`)) === 1
          ? true
          : undefined,
      10_000,
    );
    for (const id of ['rec-1', 'rec-2']) {
      const data = JSON.parse((await redis.hget(jobKey(id), 'data')) ?? '{}') as Record<string, string>;
      expect(data).toEqual({
        tenantId: 't-rec',
        conversationId: id,
        recordingId: id,
        sourceKey: `recordings/t-rec/${id}/source.wav`,
        outputKey: `recordings/t-rec/${id}/final.mp3`,
      });
      expect(await redis.hget(jobKey(id), 'name')).toBe('transmux-recording');
    }
    expect(await redis.exists(jobKey('rec-gone'))).toBe(0);
    const waiting = await redis.lrange(`${prefix}:${QUEUE}:wait`, 0, -1);
    expect(waiting.sort()).toEqual(['stuckjobs-recordings-rec-1', 'stuckjobs-recordings-rec-2']);

    const again = await driver.plan('enqueue recordings rec-1 rec-2 --tenant t-rec');
    if (again.kind !== 'refused') throw new Error('a second enqueue of the same ids was planned');
    expect(again.text).toContain('None of the recording ids can be enqueued');
    expect(again.text).toContain('rec-1: already enqueued');
    expect((await redis.lrange(`${prefix}:${QUEUE}:wait`, 0, -1)).sort()).toEqual(waiting.sort());
  });

  it('refuses workflows without a template and a missing --tenant, saying what to type', async () => {
    await driver.newIncident('recordings');
    const noTenant = await driver.plan('enqueue recordings rec-9');
    expect(noTenant.kind === 'refused' && noTenant.text).toContain('--tenant is required for recordings');
    const webhooks = await driver.plan('enqueue webhooks wh-1');
    expect(webhooks.kind === 'refused' && webhooks.text).toContain(
      'webhooks jobs cannot be enqueued from an id',
    );
  });
});
