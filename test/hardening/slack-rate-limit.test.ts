import { Writable } from 'node:stream';
import { webApi } from '@slack/bolt';
import { UnknownError } from '@slack/bolt/dist/errors';
import { rateLimitText, slackRateLimitOf } from '../../handlers/slack-rate-limit';
import type { RunningBot } from '../../src/app';
import { loadConfig } from '../../src/config';
import { CodedError, ErrorCode } from '../../src/errors';
import { createLogger } from '../../src/logger';
import { SANDBOX_IDS, type RecordedCall, type SlackEmulator } from '../../src/sandbox';
import { startBotBehindEmulator, startEmulatedSlack } from '../../src/sandbox/emulated-bot';
import { createServices, type Services } from '../../src/services';
import { startHarness, type Harness } from '../e2e/harness';
import { diagnosisPosts } from '../e2e/messages';
import { eventually } from '../helpers/eventually';
import { startLoopback, type Loopback } from '../helpers/loopback';
import { deleteKeysWithPrefix, randomPrefix, testRedis, testRedisUrl } from '../helpers/redis';

const ERROR_ID = /\(error id sj-[0-9a-f]{10}\)/;

/** A Web API that always answers 429 with `Retry-After: <retryAfter>`. */
async function alwaysLimited(retryAfter: string): Promise<Loopback> {
  return startLoopback((_req, res) =>
    res
      .writeHead(429, { 'content-type': 'application/json', 'retry-after': retryAfter })
      .end('{"ok":false,"error":"ratelimited"}'),
  );
}

/** What the installed Slack client throws once it gives up on a 429. */
async function clientFailure(slackApi: Loopback, rejectRateLimitedCalls: boolean): Promise<unknown> {
  const client = new webApi.WebClient('xoxb-test', {
    slackApiUrl: `${slackApi.url}/api/`,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls,
    logLevel: webApi.LogLevel.ERROR,
  });
  return client.chat.postMessage({ channel: 'C1', text: 'x' }).then(
    () => new Error('the call was expected to fail'),
    (err: unknown) => err,
  );
}

const errorAnswers = (emulator: SlackEmulator, from: number): RecordedCall[] =>
  emulator.calls.slice(from).filter((c) => c.method === 'response_url' && ERROR_ID.test(String(c.args.text)));

describe('recognising a Slack rate limit behind a failure', () => {
  let slackApi: Loopback;

  beforeAll(async () => {
    // Retry-After 0: the client waits nothing before giving up (retries: 0).
    slackApi = await alwaysLimited('0');
  });
  afterAll(() => slackApi.close());

  it('reads the retry delay from the error the installed client throws when its retries run out', async () => {
    const err = await clientFailure(slackApi, false);
    expect(slackRateLimitOf(err)).toEqual({ retryAfterSec: 0 });
    // As it reaches `app.error`: wrapped by Bolt, or by our own coded error.
    expect(slackRateLimitOf(new UnknownError(err as Error))).toEqual({ retryAfterSec: 0 });
    expect(slackRateLimitOf(new CodedError(ErrorCode.UpstreamFailed, 'post failed', { cause: err }))).toEqual(
      { retryAfterSec: 0 },
    );
  });

  it('reads the retry delay from the coded error a client that rejects rate-limited calls throws', async () => {
    const err = await clientFailure(slackApi, true);
    expect(err).toMatchObject({ code: 'slack_webapi_rate_limited_error' });
    expect(slackRateLimitOf(err)).toEqual({ retryAfterSec: 0 });
  });

  it('does not take other failures for a rate limit', () => {
    expect(slackRateLimitOf(new Error('connect ECONNREFUSED 127.0.0.1:1'))).toBeUndefined();
    expect(slackRateLimitOf(new Error('A rate limit was exceeded somewhere else'))).toBeUndefined();
    expect(
      slackRateLimitOf({ code: 'slack_webapi_platform_error', data: { error: 'channel_not_found' } }),
    ).toBeUndefined();
    expect(slackRateLimitOf({ code: 'slack_webapi_platform_error', data: { error: 'ratelimited' } })).toEqual(
      {},
    );
  });

  it('tells a command that nothing changed and a click where its decision stands', () => {
    expect(rateLimitText({ retryAfterSec: 7 }, 'command')).toBe(
      'Slack is rate-limiting the bot right now (retry after 7 s), so my answer could not be posted; nothing was replayed and no queue was changed. Try again in a moment.',
    );
    expect(rateLimitText({}, 'click')).toMatch(
      /^Slack is rate-limiting the bot right now \(retry after a few seconds\).*a replay that ran is journaled/,
    );
  });
});

describe('a diagnosis post refused with 429, bot without Web API retries (the emulator default)', () => {
  const prefix = randomPrefix('hrd-rl0');
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({ env: { QUEUE_PREFIX: prefix, TREND_WINDOW_MS: '50' } });
  }, 60_000);
  afterAll(async () => {
    await harness?.close();
  });

  it('answers with an ephemeral naming the rate limit and its wait, with the error id logged and shown', async () => {
    const before = harness.emulator.calls.length;
    harness.emulator.failNext('chat.postMessage', { retryAfterSeconds: 1 });
    await harness.emulator.sendSlashCommand({ text: 'diagnose --new' });
    const answer = await eventually(() => Promise.resolve(errorAnswers(harness.emulator, before)[0]), 20_000);

    const text = String(answer.args.text);
    expect(answer.args.response_type).toBe('ephemeral');
    expect(text).toContain('Slack is rate-limiting the bot right now (retry after 1 s)');
    expect(text).toContain('nothing was replayed and no queue was changed. Try again in a moment.');
    expect(text).not.toContain('Something went wrong');
    const id = ERROR_ID.exec(text)?.[0].slice('(error id '.length, -1);
    const logged = harness.logLines.find((l) => l.msg === 'listener failed' && l.correlationId === id);
    expect(logged).toMatchObject({ level: 40, rateLimited: true, retryAfterSec: 1 });
    expect(diagnosisPosts(harness.emulator, before)).toEqual([]);
  });
});

describe('a diagnosis post refused with 429, bot with production Web API retries', () => {
  const prefix = randomPrefix('hrd-rl3');
  const statePrefix = randomPrefix('hrd-rl3-bot');
  let emulator: SlackEmulator;
  let services: Services;
  let bot: RunningBot;

  beforeAll(async () => {
    const slack = await startEmulatedSlack('test');
    emulator = slack.emulator;
    const config = loadConfig({
      REDIS_URL: testRedisUrl(),
      STATE_PREFIX: statePrefix,
      QUEUE_PREFIX: prefix,
      TREND_WINDOW_MS: '50',
      SLACK_BOT_TOKEN: slack.botToken,
      SLACK_SIGNING_SECRET: slack.signingSecret,
      SLACK_API_URL: emulator.apiUrl,
    });
    const logger = createLogger(
      { level: 'warn' },
      new Writable({ write: (_chunk, _encoding, done) => done() }),
    );
    services = createServices(config, logger, undefined, { sampleTrends: false });
    bot = await startBotBehindEmulator(slack, {
      services,
      health: () => services.health(),
      logger,
      slackRetries: 3,
    });
  }, 60_000);

  afterAll(async () => {
    await bot?.stop();
    await Promise.allSettled([services?.close(), emulator?.close()]);
    const redis = testRedis();
    await deleteKeysWithPrefix(redis, statePrefix).finally(() => redis.quit());
  });

  it('waits out Retry-After, retries, and posts the diagnosis once with no error shown', async () => {
    const before = emulator.calls.length;
    emulator.failNext('chat.postMessage', { retryAfterSeconds: 1 });
    const ack = await emulator.sendSlashCommand({ text: 'diagnose --new' });
    expect(ack.status).toBe(200);
    const posted = await eventually(() => Promise.resolve(diagnosisPosts(emulator, before)[0]), 20_000);

    const refused = emulator.calls
      .slice(before)
      .filter((c) => c.method === 'chat.postMessage' && c.response.ok === false);
    expect(refused.map((c) => c.response.error)).toEqual(['ratelimited']);
    expect(emulator.calls.indexOf(posted)).toBeGreaterThan(emulator.calls.indexOf(refused[0]!));
    // The command has finished: its session is saved after the post.
    await eventually(async () => {
      const session = await services.sessions.current(SANDBOX_IDS.team, SANDBOX_IDS.incidentChannel);
      return session?.threadTs === posted.response.ts ? session : undefined;
    }, 20_000);
    expect(diagnosisPosts(emulator, before)).toHaveLength(1);
    expect(errorAnswers(emulator, before)).toEqual([]);
  }, 30_000);
});
