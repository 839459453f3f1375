import type { Redis } from 'ioredis';
import { createBatchManifest, payloadSha256 } from '../../../src/approvals/batch-manifest';
import { silentLogger } from '../../../src/logger';
import { batchFromManifest } from '../../../src/runbook/replay/batch-from-manifest';
import { ReplayError, ReplayErrorCode } from '../../../src/runbook/replay/errors';
import { executeBatch } from '../../../src/runbook/replay/executor';
import { RedisBatchJournal } from '../../../src/runbook/replay/journal';
import { replayBatchSchema, SkipReason } from '../../../src/runbook/replay/types';
import { manifestInput } from '../../approvals/fixtures';
import { deleteKeysWithPrefix, randomPrefix, testRedis, testRedisUrl } from '../../helpers/redis';
import { recordingJob } from './enqueue-helpers';
import { QUEUE, batchOf, seedGivenUp, testQueue } from './helpers';

const NOW = 1_750_000_000_000;

describe('batchFromManifest', () => {
  it('hands over a replay manifest as a batch without a kind, as journals always stored it', () => {
    const manifest = createBatchManifest(manifestInput({ id: 'b-0123456789ab' }), NOW);
    const batch = batchFromManifest(manifest, 'bull');
    expect(batch).toEqual({
      id: 'b-0123456789ab',
      queuePrefix: 'bull',
      queue: 'webhook-delivery',
      jobs: manifest.jobs.map(({ id, payloadSha256: sha }) => ({ id, payloadSha256: sha })),
    });
    expect('kind' in batch).toBe(false);
  });

  it('hands over an enqueue manifest with every job it adds', () => {
    const jobs = [recordingJob('rec-1'), recordingJob('rec-2')];
    const manifest = createBatchManifest(
      manifestInput({ kind: 'enqueue', workflow: 'recordings', queue: 'recording-postprocess', jobs }),
      NOW,
    );
    expect(batchFromManifest(manifest, 'bull')).toEqual({
      id: manifest.id,
      kind: 'enqueue',
      queuePrefix: 'bull',
      queue: 'recording-postprocess',
      jobs,
    });
  });

  it('refuses a dry run: it never executes', () => {
    const manifest = createBatchManifest(manifestInput({ dryRun: true }), NOW);
    expect(() => batchFromManifest(manifest, 'bull')).toThrow(ReplayError);
    try {
      batchFromManifest(manifest, 'bull');
    } catch (error) {
      expect((error as ReplayError).code).toBe(ReplayErrorCode.DryRun);
    }
  });

  it('refuses a manifest edited after it was made (a payload that is not the approved one)', () => {
    const manifest = createBatchManifest(
      manifestInput({
        kind: 'enqueue',
        workflow: 'recordings',
        queue: 'recording-postprocess',
        jobs: [recordingJob('rec-1')],
      }),
      NOW,
    );
    const job = manifest.jobs[0]!;
    const edited = {
      ...manifest,
      jobs: [{ ...job, enqueue: { ...job.enqueue!, data: '{"tenantId":"evil"}' } }],
    };
    expect(() => batchFromManifest(edited, 'bull')).toThrow();
  });
});

describe('replay batch schema, by kind', () => {
  const base = { id: 'b-1', queuePrefix: 'bull', queue: 'q' };

  it.each<[string, unknown]>([
    [
      'an enqueue batch job without a payload',
      { ...base, kind: 'enqueue', jobs: [{ id: 'stuckjobs-x-1', payloadSha256: payloadSha256('{}') }] },
    ],
    ['a replay batch job with a payload', { ...base, jobs: [recordingJob('rec-1')] }],
    ['an all-digit id to add', { ...base, kind: 'enqueue', jobs: [{ ...recordingJob('rec-1'), id: '123' }] }],
    [
      'an id to add with a colon',
      { ...base, kind: 'enqueue', jobs: [{ ...recordingJob('rec-1'), id: 'a:b' }] },
    ],
  ])('refuses %s', (_label, batch) => {
    expect(replayBatchSchema.safeParse(batch).success).toBe(false);
  });
});

describe('replay journals and kind', () => {
  let redis: Redis;
  let prefix: string;
  let statePrefix: string;

  beforeAll(() => {
    redis = testRedis();
  });
  beforeEach(() => {
    prefix = randomPrefix('kind-q');
    statePrefix = randomPrefix('kind-s');
  });
  afterEach(async () => {
    await deleteKeysWithPrefix(redis, prefix);
    await deleteKeysWithPrefix(redis, statePrefix);
  });
  afterAll(async () => {
    await redis.quit();
  });

  it('takes over a replay journal written before kind existed, whichever way the batch spells replay', async () => {
    const ids = await seedGivenUp({ url: testRedisUrl(), prefix, queue: QUEUE, count: 2, attempts: 1 });
    const batch = await batchOf(redis, prefix, QUEUE, ids);
    const journal = new RedisBatchJournal(redis, statePrefix, silentLogger);
    await journal.begin(batch);
    // What the journal holds is the text it held before kind existed.
    expect(JSON.parse((await redis.hget(journal.keys(batch.id).meta, 'batch'))!)).not.toHaveProperty('kind');

    const outcomes = await executeBatch({
      batch: { ...batch, kind: 'replay' },
      connection: redis,
      journal,
      logger: silentLogger,
    });

    expect(outcomes.map((o) => o.status)).toEqual(['replayed', 'replayed']);
  });

  it('fails closed on a replay `moving` entry without the failure mark: reported, not moved', async () => {
    const ids = await seedGivenUp({ url: testRedisUrl(), prefix, queue: QUEUE, count: 1, attempts: 1 });
    const batch = await batchOf(redis, prefix, QUEUE, ids);
    const journal = new RedisBatchJournal(redis, statePrefix, silentLogger);
    await journal.begin(batch);
    await journal.write(batch.id, ids[0]!, { status: 'moving', at: Date.now() });
    const queue = testQueue(redis, prefix);

    try {
      const outcomes = await executeBatch({ batch, connection: redis, journal, logger: silentLogger });
      expect(outcomes).toEqual([{ jobId: ids[0], status: 'skipped', reason: SkipReason.UnreadableJournal }]);
      expect(await queue.getJobState(ids[0]!)).toBe('failed');
    } finally {
      await queue.close();
    }
  });
});
