import type { App } from '@slack/bolt';
import { registerErrorHandler, RESPONSE_URL_TIMEOUT_MS } from '../../handlers/error-handler';
import { SLACK_TIMEOUT_MS, startBot, type RunningBot } from '../../src/app';
import { loadConfig } from '../../src/config';
import { capturingLogger } from '../helpers/capturing-logger';
import { createServices, type Services } from '../../src/services';
import { sendJson, startLoopback, type Loopback } from '../helpers/loopback';
import { deleteKeysWithPrefix, randomPrefix, testRedis, testRedisUrl } from '../helpers/redis';

/** Accepts every request and never answers: an upstream hung mid-incident. */
const neverAnswers = (): Promise<Loopback> => startLoopback(() => undefined);

describe('Slack Web API calls that never answer', () => {
  const statePrefix = randomPrefix('hung-slack');
  let slackApi: Loopback;
  let services: Services;
  const bots: RunningBot[] = [];

  beforeAll(async () => {
    // Bolt checks the token once at start (auth.test): that one answers; every other method hangs.
    slackApi = await startLoopback((req, res) => {
      if (req.url === '/api/auth.test') {
        sendJson(res, 200, { ok: true, user_id: 'UBOT', bot_id: 'BBOT', team_id: 'T1' });
      }
    });
    const config = loadConfig({
      REDIS_URL: testRedisUrl(),
      STATE_PREFIX: statePrefix,
      SLACK_BOT_TOKEN: 'xoxb-hung',
      SLACK_SIGNING_SECRET: 'hung-secret',
      SLACK_API_URL: `${slackApi.url}/api/`,
    });
    services = createServices(config, capturingLogger().logger, undefined, { sampleTrends: false });
  });

  afterAll(async () => {
    await Promise.allSettled(bots.map((bot) => bot.stop()));
    await services?.close();
    await slackApi?.close();
    const redis = testRedis();
    await deleteKeysWithPrefix(redis, statePrefix).finally(() => redis.quit());
  });

  async function bot(options: { slackTimeoutMs?: number } = {}): Promise<RunningBot> {
    const started = await startBot({
      mode: 'http',
      botToken: 'xoxb-hung',
      signingSecret: 'hung-secret',
      slackApiUrl: `${slackApi.url}/api/`,
      port: 0,
      host: '127.0.0.1',
      services,
      health: () => services.health(),
      logger: capturingLogger().logger,
      slackRetries: 0,
      ...options,
    });
    bots.push(started);
    return started;
  }

  it('fails a call with a request error once the client timeout passes, instead of waiting forever', async () => {
    const running = await bot({ slackTimeoutMs: 200 });

    const outcome = await running.app.client.chat.postMessage({ channel: 'C1', text: 'x' }).then(
      () => 'answered',
      (err: unknown) => err,
    );

    expect(outcome).toMatchObject({ code: 'slack_webapi_request_error' });
    expect(slackApi.seen.filter((r) => r.url === '/api/chat.postMessage')).toHaveLength(1);
  });

  it('gives the bot client a timeout by default (the library default is none)', async () => {
    const running = await bot();
    // The client keeps it private; read here only because waiting 10 s for it would be the alternative.
    expect((running.app.client as unknown as { timeout: number }).timeout).toBe(SLACK_TIMEOUT_MS);
    expect(SLACK_TIMEOUT_MS).toBeGreaterThan(0);
  });
});

describe('the error handler answering on a response_url that never answers', () => {
  let hung: Loopback;

  beforeAll(async () => {
    hung = await neverAnswers();
  });
  afterAll(() => hung?.close());

  it('gives up after its timeout and logs that the user could not be told', async () => {
    const { logger, lines } = capturingLogger();
    let handler: ((args: unknown) => Promise<void>) | undefined;
    const app = {
      error: (registered: (args: unknown) => Promise<void>) => {
        handler = registered;
      },
    };
    registerErrorHandler(app as unknown as App, logger, { responseUrlTimeoutMs: 100 });
    if (!handler) throw new Error('no error handler registered');

    await handler({
      error: new Error('boom'),
      body: { channel_id: 'C1', user_id: 'U1', response_url: `${hung.url}/respond` },
      context: {},
      logger: { error: () => undefined },
    });

    expect(hung.seen.filter((r) => r.url === '/respond')).toHaveLength(1);
    const failed = lines.filter((l) => l.msg === 'could not tell the user about the failure');
    expect(failed).toEqual([expect.objectContaining({ via: 'response_url' })]);
    expect(JSON.stringify(failed[0]?.err)).toContain('response_url did not answer within 100 ms');
    expect(RESPONSE_URL_TIMEOUT_MS).toBe(10_000);
  });
});
