import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { startBot, type RunningBot } from '../../src/app';
import { loadConfig, type Config } from '../../src/config';
import { createLogger } from '../../src/logger';
import { SANDBOX_IDS, SlackEmulator } from '../../src/sandbox';
import { createServices, type Services } from '../../src/services';
import { eventually } from '../helpers/eventually';
import { closedPortUrl } from '../helpers/loopback';
import { deleteKeysWithPrefix, randomPrefix, testRedis, testRedisUrl } from '../helpers/redis';

const CHANNEL = SANDBOX_IDS.incidentChannel;

/**
 * The real bot in Socket Mode: Bolt's SocketModeReceiver opens the WebSocket
 * through the emulator's `apps.connections.open`, commands arrive as
 * envelopes, and the Web API and `/healthz` work as in HTTP mode.
 */
describe('Socket Mode end to end', () => {
  const prefix = randomPrefix('sock');
  const logLines: Record<string, unknown>[] = [];
  let emulator: SlackEmulator;
  let config: Config;
  let services: Services;
  let bot: RunningBot;
  let healthPort: number;

  beforeAll(async () => {
    const botToken = `xoxb-test-${randomBytes(6).toString('hex')}`;
    const appToken = `xapp-1-${SANDBOX_IDS.app}-${randomBytes(6).toString('hex')}`;
    // Socket Mode requests are not signed; the secret only serves HTTP delivery, unused here.
    emulator = await SlackEmulator.start({
      signingSecret: randomBytes(16).toString('hex'),
      botToken,
      appToken,
    });
    config = loadConfig({
      REDIS_URL: testRedisUrl(),
      QUEUE_PREFIX: prefix,
      STATE_PREFIX: `${prefix}-bot`,
      TREND_WINDOW_MS: '100',
      WEBHOOK_PROBE_ALLOW_PRIVATE: 'true',
      SLACK_BOT_TOKEN: botToken,
      SLACK_APP_TOKEN: appToken,
      SLACK_API_URL: emulator.apiUrl,
    });
    expect(config.mode).toBe('socket');
    const logger = createLogger(
      { level: 'debug' },
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          for (const line of chunk.toString('utf8').split('\n').filter(Boolean))
            logLines.push(JSON.parse(line) as Record<string, unknown>);
          done();
        },
      }),
    );
    services = createServices(config, logger);
    // In Socket Mode `port` is where Bolt's receiver serves custom routes (/healthz), on every
    // interface; with 0 the bound port cannot be read back, so take one that was just free.
    healthPort = Number(new URL(await closedPortUrl()).port);
    bot = await startBot({
      mode: 'socket',
      botToken,
      appToken,
      slackApiUrl: emulator.apiUrl,
      port: healthPort,
      services,
      health: () => services.health(),
      logger,
      slackRetries: 0,
    });
  });

  afterAll(async () => {
    // The bot first: with the emulator gone, the socket-mode client would try to reconnect.
    await bot?.stop();
    await eventually(() => Promise.resolve(emulator.socketConnections === 0 ? true : undefined)).catch(
      () => undefined,
    );
    await Promise.allSettled([services?.close(), emulator?.close()]);
    const redis = testRedis();
    try {
      await deleteKeysWithPrefix(redis, prefix);
      await deleteKeysWithPrefix(redis, `${prefix}-bot`);
    } finally {
      await redis.quit();
    }
  });

  it('connects with the app-level token and is greeted', async () => {
    const open = await emulator.waitForCall('apps.connections.open');
    expect(open.response.ok).toBe(true);
    expect(emulator.socketConnections).toBe(1);
  });

  it('answers /stuckjobs help in the ack itself, with the ephemeral usage', async () => {
    const help = await emulator.sendSlashCommand({ text: 'help' });
    expect(help).toMatchObject({ transport: 'socket', status: 200 });
    const payload = JSON.parse(help.body) as { response_type?: string; text?: string; blocks?: unknown[] };
    expect(payload.response_type).toBe('ephemeral');
    expect(payload.text).toContain('/stuckjobs');
    expect(payload.blocks?.length).toBeGreaterThan(0);
    // Nothing was posted: the usage lives only in the ack.
    expect(emulator.calls.some((call) => call.method === 'chat.postMessage')).toBe(false);
  });

  it('acks /stuckjobs diagnose at once, then posts the diagnosis through the Web API', async () => {
    const diagnose = await emulator.sendSlashCommand({ text: 'diagnose' });
    expect(diagnose.transport).toBe('socket');
    expect(JSON.parse(diagnose.body)).toMatchObject({
      response_type: 'ephemeral',
      text: expect.stringContaining('Diagnosing all workflows') as unknown,
    });

    const posted = await emulator.waitForCall(
      'chat.postMessage',
      (call) => call.args.channel === CHANNEL,
      20_000,
    );
    expect(posted.response.ok).toBe(true);
    expect(posted.args.text).toEqual(expect.any(String));
    expect(emulator.messages(CHANNEL).map((message) => message.ts)).toEqual([posted.response.ts]);
    const session = await eventually(() => services.sessions.current(SANDBOX_IDS.team, CHANNEL));
    expect(session.threadTs).toBe(posted.response.ts);
  });

  it('serves /healthz on the configured port', async () => {
    const response = await fetch(`http://127.0.0.1:${healthPort}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ ok: true });
  });

  it('logged no errors, and disconnects cleanly on stop', async () => {
    expect(logLines.filter((line) => Number(line.level) >= 50)).toEqual([]);
    await bot.stop();
    await eventually(() => Promise.resolve(emulator.socketConnections === 0 ? true : undefined), 2000);
  });
});
