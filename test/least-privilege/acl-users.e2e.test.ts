import { BlockId } from '../../blocks/ids';
import { READ_USER, REPLAY_USER } from '../../src/redis-acl/acl-users';
import { REPLAY_REDIS_MISSING } from '../../src/redis-acl/replay-access';
import { SANDBOX_IDS } from '../../src/sandbox';
import { startHarness, type Harness } from '../e2e/harness';
import { blocksOf, textOfBlock } from '../e2e/messages';
import { ReplayDriver } from '../e2e/replay-driver';
import { seedWithWorker } from '../helpers/bullmq-fixtures';
import { eventually } from '../helpers/eventually';
import { startLoopback, type Loopback } from '../helpers/loopback';
import { dumpKeysWithPrefix, randomPrefix } from '../helpers/redis';
import { tenantWebhooks } from '../helpers/tenant-webhooks';
import { startAclRedis, type AclLogEntry, type AclRedis } from './acl-redis';

const QUEUE_PREFIX = 'bull';
const QUEUE = 'webhook-delivery';
const { approver: APPROVER } = SANDBOX_IDS;
/** Another application's key in the same Redis: the read user may not even TYPE it. */
const FOREIGN_KEY = 'sessions:web:4f1c';

/**
 * Least privilege through the real bot (issue 8): on a private redis-server
 * with exactly the ACL users of docs/redis-acl.md, diagnose and sample run as
 * the read-only user and change nothing of Delphi's; an approved replay moves
 * its jobs through the replay user's connection; with REQUIRE_REPLAY_REDIS_URL
 * and no REPLAY_REDIS_URL, replay is refused at every door and diagnose still works.
 */
describe('Redis ACL users, end to end', () => {
  const statePrefix = randomPrefix('lp');
  let acl: AclRedis;
  let tenant: Loopback;
  let tenantCount = 0;

  beforeAll(async () => {
    acl = await startAclRedis({ queuePrefix: QUEUE_PREFIX, statePrefix });
    tenant = await startLoopback((_req, res) => res.writeHead(200).end());
    await acl.admin.set(FOREIGN_KEY, 'not the bot’s business');
  }, 60_000);

  afterAll(async () => {
    await tenant?.close();
    await acl?.stop();
  });

  async function givenUp(count: number): Promise<{ tenantId: string; ids: string[] }> {
    const tenantId = `t-lp-${++tenantCount}`;
    const ids = await seedWithWorker({
      url: acl.server.url,
      prefix: QUEUE_PREFIX,
      queue: QUEUE,
      jobs: tenantWebhooks(tenantId, count, tenant.url),
    });
    return { tenantId, ids };
  }

  const inFailed = async (id: string) =>
    (await acl.admin.zscore(`${QUEUE_PREFIX}:${QUEUE}:failed`, id)) !== null;
  const inWait = async (id: string) =>
    (await acl.admin.lrange(`${QUEUE_PREFIX}:${QUEUE}:wait`, 0, -1)).includes(id);

  /** Refusals that mean a permission the bot needs is missing; the census' TYPE on a foreign key is by design. */
  const unexpected = (entries: readonly AclLogEntry[]) =>
    entries.filter((e) => !(e.reason === 'key' && e.object === FOREIGN_KEY && e.username === READ_USER));

  /** A verification still watching reads Redis: let it finish before the harness closes. */
  async function settled(harness: Harness): Promise<void> {
    await eventually(async () => {
      const [, keys] = await acl.admin.scan(
        '0',
        'MATCH',
        `${harness.config.statePrefix}:verifying:*`,
        'COUNT',
        10_000,
      );
      return keys.length === 0 ? true : undefined;
    }, 30_000);
  }

  /** The bot reading as stuckjobs-read, with REQUIRE_REPLAY_REDIS_URL set; `replay` names its replay connection, if any. */
  async function startBot(
    replay: Record<string, string>,
  ): Promise<{ harness: Harness; driver: ReplayDriver }> {
    const harness = await startHarness({
      env: {
        REDIS_URL: acl.readUrl,
        ...replay,
        REQUIRE_REPLAY_REDIS_URL: 'true',
        QUEUE_PREFIX,
        STATE_PREFIX: statePrefix,
        TREND_WINDOW_MS: '50',
        APPROVERS: SANDBOX_IDS.approvers,
      },
    });
    return { harness, driver: new ReplayDriver(harness, acl.admin) };
  }

  async function stopBot(harness: Harness | undefined): Promise<void> {
    if (harness) await settled(harness);
    await harness?.close();
  }

  describe('REDIS_URL as stuckjobs-read, REPLAY_REDIS_URL as stuckjobs-replay', () => {
    let harness: Harness;
    let driver: ReplayDriver;

    beforeAll(async () => {
      ({ harness, driver } = await startBot({ REPLAY_REDIS_URL: acl.replayUrl }));
    }, 60_000);

    afterAll(() => stopBot(harness));

    it('diagnoses and samples as the read-only user: answers with workers and census, and changes no key under the queue prefix', async () => {
      await givenUp(3);
      const before = await dumpKeysWithPrefix(acl.admin, `${QUEUE_PREFIX}:`);
      await acl.resetLog();

      const thread = await driver.newIncident();
      const diagnosis = harness.emulator.message(SANDBOX_IDS.incidentChannel, thread);
      const census = JSON.stringify(diagnosis?.blocks ?? []);
      expect(census).toContain('full SCAN of');
      // The foreign prefix is counted (SCAN names every key) but its type stays hidden from this user.
      expect(census).toContain('`sessions:web` unknown');
      expect(census).not.toContain('key census failed');
      expect(census).not.toContain('CLIENT LIST unavailable');
      const samples = await driver.sample('sample webhooks 3');
      expect(blocksOf(samples).some((b) => b.block_id === BlockId.samplesGate)).toBe(true);
      expect(textOfBlock(samples, BlockId.samplesGate)).not.toContain('blocked');

      expect(await dumpKeysWithPrefix(acl.admin, `${QUEUE_PREFIX}:`)).toEqual(before);
      expect(unexpected(await acl.log())).toEqual([]);
      const clients = String(await acl.admin.client('LIST'));
      expect(clients).toMatch(new RegExp(`name=stuckjobs:queues .*user=${READ_USER}`));
      expect(clients).toMatch(new RegExp(`name=stuckjobs:state .*user=${READ_USER}`));
    });

    it('runs an approved batch through the replay user: the jobs move once, journaled, with no permission refused', async () => {
      await driver.newIncident();
      const { tenantId, ids } = await givenUp(3);
      await acl.resetLog();
      const answer = await driver.plan(`replay webhooks --tenant ${tenantId}`);
      if (answer.kind !== 'posted') throw new Error(`plan refused: ${answer.text}`);
      await driver.click(answer.ts, 'approve', APPROVER);
      await driver.waitForState(answer.batchId, 'done');

      for (const id of ids) {
        expect(await inFailed(id)).toBe(false);
        expect(await inWait(id)).toBe(true);
      }
      const journal = await acl.admin.hgetall(`${statePrefix}:journal:${answer.batchId}`);
      expect(Object.values(journal).map((e) => (JSON.parse(e) as { status: string }).status)).toEqual([
        'replayed',
        'replayed',
        'replayed',
      ]);
      expect(await acl.admin.hgetall(`${statePrefix}:journal:${answer.batchId}:moves`)).toEqual(
        Object.fromEntries(ids.map((id) => [id, 'moved'])),
      );
      expect(driver.messageText(answer.ts)).toContain('3 of 3 replayed');
      await settled(harness);
      expect(unexpected(await acl.log())).toEqual([]);
      expect(String(await acl.admin.client('LIST'))).toMatch(
        new RegExp(`name=stuckjobs:replay .*user=${REPLAY_USER}`),
      );
      // The password never reaches the log.
      const password = new URL(acl.replayUrl).password;
      expect(JSON.stringify(harness.logLines)).not.toContain(password);
    });

    it('reports the replay connection in /healthz', async () => {
      expect(await harness.services.health()).toEqual({
        ok: true,
        redis: { queues: 'ok', state: 'ok', replay: 'ok' },
      });
    });

    it('leaves a batch pending for the next test (planned, not approved)', async () => {
      await driver.newIncident();
      const { tenantId, ids } = await givenUp(2);
      const answer = await driver.plan(`replay webhooks --tenant ${tenantId}`);
      if (answer.kind !== 'posted' || answer.value === undefined) throw new Error('plan refused');
      pendingBatch = { ts: answer.ts, batchId: answer.batchId, value: answer.value, ids };
      expect(await driver.stateOf(answer.batchId)).toBe('pending');
    });
  });

  let pendingBatch: { ts: string; batchId: string; value: string; ids: string[] } | undefined;

  describe('REQUIRE_REPLAY_REDIS_URL set, REPLAY_REDIS_URL not', () => {
    let harness: Harness;
    let driver: ReplayDriver;

    beforeAll(async () => {
      ({ harness, driver } = await startBot({}));
    }, 60_000);

    afterAll(() => stopBot(harness));

    it('still diagnoses, but refuses a replay plan with an ephemeral naming REPLAY_REDIS_URL; nothing moves', async () => {
      await driver.newIncident();
      const { tenantId, ids } = await givenUp(2);
      const before = await dumpKeysWithPrefix(acl.admin, `${QUEUE_PREFIX}:`);
      const answer = await driver.plan(`replay webhooks --tenant ${tenantId}`);
      expect(answer.kind).toBe('refused');
      expect(answer.kind === 'refused' ? answer.text : '').toContain('REPLAY_REDIS_URL');
      for (const id of ids) expect(await inFailed(id)).toBe(true);
      expect(await dumpKeysWithPrefix(acl.admin, `${QUEUE_PREFIX}:`)).toEqual(before);
      const audit = await acl.admin.xrevrange(`${statePrefix}:audit`, '+', '-', 'COUNT', 1);
      expect(JSON.stringify(audit)).toContain('no replay connection');
    });

    it('still shows a dry run, which moves nothing', async () => {
      await driver.newIncident();
      const { tenantId, ids } = await givenUp(1);
      const answer = await driver.plan(`replay webhooks --tenant ${tenantId} --dry-run`);
      expect(answer.kind).toBe('posted');
      expect(await inFailed(ids[0]!)).toBe(true);
    });

    it('refuses to approve a batch planned before, tells the approver why, and leaves it pending with its jobs in failed', async () => {
      const batch = pendingBatch;
      if (!batch) throw new Error('the previous describe left no pending batch');
      const seen = driver.ephemeralsOf(APPROVER).length;
      await driver.click(batch.ts, 'approve', APPROVER, { value: batch.value });
      const reply = await driver.nextEphemeral(APPROVER, seen);
      expect(reply).toContain('a precondition fails');
      expect(reply).toContain('REPLAY_REDIS_URL');
      expect(await driver.stateOf(batch.batchId)).toBe('pending');
      for (const id of batch.ids) expect(await inFailed(id)).toBe(true);
      // Deny still closes it: nobody is left with a batch that cannot run.
      await driver.click(batch.ts, 'deny', APPROVER, { value: batch.value });
      await driver.waitForState(batch.batchId, 'denied');
    });

    it('says in /healthz that replay is off, while the read connections are healthy', async () => {
      const health = await harness.services.health();
      expect(health.ok).toBe(true);
      const redis = health['redis'] as Record<string, string>;
      expect([redis['queues'], redis['state']]).toEqual(['ok', 'ok']);
      expect(redis['replay']).toMatch(/^off: REQUIRE_REPLAY_REDIS_URL without REPLAY_REDIS_URL/);
      expect(REPLAY_REDIS_MISSING).toContain('REQUIRE_REPLAY_REDIS_URL');
    });
  });
});
