import type { Redis } from 'ioredis';
import { ActionId, BlockId } from '../../blocks/ids';
import { findBlockKitViolations } from '../../blocks/limits';
import { SANDBOX_IDS, type RecordedCall } from '../../src/sandbox';
import { seedFailedFast, seedWithWorker } from '../helpers/bullmq-fixtures';
import { startLoopback, type Loopback } from '../helpers/loopback';
import {
  deleteKeysWithPrefix,
  dumpKeysWithPrefix,
  randomPrefix,
  testRedis,
  testRedisUrl,
} from '../helpers/redis';
import { startHarness, type Harness } from './harness';
import { blocksOf, textOfBlock } from './messages';

/** The payload as shown: the code block's content, mrkdwn-unescaped. */
const shownPayload = (call: RecordedCall, jobId: string) => {
  const text = textOfBlock(call, `${BlockId.samplePayloadPrefix}${jobId}`);
  const inside = /```([\s\S]*?)```/.exec(text)?.[1] ?? '';
  return inside.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
};

const SECRET_TOKEN = 'Bearer tok_live_9f8e7d6c5b4a39281706f5e4d3c2b1a0';
const SECRET_SIGNATURE = 'sig-0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const CONFIGURED_STRIPE_KEY = 'sk_test_configuredkey0123456789abcdef';
const CONFIGURED_SIGNOZ_KEY = 'signoz-configured-key-0123456789';

describe('/stuckjobs sample end to end', () => {
  const prefix = randomPrefix('smp');
  let harness: Harness;
  let tenant: Loopback;
  let redis: Redis;
  let acmeIds: string[] = [];
  let badIds: string[] = [];

  const acmePayload = (i: number) => ({
    tenantId: 't-acme',
    webhookId: `wh-${i}`,
    url: '', // filled in below, once the tenant stand-in has a port
    event: 'call.ended',
    headers: { Authorization: SECRET_TOKEN, 'X-Signature': SECRET_SIGNATURE },
    body: {
      caller: 'jane.doe@acme.example',
      phone: '+49 170 1234567',
      msisdn: '4917012345678',
      minutes: 1.5,
    },
  });

  beforeAll(async () => {
    redis = testRedis();
    tenant = await startLoopback((_req, res) => res.writeHead(200).end());
    const url = testRedisUrl();
    acmeIds = await seedWithWorker({
      url,
      prefix,
      queue: 'webhook-delivery',
      jobs: Array.from({ length: 2 }, (_, i) => ({
        name: 'deliver-webhook',
        data: { ...acmePayload(i), url: `${tenant.url}/hooks/acme` },
        failWith: `HTTP 503 from ${tenant.url}/hooks/acme`,
      })),
    });
    badIds = await seedWithWorker({
      url,
      prefix,
      queue: 'webhook-delivery',
      jobs: [
        {
          name: 'deliver-webhook',
          data: { tenantId: 't-bad', webhookId: 'w', url: 'not a url', event: 'x', body: {} },
          failWith: 'TypeError: Invalid URL',
        },
      ],
    });
    harness = await startHarness({
      env: {
        QUEUE_PREFIX: prefix,
        TREND_WINDOW_MS: '50',
        PROBE_TIMEOUT_MS: '2000',
        REDACT_EXTRA_KEYS: 'msisdn',
        // Configured secrets: they must never reach a message or a log line either.
        STRIPE_SECRET_KEY: CONFIGURED_STRIPE_KEY,
        STRIPE_API_URL: 'http://127.0.0.1:9',
        SIGNOZ_URL: 'http://127.0.0.1:9',
        SIGNOZ_API_KEY: CONFIGURED_SIGNOZ_KEY,
      },
    });
  }, 60_000);

  afterAll(async () => {
    await harness?.close();
    await tenant?.close();
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
  });

  async function sample(text: string): Promise<RecordedCall> {
    const before = harness.emulator.calls.length;
    const reply = await harness.emulator.sendSlashCommand({ text });
    expect(JSON.parse(reply.body)).toMatchObject({ response_type: 'ephemeral' });
    return harness.emulator.waitForCall(
      'chat.postMessage',
      (c) => harness.emulator.calls.indexOf(c) >= before,
      20_000,
    );
  }

  it('shows each job exactly as stored, pretty-printed and redacted, with three passing checks, and changes nothing', async () => {
    const keysBefore = await dumpKeysWithPrefix(redis, `${prefix}:`);
    const post = await sample('sample webhooks --tenant t-acme');
    expect(findBlockKitViolations({ text: post.args.text as string, blocks: blocksOf(post) })).toEqual([]);
    expect(await dumpKeysWithPrefix(redis, `${prefix}:`)).toEqual(keysBefore);

    expect(textOfBlock(post, BlockId.samplesGate)).toBe(
      ':white_check_mark: All three checks passed on 2 sampled jobs.',
    );
    const id = acmeIds[1]!;
    const stored = (await redis.hget(`${prefix}:webhook-delivery:${id}`, 'data'))!;
    // The stored text, pretty-printed in its own order, with only the secrets and personal data replaced.
    const expected = JSON.stringify(JSON.parse(stored), null, 2)
      .replace(JSON.stringify(SECRET_TOKEN), '"[redacted:32+]"')
      .replace(JSON.stringify(SECRET_SIGNATURE), '"[redacted:32+]"')
      .replace('"jane.doe@acme.example"', '"j***@a***.example"')
      .replace('"+49 170 1234567"', '"+49 *** *****67"')
      .replace('"4917012345678"', '"[redacted:8-31]"');
    expect(shownPayload(post, id)).toBe(expected);

    const checks = textOfBlock(post, `${BlockId.sampleChecksPrefix}${id}`);
    expect(checks).toContain(':white_check_mark: *well-formed*: matches the webhooks schema');
    expect(checks).toContain(':white_check_mark: *target-exists*: HEAD 200');
    expect(checks).toContain(':white_check_mark: *handler-exists*: deliver-webhook is a handler in v0.9.11');
    const details = textOfBlock(post, `${BlockId.sampleJobPrefix}${id}`);
    expect(details).toContain('*Attempts*\n1 of 1');
    expect(details).toContain(`*Last failure*\nHTTP 503 from ${tenant.url}/hooks/acme`);
    const cohorts = textOfBlock(post, BlockId.samplesCohorts);
    expect(cohorts).toContain('3 given-up jobs among all failed jobs');
    expect(cohorts).toContain('t-acme ×2');
    expect(cohorts).toContain('HTTP 503 ×2');

    const everything = JSON.stringify(harness.emulator.calls) + JSON.stringify(harness.logLines);
    const configured = [
      CONFIGURED_STRIPE_KEY,
      CONFIGURED_SIGNOZ_KEY,
      harness.config.slack.botToken!,
      harness.config.slack.signingSecret!,
    ];
    for (const secret of [
      SECRET_TOKEN,
      SECRET_SIGNATURE,
      'jane.doe@acme.example',
      '1234567',
      '4917012345678',
      ...configured,
    ]) {
      expect(everything).not.toContain(secret);
    }
  });

  it('blocks replay of the workflow when a sampled payload fails its check, through the replay gate', async () => {
    const post = await sample('sample webhooks 10');
    const gateText = textOfBlock(post, BlockId.samplesGate);
    expect(gateText).toMatch(/^:no_entry: \*Blocked: stop and ask before replay\.\*/);
    expect(gateText).toContain(`cohort \`*\`, job ${badIds[0]}: *well-formed* — url: Invalid URL`);
    expect(post.args.text).toMatch(/BLOCKED: a check failed; stop and ask before replay/);

    const scope = { teamId: SANDBOX_IDS.team, channelId: SANDBOX_IDS.incidentChannel };
    const blocks = await harness.services.gate.blocks(scope, 'webhooks');
    expect(blocks).toEqual([
      expect.objectContaining({
        workflow: 'webhooks',
        cohortKey: '*',
        by: SANDBOX_IDS.requester,
        failures: [{ jobId: badIds[0], check: 'well-formed', reason: 'url: Invalid URL' }],
      }),
    ]);
    expect(await harness.services.gate.blocks(scope, 'billing')).toEqual([]);

    // A clean sample of another cohort does not lift the block on all of them.
    const clean = await sample('sample webhooks --tenant t-acme');
    expect(textOfBlock(clean, BlockId.samplesGate)).toMatch(/^:no_entry: \*Blocked/);
  });

  it('lifts the block once the failing job is fixed and a re-sample checks it clean', async () => {
    const scope = { teamId: SANDBOX_IDS.team, channelId: SANDBOX_IDS.incidentChannel };
    expect(await harness.services.gate.blocks(scope, 'webhooks')).toHaveLength(1);
    const key = `${prefix}:webhook-delivery:${badIds[0]}`;
    const fixed = { tenantId: 't-bad', webhookId: 'w', url: `${tenant.url}/hooks/bad`, event: 'x', body: {} };
    await redis.hset(key, 'data', JSON.stringify(fixed));
    const post = await sample('sample webhooks 10');
    expect(textOfBlock(post, BlockId.samplesGate)).toBe(
      ':white_check_mark: All three checks passed on 3 sampled jobs.',
    );
    expect(await harness.services.gate.blocks(scope, 'webhooks')).toEqual([]);
  });

  it('keeps the stored text: key order JSON.parse would change, number literals, duplicate keys', async () => {
    const [id] = await seedFailedFast({
      redis,
      prefix,
      queue: 'billing-housekeeping',
      count: 1,
      name: 'sync-subscription-usage',
      dataFor: () => ({}),
      failedReason: 'Stripe 500',
      attempts: 1,
    });
    await redis.hset(
      `${prefix}:billing-housekeeping:${id}`,
      'data',
      '{"tenantId":"t","2":"two","1":"one","amount":1.50,"big":12345678901234567890,"amount":2e3}',
    );
    const post = await sample('sample billing 1');
    expect(shownPayload(post, id!)).toBe(
      '{\n  "tenantId": "t",\n  "2": "two",\n  "1": "one",\n  "amount": 1.50,\n  "big": 12345678901234567890,\n  "amount": 2e3\n}',
    );
  });

  it('shows a 1 MB payload, a payload that is not JSON and an empty one, each with a clear note', async () => {
    const queue = 'recording-postprocess';
    const ids = await seedFailedFast({
      redis,
      prefix,
      queue,
      count: 3,
      name: 'transmux-recording',
      dataFor: (i) => ({
        tenantId: 't',
        conversationId: `c${i}`,
        recordingId: `r${i}`,
        sourceKey: 'k',
        outputKey: 'o',
      }),
      failedReason: 'boom',
      attempts: 1,
    });
    const [huge, notJson, empty] = ids as [string, string, string];
    await redis.hset(
      `${prefix}:${queue}:${huge}`,
      'data',
      JSON.stringify({ tenantId: 't', blob: 'x'.repeat(1_000_000) }),
    );
    await redis.hset(`${prefix}:${queue}:${notJson}`, 'data', 'tenant=t;recording=<r1>\u0007');
    await redis.hset(`${prefix}:${queue}:${empty}`, 'data', '');
    const post = await sample('sample recordings 3');
    expect(post.response.ok).toBe(true);
    expect(findBlockKitViolations({ text: post.args.text as string, blocks: blocksOf(post) })).toEqual([]);
    const hugeBlock = textOfBlock(post, `${BlockId.samplePayloadPrefix}${huge}`);
    expect(hugeBlock).toContain(
      '_Truncated: use *Full payload* for the whole redacted payload as a file in this thread._',
    );
    expect(textOfBlock(post, `${BlockId.samplePayloadPrefix}${notJson}`)).toContain(
      'The stored payload is not JSON; shown as stored.',
    );
    expect(textOfBlock(post, `${BlockId.samplePayloadPrefix}${notJson}`)).toContain('&lt;r1&gt;');
    expect(textOfBlock(post, `${BlockId.samplePayloadPrefix}${empty}`)).toContain('The job has no payload.');
    expect(textOfBlock(post, `${BlockId.sampleChecksPrefix}${notJson}`)).toContain(
      ':x: *well-formed*: the stored payload is not JSON',
    );
    expect(textOfBlock(post, `${BlockId.sampleChecksPrefix}${empty}`)).toContain(
      ':x: *well-formed*: the job has no payload',
    );

    // Full payload, on demand: the whole redacted payload as a file in the thread; still read-only.
    const keysBeforeClick = await dumpKeysWithPrefix(redis, `${prefix}:`);
    const click = await harness.emulator.sendBlockAction({
      messageTs: post.response.ts as string,
      actionId: ActionId.fullPayload,
      blockId: `${BlockId.samplePayloadPrefix}${huge}`,
      value: JSON.stringify({ w: 'recordings', st: 'failed', j: huge }),
    });
    expect(click.status).toBe(200);
    await harness.emulator.waitForCall('files.completeUploadExternal', undefined, 20_000);
    const [file] = harness.emulator
      .files(SANDBOX_IDS.incidentChannel)
      .filter((f) => f.filename === `recordings-job-${huge}.json`);
    expect(file?.threadTs).toBe(post.response.ts);
    expect(await dumpKeysWithPrefix(redis, `${prefix}:`)).toEqual(keysBeforeClick);
    expect(file?.content).toBe(`{\n  "tenantId": "t",\n  "blob": "${'x'.repeat(1_000_000)}"\n}`);
  });

  it('answers a Full payload click for a job that is gone, and a damaged button value, with a clear note', async () => {
    const gone = await harness.emulator.sendBlockAction({
      messageTs: '1.000100',
      actionId: ActionId.fullPayload,
      value: JSON.stringify({ w: 'webhooks', st: 'failed', j: 'no-such-job' }),
    });
    expect(gone.status).toBe(200);
    const note = await harness.emulator.waitForCall('response_url', (c) =>
      String(c.args.text).startsWith('Job no-such-job'),
    );
    expect(note.args.text).toBe(
      'Job no-such-job is no longer failed: it was retried, removed or finished since the sample.',
    );
    await harness.emulator.sendBlockAction({
      messageTs: '1.000100',
      actionId: ActionId.fullPayload,
      value: '{"w":"sms"}',
    });
    const damaged = await harness.emulator.waitForCall('response_url', (c) =>
      String(c.args.text).startsWith('That button'),
    );
    expect(damaged.args.text).toMatch(/^That button is out of date or damaged\. Type `\/stuckjobs help`/);
  });

  it('posts samples into the incident thread from the diagnosis "Show samples" button', async () => {
    const before = harness.emulator.calls.length;
    await harness.emulator.sendSlashCommand({ text: 'diagnose webhooks --new' });
    const root = await harness.emulator.waitForCall(
      'chat.postMessage',
      (c) =>
        harness.emulator.calls.indexOf(c) >= before && String(c.args.text).startsWith('Stuck jobs diagnosis'),
      20_000,
    );
    const section = blocksOf(root).find((b) => b.block_id === `${BlockId.workflowPrefix}webhooks`);
    expect(section?.accessory?.action_id).toBe(ActionId.showSamples);
    await harness.emulator.sendBlockAction({
      messageTs: root.response.ts as string,
      actionId: ActionId.showSamples,
      blockId: `${BlockId.workflowPrefix}webhooks`,
      value: section!.accessory!.value,
      user: SANDBOX_IDS.approver,
    });
    const samples = await harness.emulator.waitForCall(
      'chat.postMessage',
      (c) => c.args.thread_ts === root.response.ts,
      20_000,
    );
    expect(blocksOf(samples)[0]?.text?.text).toBe('Samples: webhooks · failed');
    expect(textOfBlock(samples, BlockId.samplesFooter)).toContain(`<@${SANDBOX_IDS.approver}>`);
  });
});
