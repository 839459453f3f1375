import type { Redis } from 'ioredis';
import { BlockId } from '../../blocks/ids';
import { findBlockKitViolations } from '../../blocks/limits';
import { readAudit } from '../../src/approvals/audit';
import { SANDBOX_IDS } from '../../src/sandbox';
import { seedWithWorker } from '../helpers/bullmq-fixtures';
import { eventually } from '../helpers/eventually';
import { startLoopback, type Loopback } from '../helpers/loopback';
import { clientAddress, startCommandCounter, touchingPrefix, writeKind } from '../helpers/command-counter';
import { deleteKeysWithPrefix, randomPrefix, testRedis, testRedisUrl } from '../helpers/redis';
import { tenantWebhooks } from '../helpers/tenant-webhooks';
import { harnessEnv } from './env';
import { movableClock, startHarness, type Harness } from './harness';
import { ReplayDriver } from './replay-driver';

const QUEUE = 'webhook-delivery';
const SECOND_APPROVER = 'U0SECOND';
const BYSTANDER = 'U0BYSTANDER';
const { requester: REQUESTER, approver: APPROVER } = SANDBOX_IDS;

/**
 * Invariant 2 through Slack: every approval rule is enforced on the server at
 * click time, and each test asserts on what happened in Redis (job states,
 * attempts, journal, audit), not only on the messages.
 */
describe('replay approval end to end', () => {
  const prefix = randomPrefix('rpa');
  let harness: Harness;
  let tenant: Loopback;
  let tenantStatus = 200;
  let redis: Redis;
  let driver: ReplayDriver;
  let tenantCount = 0;
  /** Moves the engine's time past an expiry without waiting for it. */
  const time = movableClock();

  beforeAll(async () => {
    redis = testRedis();
    tenant = await startLoopback((_req, res) => res.writeHead(tenantStatus).end());
    harness = await startHarness({
      env: harnessEnv(prefix, {
        // A group (resolved through usergroups.users.list) and one user listed directly.
        APPROVERS: `${SANDBOX_IDS.approvers},${SECOND_APPROVER}`,
      }),
      clock: time.clock,
    });
    driver = new ReplayDriver(harness, redis);
  }, 60_000);

  afterAll(async () => {
    await harness?.close();
    await tenant?.close();
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
  });

  beforeEach(() => {
    tenantStatus = 200;
    time.skew(0);
  });

  /** Given-up jobs of a tenant of their own, so each test plans only its jobs. */
  async function givenUp(count: number): Promise<{ tenantId: string; ids: string[] }> {
    const tenantId = `t-${++tenantCount}`;
    const ids = await seedWithWorker({
      url: testRedisUrl(),
      prefix,
      queue: QUEUE,
      jobs: tenantWebhooks(tenantId, count, tenant.url),
    });
    return { tenantId, ids };
  }

  const key = (id: string) => `${prefix}:${QUEUE}:${id}`;
  const inFailed = async (id: string) => (await redis.zscore(`${prefix}:${QUEUE}:failed`, id)) !== null;
  /** How often a job appears in `wait`: a replayed job once, never twice. */
  const timesWaiting = async (id: string) =>
    (await redis.lrange(`${prefix}:${QUEUE}:wait`, 0, -1)).filter((w) => w === id).length;
  const journal = async (batchId: string) => {
    const raw = await redis.hgetall(`${harness.config.statePrefix}:journal:${batchId}`);
    return Object.fromEntries(
      Object.entries(raw).map(([id, entry]) => [
        id,
        JSON.parse(entry) as { status: string; reason?: string },
      ]),
    );
  };
  const manifestJobs = async (batchId: string) =>
    (
      JSON.parse(
        (await redis.hget(`${harness.config.statePrefix}:batch:${batchId}`, 'manifest')) ?? '{}',
      ) as {
        jobs: { id: string }[];
      }
    ).jobs.map((job) => job.id);
  const audit = async (batchId: string) =>
    (await readAudit(redis, `${harness.config.statePrefix}:audit`, { batchId })).map((e) => [
      e.action,
      e.actor,
      e.result,
    ]);

  async function planned(
    tenantId: string,
    extra = '',
  ): Promise<{
    ts: string;
    batchId: string;
    hash: string;
    value?: string;
    post: { args: Record<string, unknown> };
  }> {
    const answer = await driver.plan(`replay webhooks --tenant ${tenantId} ${extra}`);
    if (answer.kind !== 'posted') throw new Error(`plan refused: ${answer.text}`);
    expect(
      findBlockKitViolations({
        text: String(answer.post.args.text),
        blocks: answer.post.args.blocks as never,
      }),
    ).toEqual([]);
    return answer;
  }

  it('refuses the requester approving their own batch, and a user who is not an approver; nothing moves', async () => {
    await driver.newIncident();
    const { tenantId, ids } = await givenUp(2);
    const batch = await planned(tenantId);

    const seenByRequester = driver.ephemeralsOf(REQUESTER).length;
    await driver.click(batch.ts, 'approve', REQUESTER);
    expect(await driver.nextEphemeral(REQUESTER, seenByRequester)).toContain('You asked for this batch');

    const seenByBystander = driver.ephemeralsOf(BYSTANDER).length;
    await driver.click(batch.ts, 'approve', BYSTANDER);
    expect(await driver.nextEphemeral(BYSTANDER, seenByBystander)).toContain(
      'You cannot decide replay batches',
    );

    expect(await driver.stateOf(batch.batchId)).toBe('pending');
    for (const id of ids) {
      expect(await inFailed(id)).toBe(true);
      expect(await redis.hget(key(id), 'atm')).toBe('1');
    }
    expect(await audit(batch.batchId)).toEqual([
      ['create', REQUESTER, 'created'],
      ['approve', REQUESTER, 'self-approval'],
      ['approve', BYSTANDER, 'not-an-approver'],
    ]);
  });

  it('accepts a member of the approvers user group, replays exactly the manifest once, and replaces the buttons', async () => {
    await driver.newIncident();
    const { tenantId, ids } = await givenUp(3);
    const batch = await planned(tenantId);
    await driver.click(batch.ts, 'approve', APPROVER);
    await driver.waitForState(batch.batchId, 'done');

    for (const id of ids) {
      expect(await inFailed(id)).toBe(false);
      expect(await timesWaiting(id)).toBe(1);
      // One supervised attempt: the count the worker left is kept (executor's RETRY_OPTIONS).
      expect(await redis.hget(key(id), 'atm')).toBe('1');
    }
    expect(Object.values(await journal(batch.batchId)).map((e) => e.status)).toEqual([
      'replayed',
      'replayed',
      'replayed',
    ]);
    const request = JSON.stringify(batch.post.args.blocks);
    expect(request).toContain(
      `*Touches* tenant \`${tenantId}\` ×3 · reason \`HTTP 503\` ×3 · host \`127.0.0.1:`,
    );
    expect(request).toContain(
      ':heavy_check_mark: the 1 tenant endpoint(s) of these 3 jobs answer healthy now',
    );
    const message = driver.messageText(batch.ts);
    expect(message).toContain(`*Approved* by <@${APPROVER}>`);
    expect(message).toContain('3 of 3 replayed');
    expect(message).not.toContain('replay_approve');
    expect(await audit(batch.batchId)).toEqual([
      ['create', REQUESTER, 'created'],
      ['approve', APPROVER, 'approved'],
      ['claim', expect.any(String), 'claimed'],
      ['finish', expect.any(String), 'finished'],
    ]);
  });

  it('executes once for a double click, two approvers racing and a retried Slack delivery', async () => {
    await driver.newIncident();
    const { tenantId, ids } = await givenUp(4);
    const batch = await planned(tenantId);
    await Promise.all([
      driver.click(batch.ts, 'approve', APPROVER),
      driver.click(batch.ts, 'approve', APPROVER),
      driver.click(batch.ts, 'approve', SECOND_APPROVER),
      driver.click(batch.ts, 'approve', APPROVER, {
        headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' },
      }),
    ]);
    await driver.waitForState(batch.batchId, 'done');
    for (const id of ids) expect(await timesWaiting(id)).toBe(1);
    const results = (await audit(batch.batchId))
      .filter(([action]) => action === 'approve')
      .map(([, , result]) => result);
    expect(results.filter((r) => r === 'approved')).toHaveLength(1);
    expect(results.filter((r) => r === 'not-pending')).toHaveLength(3);
    expect((await audit(batch.batchId)).filter(([action]) => action === 'claim')).toHaveLength(1);
  });

  it('refuses approve after deny, tells the requester in the thread, and moves nothing', async () => {
    const thread = await driver.newIncident();
    const { tenantId, ids } = await givenUp(2);
    const batch = await planned(tenantId);
    await driver.click(batch.ts, 'deny', APPROVER);
    await driver.waitForState(batch.batchId, 'denied');
    const seen = driver.ephemeralsOf(SECOND_APPROVER).length;
    // A client still showing the old buttons sends their value.
    await driver.click(batch.ts, 'approve', SECOND_APPROVER, { value: batch.value });
    expect(await driver.nextEphemeral(SECOND_APPROVER, seen)).toContain('already denied');
    expect(await driver.stateOf(batch.batchId)).toBe('denied');
    for (const id of ids) expect(await inFailed(id)).toBe(true);
    expect(driver.messageText(batch.ts)).toContain('*Denied* by');
    const replies = harness.emulator.thread(SANDBOX_IDS.incidentChannel, thread).map((m) => m.text);
    expect(
      replies.some(
        (t) => t.includes(`was denied by a second approver`) && t.includes('nothing was replayed'),
      ),
    ).toBe(true);
  });

  it('refuses an expired batch and replaces its buttons', async () => {
    await driver.newIncident();
    const { tenantId, ids } = await givenUp(1);
    const batch = await planned(tenantId);
    // The clock moving past the expiry, without waiting 15 minutes.
    time.skew(harness.config.replay.approvalTtlMs + 1_000);
    const seen = driver.ephemeralsOf(APPROVER).length;
    await driver.click(batch.ts, 'approve', APPROVER);
    expect(await driver.nextEphemeral(APPROVER, seen)).toContain('expired before a decision');
    expect(await driver.stateOf(batch.batchId)).toBe('expired');
    expect(await inFailed(ids[0]!)).toBe(true);
    expect(driver.messageText(batch.ts)).toContain('*Expired*');
  });

  it('refuses tampered and malformed button values by validation, and audits them', async () => {
    await driver.newIncident();
    const { tenantId, ids } = await givenUp(1);
    const batch = await planned(tenantId);
    const otherHash = batch.hash.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    const tampered = [
      JSON.stringify({ b: batch.batchId, h: otherHash }),
      JSON.stringify({ b: `${batch.batchId}:x`, h: batch.hash }),
      JSON.stringify({ b: batch.batchId, h: batch.hash, dryRun: true }),
      'not json',
      'x'.repeat(3000),
    ];
    for (const value of tampered) {
      const seen = driver.ephemeralsOf(APPROVER).length;
      await driver.click(batch.ts, 'approve', APPROVER, { value });
      expect(await driver.nextEphemeral(APPROVER, seen)).toMatch(
        /different version of the plan|damaged, altered or too old/,
      );
    }
    expect(await driver.stateOf(batch.batchId)).toBe('pending');
    expect(await inFailed(ids[0]!)).toBe(true);
    expect(await audit(batch.batchId)).toContainEqual(['approve', APPROVER, 'hash-mismatch']);
    const malformed = await readAudit(redis, `${harness.config.statePrefix}:audit`, {});
    expect(malformed.filter((e) => e.detail === 'malformed batch id').length).toBeGreaterThanOrEqual(4);
  });

  it('leaves out a job whose payload changed between plan and approval, and says so', async () => {
    await driver.newIncident();
    const { tenantId, ids } = await givenUp(3);
    const batch = await planned(tenantId);
    const changed = ids[1]!;
    const data = JSON.parse((await redis.hget(key(changed), 'data'))!) as Record<string, unknown>;
    await redis.hset(key(changed), 'data', JSON.stringify({ ...data, event: 'call.updated' }));
    await driver.click(batch.ts, 'approve', APPROVER);
    await driver.waitForState(batch.batchId, 'done');
    expect(await inFailed(changed)).toBe(true);
    expect(await timesWaiting(changed)).toBe(0);
    expect(await redis.hget(key(changed), 'atm')).toBe('1');
    for (const id of [ids[0]!, ids[2]!]) expect(await timesWaiting(id)).toBe(1);
    expect((await journal(batch.batchId))[changed]).toEqual(
      expect.objectContaining({ status: 'skipped', reason: 'payload changed since the plan' }),
    );
    const message = driver.messageText(batch.ts);
    expect(message).toContain('2 of 3 replayed');
    expect(message).toContain(`job ${changed} left out: payload changed since the plan`);
  });

  it('refuses an approval while a precondition fails at click time, then accepts once it holds', async () => {
    await driver.newIncident();
    const { tenantId, ids } = await givenUp(2);
    const batch = await planned(tenantId);
    tenantStatus = 503;
    const seen = driver.ephemeralsOf(APPROVER).length;
    await driver.click(batch.ts, 'approve', APPROVER);
    const refusal = await driver.nextEphemeral(APPROVER, seen);
    expect(refusal).toContain('a precondition fails right now');
    expect(refusal).toMatch(/endpoint 127\.0\.0\.1:\d+ is down \(HTTP 503\)/);
    expect(await driver.stateOf(batch.batchId)).toBe('pending');
    for (const id of ids) expect(await inFailed(id)).toBe(true);
    expect(await audit(batch.batchId)).toContainEqual(['approve', APPROVER, 'precondition-failed']);

    tenantStatus = 200;
    await driver.click(batch.ts, 'approve', APPROVER);
    await driver.waitForState(batch.batchId, 'done');
    for (const id of ids) expect(await timesWaiting(id)).toBe(1);
  });

  it('refuses an approval when a sample of the cohort failed its checks after the plan', async () => {
    await driver.newIncident();
    const { tenantId, ids } = await givenUp(2);
    const batch = await planned(tenantId, '--batch 1');
    const [inBatch] = await manifestJobs(batch.batchId);
    const other = ids.find((id) => id !== inBatch)!;
    const data = JSON.parse((await redis.hget(key(other), 'data'))!) as Record<string, unknown>;
    await redis.hset(key(other), 'data', JSON.stringify({ ...data, url: 'not a url' }));
    await driver.sample(`sample webhooks 10 --tenant ${tenantId}`);

    const seen = driver.ephemeralsOf(APPROVER).length;
    await driver.click(batch.ts, 'approve', APPROVER);
    const refusal = await driver.nextEphemeral(APPROVER, seen);
    expect(refusal).toContain('Not approved');
    expect(refusal).toContain(`cohort tenant=${tenantId} failed its checks since the plan`);
    expect(await driver.stateOf(batch.batchId)).toBe('pending');
    expect(await inFailed(inBatch!)).toBe(true);
  });

  it('shows a dry run without buttons and changes nothing in the queue', async () => {
    await driver.newIncident();
    const { tenantId, ids } = await givenUp(2);
    const before = await Promise.all(ids.map((id) => redis.hgetall(key(id))));
    const failedBefore = await redis.zrange(`${prefix}:${QUEUE}:failed`, '0', '-1');
    const sources = await Promise.all([
      clientAddress(harness.services.redis.queues),
      clientAddress(harness.services.redis.state),
    ]);
    const counter = await startCommandCounter(testRedisUrl(), { sources });
    const answer = await driver.plan(`replay webhooks --tenant ${tenantId} --dry-run`);
    const commands = await counter.stop();
    if (answer.kind !== 'posted') throw new Error(answer.text);
    // Invariant 1 holds for planning too: only reads of Delphi's keys, writes only under the bot's own prefix.
    const delphiWrites = touchingPrefix(commands, `${prefix}:`).filter((c) => writeKind(c.name) !== null);
    expect(delphiWrites).toEqual([]);
    expect(touchingPrefix(commands, `${prefix}:`).length).toBeGreaterThan(0);
    expect(answer.value).toBeUndefined();
    expect(JSON.stringify(answer.post.args.blocks)).toContain('Dry run: nothing will be replayed');
    for (const id of ids) expect(JSON.stringify(answer.post.args.blocks)).toContain(id);
    expect(await Promise.all(ids.map((id) => redis.hgetall(key(id))))).toEqual(before);
    expect(await redis.zrange(`${prefix}:${QUEUE}:failed`, '0', '-1')).toEqual(failedBefore);
    // A forged Approve carrying the dry run's real hash still decides nothing.
    const hash = await redis.hget(`${harness.config.statePrefix}:batch:${answer.batchId}`, 'hash');
    const seen = driver.ephemeralsOf(APPROVER).length;
    await driver.click(answer.ts, 'approve', APPROVER, {
      value: JSON.stringify({ b: answer.batchId, h: hash }),
    });
    expect(await driver.nextEphemeral(APPROVER, seen)).toContain('This is a dry run');
    expect(await driver.stateOf(answer.batchId)).toBe('pending');
    expect(await audit(answer.batchId)).toEqual([
      ['create', REQUESTER, 'created'],
      ['approve', APPROVER, 'dry-run'],
    ]);
    expect(await redis.exists(`${harness.config.statePrefix}:journal:${answer.batchId}:meta`)).toBe(0);
  });

  it('refuses to plan without an open incident, saying to diagnose first, and plans nothing', async () => {
    const open = await harness.services.sessions.current(SANDBOX_IDS.team, SANDBOX_IDS.incidentChannel);
    if (open) await harness.services.sessions.end(open.teamId, open.channelId, open.id);
    const { tenantId } = await givenUp(1);
    for (const text of [`replay webhooks --tenant ${tenantId}`, 'enqueue recordings rec-1 --tenant t']) {
      const answer = await driver.plan(text);
      expect(answer.kind === 'refused' && answer.text).toContain('No incident is open in this channel');
    }
  });

  it('answers /stuckjobs audit with the newest steps and posts /stuckjobs note in the thread', async () => {
    const thread = await driver.newIncident();
    const seen = driver.ephemeralsOf(REQUESTER).length;
    await harness.emulator.sendSlashCommand({ text: 'audit 5' });
    const audit = await driver.nextEphemeral(REQUESTER, seen);
    expect(audit).toMatch(/\*diagnose\* by <@U0REQUESTER>: posted/);

    const before = harness.emulator.calls.length;
    await harness.emulator.sendSlashCommand({ text: 'note' });
    const note = await harness.emulator.waitForCall(
      'chat.postMessage',
      (call) =>
        harness.emulator.calls.indexOf(call) >= before &&
        JSON.stringify(call.args.blocks).includes(BlockId.oplogNote),
      20_000,
    );
    expect(note.args.thread_ts).toBe(thread);
    expect(JSON.stringify(note.args.blocks)).toMatch(/Since \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
    // Audited once it is posted.
    await eventually(async () => {
      const [latest] = await readAudit(redis, `${harness.config.statePrefix}:audit`, { maxScan: 1 });
      return latest?.action === 'note' && latest.actor === REQUESTER ? latest : undefined;
    });
  });
});
