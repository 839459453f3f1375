import type { Redis } from 'ioredis';
import { resumeAndReport, type ResumeReport } from '../../handlers/replay/resume';
import { silentLogger } from '../../src/logger';
import { SANDBOX_IDS } from '../../src/sandbox';
import { batchFromManifest } from '../../src/runbook/replay/batch-from-manifest';
import { RedisBatchJournal } from '../../src/runbook/replay/journal';
import { findStrandedApprovals } from '../../src/runbook/replay/stranded-approvals';
import type { Services } from '../../src/services';
import { startLoopback, type Loopback } from '../helpers/loopback';
import { randomPrefix, testRedis } from '../helpers/redis';
import { startHarness, type Harness } from '../e2e/harness';
import { approveInStore, closeReplicas, plannedBatch, secondReplica } from '../e2e/planned-batch';
import { ReplayDriver } from '../e2e/replay-driver';

const QUEUE = 'webhook-delivery';
const TRIALS = 6;
const JOBS = 3;
/** Passes each replica makes at the same moment, as two sweeps that happen to line up. */
const PASSES = 3;

/**
 * Two replicas' recovery sweeps racing for the same dead run's batch: two
 * engines (two owners, own Redis connections) on one Redis, each sweeping
 * several times at once. The journal lease lets exactly one finish each batch;
 * the other sees it busy, then finished. Every job moves once; the thread
 * hears once.
 */
describe('two replicas sweeping while another runs or has died', () => {
  const prefix = randomPrefix('rsw');
  let harness: Harness;
  let other: Services;
  let tenant: Loopback;
  let redis: Redis;
  let driver: ReplayDriver;

  beforeAll(async () => {
    redis = testRedis();
    tenant = await startLoopback((_req, res) => res.writeHead(200).end());
    harness = await startHarness({
      env: { QUEUE_PREFIX: prefix, TREND_WINDOW_MS: '50', APPROVERS: SANDBOX_IDS.approver },
    });
    // The second replica's engine: same configuration, its own owner token and connections.
    other = secondReplica(harness);
    driver = new ReplayDriver(harness, redis);
  }, 60_000);

  afterAll(() => closeReplicas({ other, harness, tenant }, redis, prefix));

  /** `JOBS` given-up jobs of `tenantId`, delivering to the tenant stand-in. */
  const given = (tenantId: string) => ({
    prefix,
    queue: QUEUE,
    tenantId,
    url: `${tenant.url}/h`,
    count: JOBS,
  });

  /** What a replica killed right after its journal began leaves behind, its lease lapsed. */
  async function deadRun(trial: number): Promise<{ thread: string; batchId: string; ids: string[] }> {
    const { thread, ids, plan } = await plannedBatch(driver, given(`t-race-${trial}`));
    const statePrefix = harness.config.statePrefix;
    const { store } = await approveInStore(redis, statePrefix, plan);
    expect((await store.claimForExecution(plan.batchId, 'dead-replica')).code).toBe('claimed');
    const record = await store.get(plan.batchId);
    const journal = new RedisBatchJournal(redis, statePrefix, silentLogger);
    await journal.begin(batchFromManifest(record!.manifest, prefix));
    return { thread, batchId: plan.batchId, ids };
  }

  it('leaves alone a batch whose journal another replica is still creating, and closes it only after the grace', async () => {
    const { thread, ids, plan } = await plannedBatch(driver, given('t-begin'));
    const statePrefix = harness.config.statePrefix;
    const { store } = await approveInStore(redis, statePrefix, plan);
    expect((await store.claimForExecution(plan.batchId, 'replica-a')).code).toBe('claimed');
    // Replica A's journal begin, half way: every entry written `pending`, the meta (which lists it) not yet.
    const journal = new RedisBatchJournal(redis, statePrefix, silentLogger);
    const pending = JSON.stringify({ status: 'pending', at: Date.now() });
    await redis.hset(journal.keys(plan.batchId).entries, ...ids.flatMap((id) => [id, pending]));

    // Replica B's sweep at that moment: busy, not closed.
    const now = await resumeAndReport(other, harness.bot.app.client, silentLogger);
    expect(now).toEqual(expect.objectContaining({ busy: 1, closed: 0, finished: 0 }));
    expect(await redis.hget(`${statePrefix}:batch:${plan.batchId}`, 'state')).toBe('executing');

    // A died there: after the claim grace the batch is closed as not run (nothing moved without a claim).
    const later = await findStrandedApprovals({
      store,
      journal,
      logger: silentLogger,
      owner: 'replica-b',
      clock: () => Date.now() + 3 * 60_000,
      approvalTtlMs: harness.config.replay.approvalTtlMs,
      claimGraceMs: 2 * 60_000,
    });
    expect(later.closed.map((c) => c.line)).toEqual([
      expect.stringContaining('stopped before moving any job: nothing was replayed'),
    ]);
    expect(await redis.hget(`${statePrefix}:batch:${plan.batchId}`, 'state')).toBe('failed');
    for (const id of ids) expect(await redis.zscore(`${prefix}:${QUEUE}:failed`, id)).not.toBeNull();
    expect(
      harness.emulator
        .thread(SANDBOX_IDS.incidentChannel, thread)
        .filter((m) => m.text.includes('closed by recovery from its journal')),
    ).toEqual([]);
  });

  it('closes once a batch whose run died after finishing its journal, when both replicas sweep at once', async () => {
    const { thread, batchId, ids } = await deadRun(TRIALS + 1);
    const journal = new RedisBatchJournal(redis, harness.config.statePrefix, silentLogger);
    // The dead run had settled every job and finished the journal, but not closed the batch.
    const now = Date.now();
    await journal.writeMany(
      batchId,
      new Map(ids.map((id) => [id, { status: 'skipped', at: now, reason: 'no longer failed' } as const])),
    );
    await journal.finish(batchId);

    const client = harness.bot.app.client;
    const reports = await Promise.all(
      [harness.services, other, harness.services, other].map((services) =>
        resumeAndReport(services, client, silentLogger),
      ),
    );
    expect(reports.reduce((sum, r) => sum + r.closed, 0)).toBe(1);
    expect(await redis.hget(`${harness.config.statePrefix}:batch:${batchId}`, 'state')).toBe('done');
    const notes = harness.emulator
      .thread(SANDBOX_IDS.incidentChannel, thread)
      .map((m) => m.text)
      .filter((t) => t.includes('closed by recovery from its journal'));
    expect(notes).toEqual([expect.stringContaining(`0 of ${JOBS} replayed`)]);
  });

  it('finishes each dead batch exactly once, whichever replica wins, and reports it once', async () => {
    const client = harness.bot.app.client;
    const finishedBy = { first: 0, second: 0 };
    for (let trial = 1; trial <= TRIALS; trial++) {
      const { thread, batchId, ids } = await deadRun(trial);
      const sweeps = (services: Services) =>
        Promise.all(Array.from({ length: PASSES }, () => resumeAndReport(services, client, silentLogger)));
      // Who starts first alternates, so each replica wins some of the races.
      const [mine, theirs] =
        trial % 2 === 0
          ? await Promise.all([sweeps(harness.services), sweeps(other)])
          : await Promise.all([sweeps(other), sweeps(harness.services)]).then(([o, m]) => [m, o] as const);
      const finished = (reports: ResumeReport[]) => reports.reduce((sum, r) => sum + r.finished, 0);
      expect(finished(mine) + finished(theirs)).toBe(1);
      finishedBy.first += finished(mine);
      finishedBy.second += finished(theirs);

      // Passes after the race find nothing left.
      const after = await Promise.all([
        resumeAndReport(harness.services, client, silentLogger),
        resumeAndReport(other, client, silentLogger),
      ]);
      for (const report of after) expect(report.finished + report.busy + report.approvedRun).toBe(0);

      const waiting = await redis.lrange(`${prefix}:${QUEUE}:wait`, 0, -1);
      for (const id of ids) expect(waiting.filter((w) => w === id)).toHaveLength(1);
      expect(await redis.hget(`${harness.config.statePrefix}:batch:${batchId}`, 'state')).toBe('done');
      const notes = harness.emulator
        .thread(SANDBOX_IDS.incidentChannel, thread)
        .map((m) => m.text)
        .filter((t) => t.includes('has now finished'));
      expect(notes).toEqual([expect.stringContaining(`${JOBS} of ${JOBS} replayed`)]);
    }
    console.log(`sweep race: ${TRIALS} dead batches, finished by replica 1/2: ${JSON.stringify(finishedBy)}`);
  }, 120_000);
});
