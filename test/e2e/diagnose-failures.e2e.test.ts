import { BlockId } from '../../blocks/ids';
import { findBlockKitViolations } from '../../blocks/limits';
import { SANDBOX_IDS, type RecordedCall } from '../../src/sandbox';
import { eventually } from '../helpers/eventually';
import { closedPortUrl } from '../helpers/loopback';
import { randomPrefix, testRedisUrl } from '../helpers/redis';
import { startHarness, type Harness } from './harness';

const textOf = (call: RecordedCall, blockId: string): string =>
  JSON.stringify((call.args.blocks as { block_id?: string }[]).find((b) => b.block_id === blockId) ?? {});

describe('diagnose when everything around it is failing', () => {
  let harness: Harness | undefined;
  const savedEnv = { ...process.env };
  beforeAll(() => {
    process.env.AWS_ACCESS_KEY_ID = 'AKIATESTONLY';
    process.env.AWS_SECRET_ACCESS_KEY = 'test-only-secret';
  });
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });
  afterAll(() => {
    process.env = savedEnv;
  });

  it('still posts a valid message when Redis and every upstream are unreachable', async () => {
    const dead = await closedPortUrl();
    const deadPort = new URL(dead).port;
    harness = await startHarness({
      env: {
        REDIS_URL: `redis://127.0.0.1:${deadPort}`,
        STATE_REDIS_URL: testRedisUrl(),
        QUEUE_PREFIX: randomPrefix('dead'),
        TREND_WINDOW_MS: '100',
        PROBE_TIMEOUT_MS: '500',
        OPS_DOCKER_URL: dead,
        SIGNOZ_URL: dead,
        STRIPE_SECRET_KEY: 'sk_test_dead',
        STRIPE_API_URL: dead,
        RECORDINGS_BUCKET: 'recordings',
        S3_ENDPOINT: dead,
        RECORDING_ENABLED: 'true',
      },
    });
    await harness.emulator.sendSlashCommand({ text: 'diagnose' });
    const post = await harness.emulator.waitForCall('chat.postMessage', undefined, 20_000);
    // Let the listener finish (it opens the session) before the harness closes.
    await eventually(() => harness!.services.sessions.current(SANDBOX_IDS.team, SANDBOX_IDS.incidentChannel));
    expect(post.response.ok).toBe(true);
    expect(
      findBlockKitViolations({ text: post.args.text as string, blocks: post.args.blocks as unknown[] }),
    ).toEqual([]);
    for (const id of ['webhooks', 'recordings', 'billing']) {
      expect(textOf(post, `${BlockId.workflowPrefix}${id}`)).toContain('Cannot read the queue');
    }
    const upstream = textOf(post, BlockId.upstream);
    expect(upstream).toContain(':grey_question: *Ops containers* unknown');
    expect(upstream).toContain(':grey_question: *SigNoz* unknown');
    expect(upstream).toContain(':x: *Stripe* down');
    expect(upstream).toContain(':x: *Recordings bucket* down');
    expect(upstream).toContain(':grey_question: *Tenant webhook endpoints* unknown: no job sample');
    expect(textOf(post, BlockId.census)).toContain('key census failed');
  }, 30_000);

  it('answers an unexpected failure with a correlation id that is also in the log', async () => {
    harness = await startHarness({
      env: { QUEUE_PREFIX: randomPrefix('boom'), TREND_WINDOW_MS: '50' },
      override: () => ({ diagnose: () => Promise.reject(new Error('kaboom in the engine')) }),
    });
    await harness.emulator.sendSlashCommand({ text: 'diagnose' });
    // Answered through response_url, which works even where the bot cannot post.
    const reply = await harness.emulator.waitForCall(
      'response_url',
      (call) => String(call.args.text).startsWith('Something went wrong'),
      10_000,
    );
    expect(reply.args.response_type).toBe('ephemeral');
    const text = reply.args.text as string;
    expect(text).toMatch(/^Something went wrong on my side\. \(error id sj-[0-9a-f]{10}\)$/);
    const correlationId = /sj-[0-9a-f]{10}/.exec(text)?.[0];
    const logged = harness.logLines.find((line) => line.correlationId === correlationId);
    expect(logged).toMatchObject({ msg: 'listener failed', err: { message: 'kaboom in the engine' } });
    expect(text).not.toContain('kaboom');
  });

  it('tells the user to invite the bot when it is not in the channel', async () => {
    harness = await startHarness({ env: { QUEUE_PREFIX: randomPrefix('nic'), TREND_WINDOW_MS: '50' } });
    harness.emulator.failNext('chat.postMessage', { error: 'not_in_channel' });
    await harness.emulator.sendSlashCommand({ text: 'diagnose' });
    const reply = await harness.emulator.waitForCall(
      'response_url',
      (call) => String(call.args.text).startsWith("I'm not in this channel"),
      10_000,
    );
    expect(reply.args.text).toMatch(/Invite me with `\/invite @stuckjobs`, then try again\. \(error id sj-/);
    const logged = harness.logLines.find((line) => line.msg === 'listener failed');
    expect(logged).toMatchObject({ slackError: 'not_in_channel', user: SANDBOX_IDS.requester });
  });
});
