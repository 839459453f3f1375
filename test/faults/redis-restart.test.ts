import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startPrivateRedis, type PrivateRedis } from '../../bench/lib/private-redis';
import { startRecovery } from '../../handlers/replay/resume';
import { BlockId } from '../../blocks/ids';
import { silentLogger } from '../../src/logger';
import { SANDBOX_IDS } from '../../src/sandbox';
import { journalKeys } from '../../src/runbook/replay/journal';
import { movableClock, type Harness } from '../e2e/harness';
import type { ReplayDriver } from '../e2e/replay-driver';
import { eventually } from '../helpers/eventually';
import type { Loopback } from '../helpers/loopback';
import { randomPrefix } from '../helpers/redis';
import { crashOnCommand } from './crash-on-command';
import {
  accountFor,
  blockText,
  expectValidMessage,
  type ProcessWatch,
  givenUpWebhooks,
  recoverAsRestartedBot,
  diagnosisOrErrorId,
  expectQueuesReadAgain,
} from './fault-kit';
import { closeFaultWorld, startAcceptingTenant, startOnPrivateRedis } from './fault-world';

const QUEUE = 'webhook-delivery';
const BATCH = 10;
/**
 * The steps of an approved batch at which Redis crashes, each named by the
 * first command of that step (as MONITOR sees it, just after it ran).
 */
type KillPoint = 'decide' | 'claim' | 'journal' | 'move' | 'copy' | 'release';
const KILL_POINTS: readonly KillPoint[] = ['decide', 'claim', 'journal', 'move', 'copy', 'release'];

function killMatcher(point: KillPoint, statePrefix: string, batchId: string) {
  const keys = journalKeys(statePrefix, batchId);
  return (args: readonly string[]): boolean => {
    const has = (key: string) => args.includes(key);
    switch (point) {
      case 'decide':
        return has(`${statePrefix}:batch:${batchId}`);
      case 'claim':
        return args[0]?.toLowerCase() === 'set' && has(keys.lease);
      case 'journal':
        return has(keys.meta);
      case 'move':
        return has(keys.moves);
      case 'copy':
        return args[0]?.toLowerCase() === 'hset' && args[1] === keys.entries;
      case 'release':
        return args[0]?.toLowerCase() === 'evalsha' && has(keys.lease) && !has(keys.moves);
    }
  };
}

/**
 * Redis (queues and bot state on one private redis-server with an fsync'ed
 * append-only file, as a durable production Redis) crashes and comes back
 * while the bot works. The bot survives; a diagnosis posts or answers with an
 * error id; a replay interrupted at any step finishes after recovery, every
 * job moved exactly once or (a batch closed before any move) not at all.
 */
describe('fault: Redis restarted mid-diagnose and mid-replay', () => {
  const prefix = randomPrefix('flt-rr');
  const time = movableClock();
  let dir: string;
  let redis: PrivateRedis;
  let tenant: Loopback;
  let harness: Harness;
  let driver: ReplayDriver;
  let watch: ProcessWatch;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'stuckjobs-fault-redis-'));
    redis = await startPrivateRedis({ persistDir: dir });
    tenant = await startAcceptingTenant();
    ({ harness, driver, watch } = await startOnPrivateRedis(redis, prefix, time.clock));
  }, 60_000);

  afterAll(async () => {
    // Redis back up (a test may end with it crashed), so the bot closes its connections cleanly.
    await redis?.start().catch(() => undefined);
    await closeFaultWorld(
      { watch, harness },
      () => tenant?.close(),
      () => redis?.stop(),
    );
    rmSync(dir, { recursive: true, force: true });
  });

  const givenUp = (tenantId: string, count: number) =>
    givenUpWebhooks({ redisUrl: redis.url, prefix, queue: QUEUE, tenantUrl: tenant.url }, tenantId, count);

  it('a diagnose during a Redis crash answers (degraded diagnosis or an error id), and the next one reads the queues again', async () => {
    await givenUp('t-diag', 3);
    const before = harness.emulator.calls.length;
    await harness.emulator.sendSlashCommand({ text: 'diagnose --new' });
    await redis.kill({ crash: true });
    // What the user gets while Redis is gone: a diagnosis that says it cannot read, or an error with an id.
    const answer = await diagnosisOrErrorId(harness, before);
    if (answer.method === 'chat.postMessage') {
      expectValidMessage(answer);
      expect(blockText(answer, `${BlockId.workflowPrefix}webhooks`)).toContain('Cannot read the queue');
    }
    await redis.start();

    const webhooks = await expectQueuesReadAgain(harness);
    expect(webhooks).toMatch(/3\b/);
    expect(watch.seen).toEqual([]);
  }, 60_000);

  it.each(KILL_POINTS)(
    'a replay batch whose Redis crashes at its %s step ends, after recovery, with no job lost or moved twice',
    async (point) => {
      time.skew(0);
      const tenantId = `t-kill-${point}`;
      await driver.newIncident();
      const ids = await givenUp(tenantId, BATCH);
      const plan = await driver.plan(`replay webhooks --tenant ${tenantId}`);
      if (plan.kind !== 'posted') throw new Error(plan.text);

      const statePrefix = harness.config.statePrefix;
      const crash = await crashOnCommand(redis, killMatcher(point, statePrefix, plan.batchId));
      const click = driver.click(plan.ts, 'approve', SANDBOX_IDS.approver).catch((err: unknown) => err);
      const fired = await Promise.race([
        crash.fired,
        new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 20_000)),
      ]);
      crash.disarm();
      expect(fired).toBeDefined();
      await new Promise((resolve) => setTimeout(resolve, 300));
      await redis.start();
      await click;

      // The click's own run ends (finished, or failed on the lost connection) before recovery starts.
      let state = await settledState(plan.batchId, plan.ts);
      if (state === 'pending') {
        // The click never reached Redis (its answer said so): the approver clicks again.
        await driver.click(plan.ts, 'approve', SANDBOX_IDS.approver);
        state = await settledState(plan.batchId, plan.ts);
      }
      if (state !== 'done' && state !== 'failed') {
        await recoverAsRestartedBot(harness, redis.client, time, plan.batchId);
      }
      const final = await driver.waitForState(plan.batchId, 'done', 'failed');

      const inBatch = await manifestJobs(plan.batchId);
      expect(inBatch.length).toBeGreaterThan(0);
      const account = await accountFor(redis.client, prefix, QUEUE, inBatch);
      expect(account.lost).toEqual([]);
      expect(account.repeated).toEqual([]);
      // Done: every job of the batch moved once. Failed: closed before any move.
      if (final === 'done') expect(account.movedOnce).toBe(inBatch.length);
      else expect(account.untouched).toBe(inBatch.length);
      // The jobs the canary left for later batches were not touched.
      const rest = ids.filter((id) => !inBatch.includes(id));
      expect((await accountFor(redis.client, prefix, QUEUE, rest)).untouched).toBe(rest.length);
      expect(await redis.client.sismember(`${statePrefix}:journals:unfinished`, plan.batchId)).toBe(0);
      // A second recovery pass finds nothing left to do.
      await startRecovery(harness.services, harness.bot.app.client, silentLogger, 50).done;
      expect(await accountFor(redis.client, prefix, QUEUE, inBatch)).toEqual(account);
      expect(watch.seen).toEqual([]);
    },
    60_000,
  );

  async function manifestJobs(batchId: string): Promise<string[]> {
    const raw = await redis.client.hget(`${harness.config.statePrefix}:batch:${batchId}`, 'manifest');
    return (JSON.parse(raw ?? '{"jobs":[]}') as { jobs: { id: string }[] }).jobs.map((job) => job.id);
  }

  /**
   * The state once the click's run has ended: terminal, back to pending (the
   * decision never landed), or stuck mid-way with the approval message saying
   * the run stopped (or, for a claim that never started, nothing more will come).
   */
  async function settledState(batchId: string, ts: string): Promise<string> {
    return eventually(
      async () => {
        const state = (await driver.stateOf(batchId)) ?? 'missing';
        if (['done', 'failed', 'pending'].includes(state)) return state;
        if (driver.messageText(ts).includes('stopped before the end')) return state;
        if (state === 'approved' || state === 'executing') {
          const quiet = await quietFor(1_000, batchId);
          return quiet ? state : undefined;
        }
        return undefined;
      },
      30_000,
      100,
    );
  }

  /** True when the batch's state does not change for `ms` (a run that died leaves it where it was). */
  async function quietFor(ms: number, batchId: string): Promise<boolean> {
    const before = await driver.stateOf(batchId);
    const calls = harness.emulator.calls.length;
    await new Promise((resolve) => setTimeout(resolve, ms));
    return (await driver.stateOf(batchId)) === before && harness.emulator.calls.length === calls;
  }
});
