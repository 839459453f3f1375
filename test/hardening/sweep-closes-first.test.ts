import type { Redis } from 'ioredis';
import { BlockId } from '../../blocks/ids';
import { resumeAndReport, type ResumeReport } from '../../handlers/replay/resume';
import type { Config } from '../../src/config';
import { RedisApprovalStore } from '../../src/approvals/approval-store';
import { silentLogger } from '../../src/logger';
import { createUpstreamProbes } from '../../src/probes';
import { BullmqBackend } from '../../src/queues/bullmq-backend';
import { SANDBOX_IDS } from '../../src/sandbox';
import { RedisBatchJournal } from '../../src/runbook/replay/journal';
import { runApprovedBatch, type RunApprovedDeps } from '../../src/runbook/replay/run-approved-batch';
import type { Services } from '../../src/services';
import { startHarness, type Harness } from '../e2e/harness';
import { blocksOf } from '../e2e/messages';
import { closeReplicas, plannedBatch, secondReplica } from '../e2e/planned-batch';
import { ReplayDriver } from '../e2e/replay-driver';
import { eventually } from '../helpers/eventually';
import { startLoopback, type Loopback } from '../helpers/loopback';
import { randomPrefix, testRedis } from '../helpers/redis';

const QUEUE = 'webhook-delivery';
const JOBS = 3;
/** A thread reply saying the batch ended: the run's own, or a recovery's. */
const ENDED = [
  /Batch \d+ of webhooks ran:/,
  /Batch \d+ of webhooks ran after all:/,
  /has now finished:/,
  /closed by recovery from its journal:/,
];

type Hook = () => Promise<void>;
const nothing: Hook = () => Promise.resolve();

/**
 * A journal that lets a test act just before its `finish`, or in the gap
 * after the run is through with it (finished, lease released) and before the
 * run closes the batch in the approval store.
 */
class JournalWithGap extends RedisBatchJournal {
  beforeFinish: Hook = nothing;
  inGap: Hook = nothing;

  override async finish(batchId: string): Promise<void> {
    await this.beforeFinish();
    await super.finish(batchId);
  }

  override async release(batchId: string, owner: string): Promise<void> {
    await super.release(batchId, owner);
    await this.inGap();
  }
}

/**
 * Issue 8, race R2: a run sits for a moment between its journal's finish and
 * its own close of the batch. Another replica's recovery sweep that looks in
 * that moment sees an `executing` batch with a finished journal, closes it as
 * done and tells the thread. The run must then not tell it again.
 */
describe('a recovery sweep closing a batch between the run journal finish and its own close', () => {
  const prefix = randomPrefix('hrd-r2');
  let redis: Redis;
  let tenant: Loopback;
  let harness: Harness;
  let other: Services;
  let driver: ReplayDriver;
  let config: Config | undefined;
  let journal: JournalWithGap | undefined;

  beforeAll(async () => {
    redis = testRedis();
    tenant = await startLoopback((_req, res) => res.writeHead(200).end());
    harness = await startHarness({
      env: { QUEUE_PREFIX: prefix, TREND_WINDOW_MS: '50', APPROVERS: SANDBOX_IDS.approver },
      config: (loaded) => (config = loaded),
      // This replica's run, with the real store and executor but a journal that opens the gap.
      override: (real) => {
        if (!config) throw new Error('config not captured');
        const runDeps: RunApprovedDeps = {
          store: new RedisApprovalStore(redis, config.statePrefix, silentLogger),
          gate: real.gate,
          backend: new BullmqBackend({ connection: redis, prefix, logger: silentLogger }),
          probes: createUpstreamProbes(config),
          connection: redis,
          queuePrefix: prefix,
          journal: (journal = new JournalWithGap(redis, config.statePrefix, silentLogger)),
          logger: real.logger,
          owner: 'replica-a:1:r2',
        };
        return { runApprovedBatch: (batchId, onProgress) => runApprovedBatch(runDeps, batchId, onProgress) };
      },
    });
    // The other replica: same configuration, its own owner token and connections.
    other = secondReplica(harness);
    driver = new ReplayDriver(harness, redis);
  }, 60_000);

  afterAll(() => closeReplicas({ other, harness, tenant }, redis, prefix));

  const approvedBatch = (tenantId: string) =>
    plannedBatch(driver, { prefix, queue: QUEUE, tenantId, url: `${tenant.url}/h`, count: JOBS });

  const endedReplies = (thread: string) =>
    harness.emulator
      .thread(SANDBOX_IDS.incidentChannel, thread)
      .map((m) => m.text)
      .filter((text) => ENDED.some((re) => re.test(text)));

  const verificationPosts = (thread: string) =>
    harness.emulator.calls.filter(
      (c) =>
        c.method === 'chat.postMessage' &&
        c.args.thread_ts === thread &&
        blocksOf(c).some((b) => b.block_id === BlockId.verificationHeader),
    );

  async function movesOf(ids: readonly string[]): Promise<number[]> {
    const waiting = await redis.lrange(`${prefix}:${QUEUE}:wait`, 0, -1);
    return ids.map((id) => waiting.filter((w) => w === id).length);
  }

  it('posts exactly one reply that the batch ended (the sweep), moves each job once, and still verifies', async () => {
    const { thread, ids, plan } = await approvedBatch('t-r2-race');
    const sweeps: ResumeReport[] = [];
    journal!.beforeFinish = nothing;
    journal!.inGap = async () => {
      // The other replica's sweep pass, landing in the gap.
      sweeps.push(await resumeAndReport(other, harness.bot.app.client, silentLogger));
    };
    await driver.click(plan.ts, 'approve', SANDBOX_IDS.approver);
    // The run's last step (after any thread note it would post): its verification.
    await eventually(() => Promise.resolve(verificationPosts(thread)[0]), 30_000);

    expect(sweeps.map((s) => s.closed)).toEqual([1]);
    expect(await driver.stateOf(plan.batchId)).toBe('done');
    expect(endedReplies(thread)).toEqual([
      expect.stringMatching(`closed by recovery from its journal: ${JOBS} of ${JOBS} replayed`),
    ]);
    expect(verificationPosts(thread)).toHaveLength(1);
    expect(await movesOf(ids)).toEqual(ids.map(() => 1));
    expect(
      harness.logLines.filter(
        (l) => l.msg === 'batch closed by another replica; it reported' && l.batchId === plan.batchId,
      ),
    ).toHaveLength(1);
    // The approval message still shows this run's result.
    expect(driver.messageText(plan.ts)).toContain(`${JOBS} of ${JOBS} replayed`);
  }, 60_000);

  it('posts the run own reply, once, when no sweep closes the batch first', async () => {
    const { thread, ids, plan } = await approvedBatch('t-r2-alone');
    const sweeps: ResumeReport[] = [];
    // The sweep looks just before the journal finishes this time: the batch is still running.
    journal!.inGap = nothing;
    journal!.beforeFinish = async () => {
      sweeps.push(await resumeAndReport(other, harness.bot.app.client, silentLogger));
    };
    await driver.click(plan.ts, 'approve', SANDBOX_IDS.approver);
    await eventually(() => Promise.resolve(verificationPosts(thread)[0]), 30_000);

    expect(sweeps.map((s) => s.closed + s.finished)).toEqual([0]);
    expect(endedReplies(thread)).toEqual([
      expect.stringMatching(`Batch 1 of webhooks ran: ${JOBS} of ${JOBS} replayed`),
    ]);
    expect(await movesOf(ids)).toEqual(ids.map(() => 1));
  }, 60_000);
});
