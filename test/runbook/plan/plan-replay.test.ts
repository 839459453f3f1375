import { payloadSha256 } from '../../../src/approvals/batch-manifest';
import { planReplay, type PlanReplayResult } from '../../../src/runbook/plan/plan-replay';
import { enqueueJobId } from '../../../src/workflows/enqueue-template';
import { fakes, hookJob, NOW, request, SESSION, seriesRecord, TTL_MS, type Fakes } from './plan-replay-fakes';

function planned(result: PlanReplayResult) {
  if (result.kind !== 'planned') throw new Error(`refused (${result.reason}): ${result.message}`);
  return result;
}

describe('planReplay plans', () => {
  let f: Fakes;
  beforeEach(() => {
    f = fakes();
  });

  it("stores a real batch of the cohort's given-up jobs and appends it to the replay's series", async () => {
    const mine = [hookJob('1'), hookJob('2'), hookJob('3')];
    f.queue.failed.push(mine[0]!, hookJob('9', { tenant: 'other' }), mine[1]!, mine[2]!);

    const result = planned(await planReplay(f.deps, request({ cohort: { tenant: 'acme' } })));

    const manifest = result.manifest;
    expect(manifest).toMatchObject({
      sessionId: SESSION,
      workflow: 'webhooks',
      queue: 'webhook-delivery',
      cohort: { tenant: 'acme' },
      batchNumber: 1,
      requestedBy: 'U-REQ',
      createdAt: NOW,
      expiresAt: NOW + TTL_MS,
      dryRun: false,
    });
    expect(manifest.jobs).toEqual(
      mine.map((job) => ({ id: job.id, payloadSha256: payloadSha256(job.rawData) })),
    );
    expect(f.created).toEqual([manifest]);
    expect(f.series.appended).toEqual([[SESSION, 'webhooks', manifest.id]]);
    expect(result.manifestHash).toBe(`hash-${manifest.id}`);
    expect(result.ladder).toMatchObject({ batchNumber: 1, maxSize: 10, suggestedSize: 5 });
    expect(result.notes).toEqual([]);
  });

  it("holds the replay's planning lease while planning a real batch, and gives it back", async () => {
    f.queue.failed.push(hookJob('1'));

    await planReplay(f.deps, request());

    const [lock, unlock] = f.series.locks;
    expect(f.series.locks).toHaveLength(2);
    expect(lock?.slice(0, 3)).toEqual(['lock', SESSION, 'webhooks']);
    expect(unlock).toEqual(['unlock', SESSION, 'webhooks', lock?.[3]]);
  });

  it('stores a dry run for the audit but never appends it to the series', async () => {
    f.queue.failed.push(hookJob('1'));

    const result = planned(await planReplay(f.deps, request({ dryRun: true })));

    expect(result.manifest.dryRun).toBe(true);
    expect(f.created).toEqual([result.manifest]);
    expect(f.series.appended).toEqual([]);
    expect(f.series.locks).toEqual([]);
  });

  it('numbers the batch after a verified one and lets it grow to the next step', async () => {
    f.series.records.push(seriesRecord('done', 1, 5));
    f.verdict = { verified: true, reason: 'all 5 replayed jobs completed', replayed: 5 };
    f.queue.failed.push(...Array.from({ length: 60 }, (_, i) => hookJob(String(i + 1))));

    const result = planned(await planReplay(f.deps, request()));

    expect(result.manifest.batchNumber).toBe(2);
    expect(result.manifest.jobs).toHaveLength(50);
    expect(result.moreEligible).toBe(true);
  });

  it('grows from what the previous batch replayed, not from what it listed', async () => {
    f.series.records.push(seriesRecord('done', 1, 5));
    f.verdict = { verified: true, reason: 'all 2 replayed jobs completed', replayed: 2 };
    f.queue.failed.push(...Array.from({ length: 60 }, (_, i) => hookJob(String(i + 1))));

    const result = planned(await planReplay(f.deps, request()));

    // After 2 replayed the next step is 5; after 5 it would have been 50.
    expect(result.manifest.jobs).toHaveLength(5);
    expect(result.ladder).toMatchObject({ batchNumber: 2, maxSize: 5 });
  });

  it('tells the approver about jobs of the cohort still retrying, which it never plans', async () => {
    f.queue.failed.push(hookJob('1'));
    const retrying = { state: 'delayed' as const, attemptsMade: 1 };
    f.queue.delayed.push(
      hookJob('20', retrying),
      hookJob('21', { ...retrying, tenant: 'other' }),
      hookJob('22', retrying),
    );

    const result = planned(await planReplay(f.deps, request({ cohort: { tenant: 'acme' } })));

    expect(result.manifest.jobs.map((job) => job.id)).toEqual(['1']);
    expect(result.notes).toEqual([
      expect.stringMatching(
        /^2 webhooks job\(s\) of this cohort are still retrying\b.*: they are not in this plan/,
      ),
    ]);
  });

  it("enqueues only the ladder's size of the ids given, in order, and says how many wait", async () => {
    const ids = ['rec-1', 'rec-2', 'rec-3', 'rec-4', 'rec-5', 'rec-6', 'rec-7'];

    const result = planned(
      await planReplay(
        f.deps,
        request({ workflow: 'recordings', cohort: {}, enqueue: { ids, tenant: 'acme' } }),
      ),
    );

    expect(result.manifest.kind).toBe('enqueue');
    expect(result.manifest.jobs.map((job) => job.id)).toEqual(
      ids.slice(0, 5).map((id) => enqueueJobId('recordings', id)),
    );
    expect(result.eligibleFound).toBe(7);
    expect(result.notes).toEqual([
      expect.stringMatching(/^2 more recording id\(s\) wait for the next batch/),
    ]);
    expect(f.probed.recordings).toBe(1);
    expect(f.series.appended).toEqual([[SESSION, 'recordings', result.manifest.id]]);
  });

  it('slices an enqueue to --batch and leaves out ids already enqueued', async () => {
    f.existing.add(enqueueJobId('recordings', 'rec-1'));

    const result = planned(
      await planReplay(
        f.deps,
        request({
          workflow: 'recordings',
          cohort: {},
          batchSize: 2,
          enqueue: { ids: ['rec-1', 'rec-2', 'rec-3', 'rec-4'], tenant: 'acme' },
        }),
      ),
    );

    expect(result.manifest.jobs.map((job) => job.id)).toEqual([
      enqueueJobId('recordings', 'rec-2'),
      enqueueJobId('recordings', 'rec-3'),
    ]);
    expect(result.notes).toEqual([
      expect.stringMatching(/^1 more recording id\(s\) wait for the next batch/),
      'left out: rec-1: already enqueued',
    ]);
  });
});
