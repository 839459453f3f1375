import type { Redis } from 'ioredis';
import { startRecovery } from '../../handlers/replay/resume';
import { RedisApprovalStore } from '../../src/approvals/approval-store';
import { silentLogger } from '../../src/logger';
import { SANDBOX_IDS } from '../../src/sandbox';
import { batchFromManifest } from '../../src/runbook/replay/batch-from-manifest';
import { RedisBatchJournal } from '../../src/runbook/replay/journal';
import { startLoopback, type Loopback } from '../helpers/loopback';
import { deleteKeysWithPrefix, randomPrefix, testRedis } from '../helpers/redis';
import { movableClock, startHarness, type Harness } from './harness';
import { approveInStore, plannedBatch } from './planned-batch';
import { ReplayDriver } from './replay-driver';

const QUEUE = 'webhook-delivery';

/**
 * Issue 4, item 8, the Slack half: a bot that died mid-batch finishes the
 * batch at its next start, closes the approval and says so in the thread.
 * (The kill-at-random-points proof of the executor is test/runbook/replay/crash.test.ts.)
 */
describe('replay recovery at start, end to end', () => {
  const prefix = randomPrefix('rpr');
  let harness: Harness;
  let tenant: Loopback;
  let redis: Redis;
  const time = movableClock();

  beforeAll(async () => {
    redis = testRedis();
    tenant = await startLoopback((_req, res) => res.writeHead(200).end());
    harness = await startHarness({
      env: { QUEUE_PREFIX: prefix, TREND_WINDOW_MS: '50', APPROVERS: SANDBOX_IDS.approver },
      clock: time.clock,
    });
  }, 60_000);

  afterAll(async () => {
    await harness?.close();
    await tenant?.close();
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
  });

  /** `count` given-up jobs of `tenantId`, delivering to the tenant stand-in. */
  const given = (tenantId: string, count: number) => ({
    prefix,
    queue: QUEUE,
    tenantId,
    url: `${tenant.url}/h`,
    count,
  });

  it('finishes a batch whose run died after its first job, moving no job twice, and reports in the thread', async () => {
    const driver = new ReplayDriver(harness, redis);
    const { thread, ids, plan } = await plannedBatch(driver, given('t-crash', 3));

    // What a bot killed mid-batch leaves: approved, claimed, journal begun, one job moved and journaled.
    const statePrefix = harness.config.statePrefix;
    const { store } = await approveInStore(redis, statePrefix, plan);
    expect((await store.claimForExecution(plan.batchId, 'dead-bot')).code).toBe('claimed');
    const record = await store.get(plan.batchId);
    const batch = batchFromManifest(record!.manifest, prefix);
    const journal = new RedisBatchJournal(redis, statePrefix, silentLogger);
    await journal.begin(batch);
    const first = batch.jobs[0]!.id;
    await redis
      .multi()
      .zrem(`${prefix}:${QUEUE}:failed`, first)
      .lpush(`${prefix}:${QUEUE}:wait`, first)
      .hdel(`${prefix}:${QUEUE}:${first}`, 'finishedOn', 'processedOn')
      .exec();
    await journal.write(plan.batchId, first, { status: 'replayed', at: Date.now() });

    const recovery = startRecovery(harness.services, harness.bot.app.client, silentLogger, 50);
    await recovery.done;

    const waiting = await redis.lrange(`${prefix}:${QUEUE}:wait`, 0, -1);
    for (const id of ids) expect(waiting.filter((w) => w === id)).toHaveLength(1);
    expect(await redis.zcard(`${prefix}:${QUEUE}:failed`)).toBe(0);
    expect(await redis.hget(`${statePrefix}:batch:${plan.batchId}`, 'state')).toBe('done');
    expect(await redis.sismember(`${statePrefix}:journals:unfinished`, plan.batchId)).toBe(0);
    const notes = harness.emulator.thread(SANDBOX_IDS.incidentChannel, thread).map((m) => m.text);
    expect(
      notes.some((t) =>
        t.includes(
          `Batch ${plan.batchId} was interrupted by a restart and has now finished: 3 of 3 replayed`,
        ),
      ),
    ).toBe(true);
  });

  /** Seeds given-up jobs, plans them, and approves through the store without claiming: a crash between the two. */
  async function approvedNotClaimed(
    tenantId: string,
  ): Promise<{ ids: string[]; batchId: string; thread: string }> {
    const driver = new ReplayDriver(harness, redis);
    const { thread, ids, plan } = await plannedBatch(driver, given(tenantId, 2));
    const { code } = await approveInStore(redis, harness.config.statePrefix, plan);
    expect(code).toBe('approved');
    return { ids, batchId: plan.batchId, thread };
  }

  /** A restart `laterMs` from now: recovery runs to its end at that time. */
  async function recoverAt(laterMs: number): Promise<void> {
    time.skew(laterMs);
    try {
      await startRecovery(harness.services, harness.bot.app.client, silentLogger, 50).done;
    } finally {
      time.skew(0);
    }
  }

  const stateOf = (batchId: string) => redis.hget(`${harness.config.statePrefix}:batch:${batchId}`, 'state');

  /** Nothing was replayed and the thread says why. */
  async function nothingMovedAndSaid(ids: readonly string[], thread: string, said: string): Promise<void> {
    for (const id of ids) expect(await redis.zscore(`${prefix}:${QUEUE}:failed`, id)).not.toBeNull();
    const notes = harness.emulator.thread(SANDBOX_IDS.incidentChannel, thread).map((m) => m.text);
    expect(notes.some((t) => t.includes(said))).toBe(true);
  }

  it('runs a batch approved just before a crash, once, when the bot comes back', async () => {
    time.skew(0);
    const { ids, batchId } = await approvedNotClaimed('t-stranded');
    await startRecovery(harness.services, harness.bot.app.client, silentLogger, 50).done;
    expect(await redis.hget(`${harness.config.statePrefix}:batch:${batchId}`, 'state')).toBe('done');
    const waiting = await redis.lrange(`${prefix}:${QUEUE}:wait`, 0, -1);
    for (const id of ids) expect(waiting.filter((w) => w === id)).toHaveLength(1);
    // A second start finds nothing left to do.
    await startRecovery(harness.services, harness.bot.app.client, silentLogger, 50).done;
    const again = await redis.lrange(`${prefix}:${QUEUE}:wait`, 0, -1);
    for (const id of ids) expect(again.filter((w) => w === id)).toHaveLength(1);
  });

  it('closes an approval that lapsed while the bot was down, moves nothing, and says to plan again', async () => {
    time.skew(0);
    const { ids, batchId, thread } = await approvedNotClaimed('t-lapsed');
    await recoverAt(harness.config.replay.approvalTtlMs + 60_000);
    expect(await stateOf(batchId)).toBe('failed');
    await nothingMovedAndSaid(ids, thread, 'too late to act on that approval: nothing was replayed');
  });

  it('closes a batch claimed by a run that died before its journal, after the grace, moving nothing', async () => {
    time.skew(0);
    const { ids, batchId, thread } = await approvedNotClaimed('t-noj');
    const store = new RedisApprovalStore(redis, harness.config.statePrefix, silentLogger);
    expect((await store.claimForExecution(batchId, 'dead-bot')).code).toBe('claimed');
    // Within the grace it may be a live run checking its preconditions: left alone, counted busy.
    const early = await harness.services.strandedApprovals();
    expect(early.busy).toBe(1);
    expect(early.closed).toEqual([]);
    expect(await stateOf(batchId)).toBe('executing');
    await recoverAt(3 * 60_000);
    expect(await stateOf(batchId)).toBe('failed');
    expect(await store.unsettled()).not.toContain(batchId);
    await nothingMovedAndSaid(ids, thread, 'the bot stopped before moving any job: nothing was replayed');
  });

  it('closes as done a batch whose journal finished but whose run died before closing it', async () => {
    time.skew(0);
    const { ids, batchId } = await approvedNotClaimed('t-closed');
    const store = new RedisApprovalStore(redis, harness.config.statePrefix, silentLogger);
    expect((await store.claimForExecution(batchId, 'dead-bot')).code).toBe('claimed');
    const record = await store.get(batchId);
    const journal = new RedisBatchJournal(redis, harness.config.statePrefix, silentLogger);
    const batch = batchFromManifest(record!.manifest, prefix);
    await journal.begin(batch);
    for (const job of batch.jobs)
      await journal.write(batchId, job.id, { status: 'skipped', at: Date.now(), reason: 'no longer failed' });
    await journal.finish(batchId);

    await startRecovery(harness.services, harness.bot.app.client, silentLogger, 50).done;
    expect(await redis.hget(`${harness.config.statePrefix}:batch:${batchId}`, 'state')).toBe('done');
    expect(await redis.hget(`${harness.config.statePrefix}:batch:${batchId}`, 'summary')).toBe(
      '0 of 2 replayed; left out: 2 no longer failed (closed by recovery)',
    );
    for (const id of ids) expect(await redis.zscore(`${prefix}:${QUEUE}:failed`, id)).not.toBeNull();
  });
});
