import type { Redis } from 'ioredis';
import { ActionId } from '../../blocks/ids';
import { readAudit } from '../../src/approvals/audit';
import { SANDBOX_IDS } from '../../src/sandbox';
import { seedWithWorker } from '../helpers/bullmq-fixtures';
import { startLoopback, type Loopback } from '../helpers/loopback';
import { deleteKeysWithPrefix, randomPrefix, testRedis, testRedisUrl } from '../helpers/redis';
import { harnessEnv } from '../e2e/env';
import { startHarness, type Harness } from '../e2e/harness';
import { ReplayDriver } from '../e2e/replay-driver';
import { AttackKit, type Verdict } from './attack-kit';
import { writeTally } from './tally-file';

const QUEUE = 'webhook-delivery';
const OTHER_CHANNEL = 'C0ELSEWHERE';
const OTHER_TEAM = 'T0ELSEWHERE';
const { approver: APPROVER, requester: REQUESTER } = SANDBOX_IDS;

/**
 * Attacks on what a signed request says: a `payload` that is not JSON or not
 * the right shape, action ids and values we never sent, Approve clicks for
 * batches that do not exist or from another workspace or channel, and
 * commands outside the incident channels. Signed correctly, so they reach
 * the listeners: each must refuse in words, change nothing, and leave the bot
 * answering.
 */
describe('adversarial: tampered clicks and foreign places', () => {
  const prefix = randomPrefix('adv-clk');
  let harness: Harness;
  let kit: AttackKit;
  let redis: Redis;
  let tenant: Loopback;
  let driver: ReplayDriver;
  let batch: { ts: string; batchId: string; hash: string; value: string };
  let jobIds: string[];

  beforeAll(async () => {
    redis = testRedis();
    tenant = await startLoopback((_req, res) => res.writeHead(200).end());
    harness = await startHarness({
      env: harnessEnv(prefix, {
        // The sandbox's channel is #inc-ops-stalled; C0ELSEWHERE (#random) is not an incident channel.
        INCIDENT_CHANNELS: 'inc-*,C0WARROOM',
      }),
    });
    kit = await AttackKit.start(harness);
    driver = new ReplayDriver(harness, redis);
    await driver.newIncident();
    jobIds = await seedWithWorker({
      url: testRedisUrl(),
      prefix,
      queue: QUEUE,
      jobs: [0, 1].map((i) => ({
        name: 'deliver-webhook',
        data: { tenantId: 't-clk', webhookId: `wh-${i}`, url: `${tenant.url}/h`, event: 'e', body: {} },
        failWith: 'HTTP 503',
      })),
    });
    const plan = await driver.plan('replay webhooks --tenant t-clk');
    if (plan.kind !== 'posted' || plan.value === undefined) throw new Error('plan refused');
    batch = { ts: plan.ts, batchId: plan.batchId, hash: plan.hash, value: plan.value };
  }, 60_000);

  afterAll(async () => {
    if (kit) writeTally('tampered-clicks', kit.tally);
    await kit?.close();
    await harness?.close();
    await tenant?.close();
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
  });

  /** Nothing moved: the batch is pending and its jobs are still given up. */
  async function nothingMoved(): Promise<void> {
    expect(await driver.stateOf(batch.batchId)).toBe('pending');
    for (const id of jobIds) expect(await redis.zscore(`${prefix}:${QUEUE}:failed`, id)).not.toBeNull();
  }

  /** A signed block_actions delivery of `payload` (any text) and the bot's HTTP status. */
  async function deliver(payload: string): Promise<number> {
    const body = AttackKit.form({ payload });
    return (await kit.post(body, kit.headers(body))).status;
  }

  /** Delivers a click payload and returns the text of the bot's ephemeral answer. */
  async function answerTo(payload: Record<string, unknown>): Promise<string> {
    expect(await deliver(JSON.stringify(payload))).toBe(200);
    const reply = await kit.replyTo(String(payload.response_url));
    return `${reply.text} ${JSON.stringify(reply.blocks)}`;
  }

  describe('payload JSON', () => {
    const unreadable: [string, string][] = [
      ['not JSON', '{"type": "block_actions", '],
      ['JSON null', 'null'],
      ['a JSON number', '42'],
      ['a JSON array', '[{"type":"block_actions"}]'],
      ['an empty object', '{}'],
      ['an unknown type', JSON.stringify({ type: 'definitely_not_slack', user: { id: REQUESTER } })],
      ['10,000-deep nesting', `${'['.repeat(10_000)}${']'.repeat(10_000)}`],
    ];

    it.each(unreadable)('answers a payload that is %s without running a listener', async (name, payload) => {
      await kit.attack(`payload: ${name}`, async () => {
        const before = harness.emulator.calls.length;
        const status = await deliver(payload);
        // Bolt answers 400 to what it cannot parse; anything it parses but no listener claims is dropped.
        expect([200, 400, 401, 404]).toContain(status);
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(harness.emulator.calls.slice(before).filter((c) => c.method !== 'auth.test')).toEqual([]);
        return 'refused';
      });
    });

    const malformed: [string, (p: Record<string, unknown>) => Record<string, unknown>][] = [
      ['actions not an array', (p) => ({ ...p, actions: 'replay_approve' })],
      ['actions empty', (p) => ({ ...p, actions: [] })],
      ['an action with a numeric value', (p) => ({ ...p, actions: [{ ...first(p), value: 12345 }] })],
      ['an action with an object value', (p) => ({ ...p, actions: [{ ...first(p), value: { b: 'x' } }] })],
      ['no channel and no container', (p) => ({ ...p, channel: undefined, container: undefined })],
      ['no team', (p) => ({ ...p, team: undefined, user: { id: APPROVER } })],
      ['a user id that is a number', (p) => ({ ...p, user: { id: 7 } })],
      ['no user', (p) => ({ ...p, user: undefined })],
      ['a 100 KB user id', (p) => ({ ...p, user: { id: 'U'.repeat(100_000) } })],
    ];

    it.each(malformed)('refuses an Approve click with %s; nothing moves', async (name, alter) => {
      await kit.attack(`payload shape: ${name}`, async () => {
        const payload = alter(kit.clickPayload(ActionId.replayApprove, batch.value, { user: APPROVER }));
        const status = await deliver(JSON.stringify(payload));
        // 400 from the shield, 404 when Bolt finds no listener for it (an empty `actions`), 200 refused inside.
        expect([200, 400, 404]).toContain(status);
        await new Promise((resolve) => setTimeout(resolve, 300));
        await nothingMoved();
        return 'refused';
      });
    });
  });

  describe('action ids and values', () => {
    it('answers an unknown action id, and a 100 KB one, with "not one of mine"', async () => {
      for (const [name, actionId] of [
        ['unknown action id', 'replay_approve_all'],
        ['100 KB action id', 'a'.repeat(100_000)],
        ['action id with mrkdwn', '<!channel>'],
      ] as const) {
        await kit.attack(name, async () => {
          const answer = await answerTo(kit.clickPayload(actionId, '{}'));
          expect(answer).toContain('That button is not one of mine');
          expect(answer).not.toContain('<!channel>');
          return 'refused';
        });
      }
    });

    const approveValues: [string, () => string, RegExp][] = [
      ['a 100 KB value', () => 'x'.repeat(100_000), /damaged, altered or too old/],
      ['a 100 KB JSON value', () => JSON.stringify({ b: batch.batchId, h: 'a'.repeat(100_000) }), /damaged/],
      [
        'a batch id that does not exist',
        () => JSON.stringify({ b: 'b-000000000000', h: batch.hash }),
        /damaged/,
      ],
      [
        'a hash that does not match',
        () =>
          JSON.stringify({ b: batch.batchId, h: batch.hash.replace(/^./, (c) => (c === 'a' ? 'b' : 'a')) }),
        /different version of the plan/,
      ],
      ['wrong types', () => JSON.stringify({ b: 12, h: ['x'] }), /damaged/],
      ['no value at all', () => '', /damaged/],
    ];

    it.each(approveValues)('refuses Approve carrying %s; nothing moves', async (name, value, expected) => {
      await kit.attack(`approve value: ${name}`, async () => {
        const answer = await answerTo(kit.clickPayload(ActionId.replayApprove, value(), { user: APPROVER }));
        expect(answer).toMatch(expected);
        await nothingMoved();
        return 'refused';
      });
    });

    const otherValues: [string, string, string][] = [
      ['Show samples', ActionId.showSamples, 'x'.repeat(100_000)],
      ['Show samples', ActionId.showSamples, JSON.stringify({ w: 5, st: 'everything' })],
      ['Plan replay', ActionId.planReplay, JSON.stringify({ w: '../../etc/passwd' })],
      ['Full payload', ActionId.fullPayload, JSON.stringify({ w: 'webhooks', st: 'failed', j: '' })],
      [
        'Full payload',
        ActionId.fullPayload,
        JSON.stringify({ w: 'webhooks', st: 'failed', j: 'x'.repeat(5_000) }),
      ],
    ];

    it.each(otherValues)('refuses %s with a damaged value (%#)', async (name, actionId, value) => {
      await kit.attack(`${name} value #${value.length}`, async () => {
        const answer = await answerTo(kit.clickPayload(actionId, value));
        expect(answer).toMatch(/out of date or damaged/);
        return 'refused';
      });
    });
  });

  describe('another workspace or channel', () => {
    const foreign: [string, { team?: string; channel?: string }, 'approve' | 'deny'][] = [
      ['Approve from another channel', { channel: OTHER_CHANNEL }, 'approve'],
      ['Approve from another workspace', { team: OTHER_TEAM }, 'approve'],
      ['Approve from another workspace and channel', { team: OTHER_TEAM, channel: OTHER_CHANNEL }, 'approve'],
      ['Deny from another channel', { channel: OTHER_CHANNEL }, 'deny'],
    ];

    it.each(foreign)(
      'refuses %s with a clear message, audits it, and moves nothing',
      async (name, place, decision) => {
        await kit.attack(name, async () => {
          const actionId = decision === 'approve' ? ActionId.replayApprove : ActionId.replayDeny;
          const payload = kit.clickPayload(actionId, batch.value, { user: APPROVER, ...place });
          const answer = await answerTo(payload);
          expect(answer).toContain('belongs to another channel');
          expect(answer).toContain('nothing was replayed');
          await nothingMoved();
          const audit = await readAudit(redis, `${harness.config.statePrefix}:audit`, {
            batchId: batch.batchId,
          });
          expect(audit.at(-1)).toMatchObject({ action: decision, actor: APPROVER, result: 'wrong-channel' });
          expect(audit.at(-1)?.detail).toContain(place.channel ?? SANDBOX_IDS.incidentChannel);
          return 'refused';
        });
      },
    );

    it('refuses /stuckjobs diagnose, replay and audit outside INCIDENT_CHANNELS, naming where it may run', async () => {
      for (const text of ['diagnose', 'replay webhooks --tenant t-clk', 'audit']) {
        await kit.attack(`/stuckjobs ${text} outside an incident channel`, async () => {
          const before = harness.emulator.calls.length;
          const body = AttackKit.form(
            kit.commandForm(text, { channel_id: OTHER_CHANNEL, channel_name: 'random' }),
          );
          const response = await kit.post(body, kit.headers(body));
          expect(response.status).toBe(200);
          expect(response.body).toContain('runs only in incident channels');
          expect(response.body).toContain('`#inc-*`');
          expect(response.body).toContain('`C0WARROOM`');
          expect(response.body).toContain('help` works anywhere');
          await new Promise((resolve) => setTimeout(resolve, 200));
          const posted = harness.emulator.calls
            .slice(before)
            .filter((c) => c.method === 'chat.postMessage' && c.args.channel === OTHER_CHANNEL);
          expect(posted).toEqual([]);
          return 'refused';
        });
      }
    });

    it('still answers /stuckjobs help outside an incident channel, and runs in one listed by id', async () => {
      await kit.attack('/stuckjobs help outside an incident channel', async () => {
        const body = AttackKit.form(
          kit.commandForm('help', { channel_id: OTHER_CHANNEL, channel_name: 'random' }),
        );
        const response = await kit.post(body, kit.headers(body));
        expect(response.body).toContain('/stuckjobs diagnose');
        expect(response.body).not.toContain('runs only in incident channels');
        return 'handled' satisfies Verdict;
      });
      await kit.attack('/stuckjobs audit in a channel listed by id', async () => {
        const form = kit.commandForm('audit 1', { channel_id: 'C0WARROOM', channel_name: 'war-room' });
        const body = AttackKit.form(form);
        const response = await kit.post(body, kit.headers(body));
        expect(response.body).not.toContain('runs only in incident channels');
        const reply = await kit.replyTo(form.response_url!);
        expect(reply.text).not.toContain('runs only in incident channels');
        return 'handled' satisfies Verdict;
      });
    });

    it('refuses Show samples and Plan replay clicked outside an incident channel', async () => {
      for (const [name, actionId, value] of [
        ['Show samples', ActionId.showSamples, JSON.stringify({ w: 'webhooks' })],
        ['Plan replay', ActionId.planReplay, JSON.stringify({ w: 'webhooks' })],
      ] as const) {
        await kit.attack(`${name} clicked outside an incident channel`, async () => {
          const answer = await answerTo(kit.clickPayload(actionId, value, { channel: OTHER_CHANNEL }));
          expect(answer).toContain('runs only in incident channels');
          return 'refused';
        });
      }
    });
  });

  it('counted every attack, none crashed the bot, and the batch is still approvable by the right click', async () => {
    expect(kit.tally.crashed).toBe(0);
    expect(kit.tally.tried).toBeGreaterThanOrEqual(30);
    await driver.click(batch.ts, 'approve', APPROVER);
    await driver.waitForState(batch.batchId, 'done');
  });
});

function first(payload: Record<string, unknown>): Record<string, unknown> {
  return (payload.actions as Record<string, unknown>[])[0] ?? {};
}
