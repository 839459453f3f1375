import type { RunningBot } from '../app';
import type { Config } from '../config';
import { errorMessage } from '../errors';
import { answerHealth, type HealthCheck } from '../health-server';
import type { Logger } from '../logger';
import type { Services } from '../services';
import { deleteUnderPrefix } from './delete-prefix';
import { demoIntro, demoUnavailable } from './demo/intro';
import { startDemoWorld, type DemoWorld } from './demo/world';
import type { SlackEmulator } from './emulator';
import { startBotBehindEmulator, startEmulatedSlack } from './emulated-bot';
import { startSandboxPage, type SandboxPage } from './page/server';
import { refuseOverlap, sandboxConfig, sandboxPrefixes } from './sandbox-config';
import { sandboxRedis, type SandboxRedis } from './sandbox-redis';

/** What the sandbox needs before the bot's services exist: its Redis, its demo world, its configuration. */
export interface SandboxGround {
  readonly config: Config;
  readonly redis: SandboxRedis;
  readonly demo?: DemoWorld;
  /** What the page says above the channel. */
  readonly intro: readonly string[];
  /** Demo world, then Redis. */
  release(): Promise<void>;
}

/**
 * Finds (or starts) a Redis, seeds and starts the demo world under the
 * sandbox's own prefix, and points the configuration at both. A demo that
 * cannot start (its Redis is down) leaves the sandbox running and says why.
 */
export async function prepareSandbox(
  given: Config,
  logger: Logger,
  env: NodeJS.ProcessEnv,
): Promise<SandboxGround> {
  const prefixes = sandboxPrefixes(given.sandbox.prefix);
  // Before anything is written under them.
  refuseOverlap(prefixes, given);
  const redis = await sandboxRedis({ redisUrl: env.REDIS_URL?.trim() || undefined, logger });
  let demo: DemoWorld | undefined;
  let intro: string[] = [];
  if (given.sandbox.demo) {
    try {
      demo = await startDemoWorld({ redisUrl: redis.url, queuePrefix: prefixes.queuePrefix });
      intro = demoIntro(prefixes.queuePrefix);
      logger.info(
        { queuePrefix: prefixes.queuePrefix, seeded: demo.seeded },
        demo.seeded ? 'demo incident seeded' : 'demo incident already there',
      );
    } catch (error) {
      intro = demoUnavailable(errorMessage(error));
      logger.warn(
        { err: error, queuePrefix: prefixes.queuePrefix },
        'demo incident not set up; the sandbox runs without it',
      );
    }
  }
  const world = demo;
  return {
    config: sandboxConfig(given, redis.url, world?.upstreams),
    redis,
    ...(world ? { demo: world } : {}),
    intro,
    release: async () => {
      await world?.close();
      await redis.stop();
    },
  };
}

export interface SandboxFrontOptions {
  readonly ground: SandboxGround;
  readonly services: Services;
  readonly health: HealthCheck;
  readonly logger: Logger;
}

/** The Slack side of the sandbox: the emulator, the real Bolt app behind it, and the page on PORT. */
export interface SandboxFront {
  readonly emulator: SlackEmulator;
  readonly bot: RunningBot;
  readonly page: SandboxPage;
  /** Page and bot first (no new requests), then the emulator. */
  close(): Promise<void>;
}

export async function startSandboxFront(options: SandboxFrontOptions): Promise<SandboxFront> {
  const { ground, services, health, logger } = options;
  const { config } = ground;
  const slack = await startEmulatedSlack('sandbox');
  const { emulator } = slack;
  let bot: RunningBot | undefined;
  try {
    bot = await startBotBehindEmulator(slack, { services, health, logger });
    const world = ground.demo;
    const page = await startSandboxPage({
      emulator,
      port: config.port,
      host: '127.0.0.1',
      health: (res) => answerHealth(health, logger, res),
      intro: ground.intro,
      ...(world
        ? {
            // Everything the rehearsal wrote goes: the demo's jobs (seeded afresh), the sandbox's state, the channel.
            reset: async () => {
              await world.reset();
              await deleteUnderPrefix(services.redis.state, config.statePrefix);
              emulator.clearMessages();
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
    const running = bot;
    return {
      emulator,
      bot: running,
      page,
      close: async () => {
        await Promise.allSettled([page.close(), running.stop()]);
        await emulator.close();
      },
    };
  } catch (error) {
    await Promise.allSettled([bot?.stop()]);
    await emulator.close();
    throw error;
  }
}
