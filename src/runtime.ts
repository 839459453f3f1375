import { startBot, type RunningBot } from './app';
import type { Config } from './config';
import type { Logger } from './logger';
import type { SlackEmulator } from './sandbox';
import type { DemoWorld } from './sandbox/demo/world';
import {
  prepareSandbox,
  startSandboxFront,
  type SandboxFront,
  type SandboxGround,
} from './sandbox/start-sandbox';
import { createServices } from './services';
import { startIdleSweep } from '../handlers/replay/end-incident';
import { startRecoverySweep } from '../handlers/replay/recovery-sweep';

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
 * the sandbox: the real app in HTTP mode against the local Slack emulator,
 * the page, and the demo world.
 */
export async function startRuntime(
  given: Config,
  logger: Logger,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Runtime> {
  const ground: SandboxGround | undefined =
    given.mode === 'sandbox' ? await prepareSandbox(given, logger, env) : undefined;
  const config = ground?.config ?? given;
  const services = createServices(config, logger);
  const health = () => services.health();
  let front: SandboxFront | undefined;
  let bot: RunningBot;
  try {
    if (config.mode === 'sandbox') {
      // prepareSandbox ran exactly when the mode is sandbox.
      if (!ground) throw new Error('sandbox mode without its Redis and demo world');
      front = await startSandboxFront({ ground, services, health, logger });
      bot = front.bot;
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
    await services.close().catch(() => undefined);
    await ground?.release();
    throw error;
  }

  // Batches a crash left half done are finished and reported in the background; a plan made
  // meanwhile sees them as open (approved or executing) and waits for them. Again every sweep
  // period: a replica that stays up takes over the batch of one that died (its lease lapses).
  const recovery = startRecoverySweep(services, bot.app.client, logger, { everyMs: config.recoverySweepMs });
  const idleSweep = startIdleSweep(services, bot.app.client, logger, {
    idleMs: config.incidentIdleMs,
    everyMs: IDLE_SWEEP_EVERY_MS,
  });
  let stopping: Promise<void> | undefined;
  const running = bot;
  const page = front?.page;
  return {
    port: page?.port ?? bot.port,
    mode: config.mode,
    config,
    ...(front ? { sandbox: front.emulator, pageUrl: `http://localhost:${front.page.port}` } : {}),
    ...(ground?.demo ? { demo: ground.demo } : {}),
    stop: () =>
      (stopping ??= (async () => {
        // Stop taking requests first, then release what they used.
        const recovered = recovery.stop();
        idleSweep.stop();
        await (front ? front.close() : running.stop()).catch(() => undefined);
        // A recovery pass in flight still uses Redis: closed only after it ends, or after the
        // sweep's stop deadline (one lease; logged), so a hung upstream cannot hold shutdown.
        await recovered;
        await services.close().catch(() => undefined);
        await ground?.release();
      })()),
  };
}
