import type { Redis } from 'ioredis';
import { ActionId, BlockId } from '../../blocks/ids';
import type { RecordedCall } from '../../src/sandbox';
import { seedWithWorker } from '../helpers/bullmq-fixtures';
import type { Loopback } from '../helpers/loopback';
import { randomPrefix, testRedisUrl } from '../helpers/redis';
import type { Harness } from '../e2e/harness';
import { blocksOf, textOfBlock } from '../e2e/messages';
import type { ReplayDriver } from '../e2e/replay-driver';
import type { AttackKit } from './attack-kit';
import { closeAttackWorld, startAttackWorld } from './attack-world';

const QUEUE = 'webhook-delivery';
const MB = 1024 * 1024;

/** What Delphi's Redis may hold in a job's `data` field, whoever wrote it. */
const HOSTILE_PAYLOADS: readonly (readonly [string, () => string | Buffer])[] = [
  ['text that is not JSON', () => 'this is { not json'],
  [
    'binary bytes',
    () => Buffer.from([0x00, 0xff, 0xfe, 0x1b, 0x5b, 0x33, 0x31, 0x6d, 0xc3, 0x28, 0x80, 0x00, 0x7f]),
  ],
  ['an array nested 10,000 deep', () => `${'['.repeat(10_000)}${']'.repeat(10_000)}`],
  ['an object nested 10,000 deep', () => `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`],
  [
    '5 MB of JSON',
    () => JSON.stringify({ tenantId: 't-big', url: 'http://x.example', blob: 'x'.repeat(5 * MB) }),
  ],
  ['5 MB that is not JSON', () => `{${'y'.repeat(5 * MB)}`],
  ['JSON null', () => 'null'],
  ['a JSON string', () => '"deliver me"'],
];

/**
 * Job payloads no schema expects, put straight into the queue's job hashes:
 * diagnose, sample, the Full payload button and a replay plan must each answer
 * with valid Block Kit (the kit checks every message sent), in bounded time,
 * without a crash, and the plan must never offer one of them for replay.
 */
describe('adversarial: job payloads that are not what a workflow stores', () => {
  const prefix = randomPrefix('adv-pay');
  let harness: Harness;
  let kit: AttackKit;
  let redis: Redis;
  let tenant: Loopback;
  let driver: ReplayDriver;
  const hostileIds = new Map<string, string>();

  beforeAll(async () => {
    ({ redis, tenant, harness, kit, driver } = await startAttackWorld(prefix));
    const ids = await seedWithWorker({
      url: testRedisUrl(),
      prefix,
      queue: QUEUE,
      jobs: HOSTILE_PAYLOADS.map((_, i) => ({
        name: 'deliver-webhook',
        data: { tenantId: 't-x', webhookId: `wh-${i}`, url: `${tenant.url}/h`, event: 'e', body: {} },
        failWith: 'HTTP 503',
      })),
    });
    // Overwrite each given-up job's payload in place: the job stays failed with its attempts used.
    for (const [i, [name, payload]] of HOSTILE_PAYLOADS.entries()) {
      const id = ids[i]!;
      await redis.hset(`${prefix}:${QUEUE}:${id}`, 'data', payload());
      hostileIds.set(name, id);
    }
    await driver.newIncident();
  }, 120_000);

  afterAll(() => closeAttackWorld({ kit, harness, tenant, redis }, 'job-payloads', prefix));

  const after = (index: number) => (c: RecordedCall) => harness.emulator.calls.indexOf(c) >= index;

  it('diagnoses a queue whose given-up jobs hold every hostile payload', async () => {
    await kit.attack('diagnose over hostile payloads', async () => {
      // kit.attack's own liveness check is this very command: a diagnosis posted and valid.
      const post = await kit.alive();
      expect(JSON.stringify(post.args.blocks)).toContain('webhooks');
      return 'handled';
    });
  });

  it('plans a replay that offers none of the hostile jobs: unparseable payloads are never eligible', async () => {
    await kit.attack('replay plan over hostile payloads', async () => {
      const answer = await driver.plan('replay webhooks');
      // Every given-up job holds a hostile payload, so the plan must refuse, naming why.
      expect(answer.kind).toBe('refused');
      const text = answer.kind === 'refused' ? answer.text : '';
      expect(text).toContain(
        `No given-up webhooks job of this cohort can be replayed (${HOSTILE_PAYLOADS.length} failed jobs looked at)`,
      );
      expect(text).toContain('payload not well-formed: the stored payload is not JSON');
      return 'refused';
    });
  });

  it('samples all of them read-only, each shown (or cut short) within Block Kit limits, with a failed well-formed check', async () => {
    await kit.attack('sample over hostile payloads', async () => {
      const before = harness.emulator.calls.length;
      const post = await driver.sample('sample webhooks 10');
      expect(harness.emulator.calls.indexOf(post)).toBeGreaterThanOrEqual(before);
      const text = JSON.stringify(post.args.blocks);
      for (const id of hostileIds.values()) expect(text).toContain(`${BlockId.sampleJobPrefix}${id}`);
      // Nothing of the 5 MB reached Slack.
      expect(text.length).toBeLessThan(60_000);
      // Each job's well-formed check fails, and the workflow is blocked for replay.
      for (const id of hostileIds.values()) {
        expect(textOfBlock(post, `${BlockId.sampleChecksPrefix}${id}`)).toMatch(/:x: \*?well-formed/i);
      }
      expect(text).toContain('Blocked: stop and ask before replay');
      return 'handled';
    });
  });

  it.each(HOSTILE_PAYLOADS.map(([name]) => [name]))(
    'uploads the Full payload of the job holding %s as a file, without a crash',
    async (name) => {
      await kit.attack(`full payload: ${name}`, async () => {
        const id = hostileIds.get(name)!;
        const samples = harness.emulator.calls.filter(
          (c) =>
            c.method === 'chat.postMessage' && blocksOf(c).some((b) => b.block_id === BlockId.samplesGate),
        );
        const posted = samples.at(-1)?.response.ts;
        const ts = typeof posted === 'string' ? posted : '';
        const before = harness.emulator.calls.length;
        await harness.emulator.sendBlockAction({
          messageTs: ts,
          actionId: ActionId.fullPayload,
          value: JSON.stringify({ w: 'webhooks', st: 'failed', j: id }),
        });
        // The job is there, so the whole redacted payload goes up as a file into the thread.
        const upload = await harness.emulator.waitForCall(
          'files.completeUploadExternal',
          after(before),
          20_000,
        );
        expect(upload.response.ok).toBe(true);
        return 'handled';
      });
    },
  );

  it('counted every attack and none crashed the bot', () => {
    expect(kit.tally.tried).toBe(3 + HOSTILE_PAYLOADS.length);
    expect(kit.tally.crashed).toBe(0);
  });
});
