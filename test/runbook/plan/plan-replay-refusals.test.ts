import { planReplay, type PlanReplayResult } from '../../../src/runbook/plan/plan-replay';
import { fakes, gateBlock, hookJob, request, seriesRecord, type Fakes } from './plan-replay-fakes';

function refused(result: PlanReplayResult) {
  if (result.kind !== 'refused')
    throw new Error(`expected a refusal, got a plan of ${result.manifest.jobs.length}`);
  return result;
}

describe('planReplay refusals', () => {
  let f: Fakes;
  beforeEach(() => {
    f = fakes();
    f.queue.failed.push(...Array.from({ length: 12 }, (_, i) => hookJob(String(i + 1))));
  });

  const nothingStored = () => {
    expect(f.created).toEqual([]);
    expect(f.series.appended).toEqual([]);
  };

  it('refuses `blocked` when a failed sample covers the cohort, naming the failed check', async () => {
    f.blocks.push(gateBlock({ tenant: 'acme' }, 'tenant=acme'));

    const result = refused(await planReplay(f.deps, request({ cohort: { tenant: 'acme' } })));

    expect(result.reason).toBe('blocked');
    expect(result.details).toEqual([
      'webhooks failed cohort tenant=acme: job 42: well-formed failed (url is missing)',
    ]);
    nothingStored();
    // Invariant 7: the refused attempt is audited with who asked and why not.
    expect(f.attempts).toEqual([
      expect.objectContaining({ action: 'plan', actor: request().requestedBy, result: 'blocked' }),
    ]);
    expect(f.attempts[0]?.detail).toContain('failed its checks');
  });

  it('plans past a block on a cohort that cannot overlap', async () => {
    f.blocks.push(gateBlock({ tenant: 'other' }, 'tenant=other'));
    expect((await planReplay(f.deps, request({ cohort: { tenant: 'acme' } }))).kind).toBe('planned');
  });

  it('refuses `open-batch` while a batch of the replay awaits its decision', async () => {
    const open = seriesRecord('pending');
    f.series.records.push(open);

    const result = refused(await planReplay(f.deps, request()));

    expect(result.reason).toBe('open-batch');
    expect(result.message).toContain(`Batch 1 (${open.manifest.id}) of this replay is still pending`);
    nothingStored();
  });

  it('refuses `open-batch` while someone else is planning the same replay', async () => {
    f.series.busy = true;

    const result = refused(await planReplay(f.deps, request()));

    expect(result.reason).toBe('open-batch');
    expect(result.message).toMatch(/Someone is planning the next webhooks batch/);
    nothingStored();
  });

  it('still plans a dry run while a batch is open', async () => {
    f.series.records.push(seriesRecord('approved'));

    const result = await planReplay(f.deps, request({ dryRun: true }));

    expect(result.kind).toBe('planned');
    expect(f.created).toHaveLength(1);
    expect(f.created[0]?.dryRun).toBe(true);
  });

  it('refuses `ladder` for a first batch over 10, whatever the operator asks', async () => {
    const result = refused(await planReplay(f.deps, request({ batchSize: 11 })));

    expect(result.reason).toBe('ladder');
    expect(result.message).toContain('choose 10 or fewer');
    nothingStored();

    expect((await planReplay(f.deps, request({ batchSize: 10 }))).kind).toBe('planned');
  });

  it('refuses `ladder` growth after an unverified batch, saying why it is not verified', async () => {
    f.series.records.push(seriesRecord('done', 1, 5));
    f.verdict = { verified: false, reason: '2 of 5 replayed jobs have not completed', replayed: 5 };

    const result = refused(await planReplay(f.deps, request({ batchSize: 6 })));

    expect(result.reason).toBe('ladder');
    expect(result.details).toEqual(['Not verified: 2 of 5 replayed jobs have not completed.']);
    nothingStored();
  });

  it('refuses `precondition` with the reasons when an endpoint of the chosen jobs is down', async () => {
    f.downHosts.add('a.example');

    const result = refused(await planReplay(f.deps, request({ batchSize: 3 })));

    expect(result.reason).toBe('precondition');
    expect(result.details).toEqual(['webhooks: endpoint a.example is down (HTTP 503)']);
    // Probed with exactly the jobs that would have been planned.
    expect(f.probed.webhooks.flat().map((t) => t.url)).toEqual([
      'https://a.example/hooks/1',
      'https://a.example/hooks/2',
      'https://a.example/hooks/3',
    ]);
    nothingStored();
  });

  it('refuses an enqueue of recordings without --tenant', async () => {
    const result = refused(
      await planReplay(f.deps, request({ workflow: 'recordings', enqueue: { ids: ['rec-1'] } })),
    );

    expect(result.reason).toBe('nothing-eligible');
    expect(result.message).toMatch(/^Cannot enqueue: --tenant is required for recordings/);
    nothingStored();
  });
});
