import { randomBytes } from 'node:crypto';
import { startBot, type RunningBot } from './app';
import type { Config } from './config';
import { answerHealth } from './health-server';
import type { Logger } from './logger';
import { SlackEmulator } from './sandbox';
import { startDemoWorld, type DemoWorld } from './sandbox/demo/world';
import { demoIntro, demoUnavailable } from './sandbox/demo/intro';
import { errorMessage } from './errors';
import { deleteUnderPrefix } from './sandbox/delete-prefix';
import { sandboxConfig, sandboxPrefixes } from './sandbox/sandbox-config';
import { startSandboxPage, type SandboxPage } from './sandbox/page/server';
import { sandboxRedis } from './sandbox/sandbox-redis';
import { createServices } from './services';
import { startIdleSweep } from '../handlers/replay/end-incident';
import { startRecovery } from '../handlers/replay/resume';

/** Idle incidents are looked for once a minute: the timeout is hours, a minute late is fine. */
const IDLE_SWEEP_EVERY_MS = 60_000;

export interface Runtime {
  readonly port: number;
  readonly mode: Config['mode'];
  /** The local Slack, in sandbox mode. */
  readonly sandbox?: SlackEmulator;
  /** The sandbox page (a Slack-like channel in the browser), on `port`, in sandbox mode. */
  readonly pageUrl?: string;
  /** The demo world (stand-ins, worker), in sandbox mode when it started. */
  readonly demo?: DemoWorld;
  /** The configuration the bot runs with (the sandbox's own prefixes and upstreams in sandbox mode). */
  readonly config: Config;
  stop(): Promise<void>;
}

/**
 * Starts what the configuration asks for. Without Slack credentials it starts
 * the sandbox: the real app in HTTP mode against the local Slack emulator.
 */
export async function startRuntime(
  given: Config,
  logger: Logger,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Runtime> {
  // The sandbox finds itself a Redis (or starts a private one); the real modes use what is configured.
  const redis =
    given.mode === 'sandbox'
      ? await sandboxRedis({ redisUrl: env.REDIS_URL?.trim() || undefined, logger })
      : undefined;
  let demo: DemoWorld | undefined;
  let intro: string[] = [];
  if (redis !== undefined && given.sandbox.demo) {
    const { queuePrefix } = sandboxPrefixes(given.sandbox.prefix);
    // A demo that cannot start (its Redis is down) leaves the sandbox running and says why, on the page too.
    try {
      demo = await startDemoWorld({ redisUrl: redis.url, queuePrefix });
      intro = demoIntro(queuePrefix);
      logger.info(
        { queuePrefix, seeded: demo.seeded },
        demo.seeded ? 'demo incident seeded' : 'demo incident already there',
      );
    } catch (error) {
      intro = demoUnavailable(errorMessage(error));
      logger.warn({ err: error, queuePrefix }, 'demo incident not set up; the sandbox runs without it');
    }
  }
  const config = given.mode === 'sandbox' ? sandboxConfig(given, redis?.url, demo?.upstreams) : given;
  const services = createServices(config, logger);
  const health = () => services.health();
  let emulator: SlackEmulator | undefined;
  let page: SandboxPage | undefined;
  let bot: RunningBot | undefined;
  try {
    if (config.mode === 'sandbox') {
      const signingSecret = randomBytes(16).toString('hex');
      const botToken = `xoxb-sandbox-${randomBytes(8).toString('hex')}`;
      emulator = await SlackEmulator.start({ signingSecret, botToken });
      bot = await startBot({
        mode: 'http',
        botToken,
        signingSecret,
        slackApiUrl: emulator.apiUrl,
        // Only the emulator calls the bot: a free loopback port; the page takes the configured one.
        port: 0,
        host: '127.0.0.1',
        services,
        health,
        logger,
        slackRetries: 0,
      });
      emulator.setAppUrl(`http://127.0.0.1:${bot.port}/slack/events`);
      const world = demo;
      const sandboxEmulator = emulator;
      page = await startSandboxPage({
        emulator,
        port: config.port,
        host: '127.0.0.1',
        health: (res) => answerHealth(health, logger, res),
        intro,
        ...(world
          ? {
              // Everything the rehearsal wrote goes: the demo's jobs (seeded afresh), the sandbox's state, the channel.
              reset: async () => {
                await world.reset();
                await deleteUnderPrefix(services.redis.state, config.statePrefix);
                sandboxEmulator.clearMessages();
                logger.info({ queuePrefix: config.queuePrefix }, 'demo incident reset');
              },
            }
          : {}),
      });
      logger.info(
        { page: `http://localhost:${page.port}`, emulator: emulator.apiUrl },
        'sandbox mode: no Slack credentials set, so the bot talks to a local Slack emulator. ' +
          'Set SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN for HTTP mode, or SLACK_APP_TOKEN and SLACK_BOT_TOKEN for Socket Mode.',
      );
    } else {
      bot = await startBot({
        mode: config.mode,
        botToken: config.slack.botToken ?? '',
        signingSecret: config.slack.signingSecret,
        appToken: config.slack.appToken,
        slackApiUrl: config.slack.apiUrl,
        port: config.port,
        services,
        health,
        logger,
      });
      logger.info({ mode: config.mode, port: bot.port }, 'stuckjobs is running');
    }
  } catch (error) {
    await Promise.allSettled([page?.close(), bot?.stop()]);
    await Promise.allSettled([services.close(), emulator?.close(), demo?.close()]);
    await redis?.stop();
    throw error;
  }

  // Batches a crash left half done are finished and reported in the background; a plan made
  // meanwhile sees them as open (approved or executing) and waits for them.
  const recovery = startRecovery(services, bot.app.client, logger);
  const idleSweep = startIdleSweep(services, bot.app.client, logger, {
    idleMs: config.incidentIdleMs,
    everyMs: IDLE_SWEEP_EVERY_MS,
  });
  let stopping: Promise<void> | undefined;
  const running = bot;
  return {
    port: page?.port ?? bot.port,
    mode: config.mode,
    sandbox: emulator,
    config,
    ...(demo ? { demo } : {}),
    ...(page ? { pageUrl: `http://localhost:${page.port}` } : {}),
    stop: () =>
      (stopping ??= (async () => {
        // Stop taking requests first, then release what they used.
        recovery.stop();
        idleSweep.stop();
        await Promise.allSettled([page?.close(), running.stop()]);
        await Promise.allSettled([services.close(), emulator?.close(), demo?.close()]);
        await redis?.stop();
      })()),
  };
}
