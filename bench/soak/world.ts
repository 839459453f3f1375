import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import type { RunningBot } from '../../src/app';
import { loadConfig, type Config } from '../../src/config';
import { createLogger } from '../../src/logger';
import { closeRedis } from '../../src/redis';
import type { Clock } from '../../src/runbook/diagnose';
import type { SlackEmulator } from '../../src/sandbox';
import { deleteKeysStartingWith } from '../../src/sandbox/delete-prefix';
import { startStripeStandIn, type StripeStandIn } from '../../src/sandbox/demo/stripe-stand-in';
import { startDemoWorker, type DemoWorker } from '../../src/sandbox/demo/worker';
import { startBotBehindEmulator, startEmulatedSlack } from '../../src/sandbox/emulated-bot';
import { SANDBOX_IDS } from '../../src/sandbox/world';
import { createServices, type Services } from '../../src/services';
import { startSoakTenants, type SoakTenants } from './tenants';

/**
 * Everything one soak run talks to, in one process: the Slack emulator with
 * the real Bolt app and real services behind it, the shared Redis under a
 * random prefix of this run's own, the tenants' endpoints and Stripe on
 * loopback, and the demo world's BullMQ workers running the replayed jobs
 * against them (so verifications can pass and batches can grow).
 */

/** An approver beside the sandbox's group, listed by id: two approvers can race. */
export const SECOND_APPROVER = 'U0SECONDAPPROVER';
/** In nobody's approver list. */
export const BYSTANDER = 'U0BYSTANDER';

export interface SoakWorld {
  readonly emulator: SlackEmulator;
  readonly services: Services;
  readonly config: Config;
  /** This run's plain client on the shared Redis: seeding, truth checks, cleanup. */
  readonly redis: Redis;
  readonly tenants: SoakTenants;
  readonly stripe: StripeStandIn;
  readonly worker: DemoWorker;
  /** Moves the engine's clock (an expired approval) without waiting. */
  skewClock(ms: number): void;
  /** Error-level lines the bot logged, and the last few of them. */
  errors(): { readonly count: number; readonly last: readonly string[] };
  /** Stops everything and deletes this run's keys (never anything else). */
  close(): Promise<void>;
}

export interface SoakWorldOptions {
  readonly redisUrl: string;
  /** Run prefix; queues under `<prefix>:bull`, the bot's state under `<prefix>:state`. */
  readonly prefix?: string;
  /** VERIFY_WINDOW_MS: a watch with nothing pending still lasts this long (the drain's minimum). */
  readonly verifyWindowMs?: number;
}

export const DEFAULT_VERIFY_WINDOW_MS = 750;

function levelOf(line: string): number {
  try {
    const level = (JSON.parse(line) as { level?: unknown }).level;
    return typeof level === 'number' ? level : 0;
  } catch {
    return 0;
  }
}

/** Keeps error and fatal lines (pino levels ≥ 50); everything else is dropped. */
function errorSink(): { sink: Writable; count: () => number; last: () => string[] } {
  let count = 0;
  const last: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        // Bolt's own logger writes here at every level: count only error and fatal.
        if (levelOf(line) < 50) continue;
        count++;
        last.push(line.slice(0, 500));
        if (last.length > 5) last.shift();
      }
      done();
    },
  });
  return { sink, count: () => count, last: () => [...last] };
}

export async function startSoakWorld(options: SoakWorldOptions): Promise<SoakWorld> {
  const prefix = options.prefix ?? `soak-${randomBytes(6).toString('hex')}`;
  const queuePrefix = `${prefix}:bull`;
  const stopping: (() => Promise<unknown>)[] = [];
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 3 });
  redis.on('error', () => undefined);
  stopping.push(async () => {
    await deleteKeysStartingWith(redis, `${prefix}:`);
    await closeRedis(redis);
  });
  let skew = 0;
  const clock: Clock = {
    now: () => Date.now() + skew,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
  const log = errorSink();
  const stopAll = async (): Promise<void> => {
    // Newest first: the bot before the services, everything before the key cleanup.
    for (const stop of stopping.reverse()) await stop().catch(() => undefined);
  };
  try {
    const tenants = await startSoakTenants();
    stopping.push(() => tenants.close());
    const stripe = await startStripeStandIn();
    stopping.push(() => stripe.close());
    const slack = await startEmulatedSlack('soak');
    stopping.push(() => slack.emulator.close());
    const loaded = loadConfig({
      REDIS_URL: options.redisUrl,
      QUEUE_PREFIX: queuePrefix,
      STATE_PREFIX: `${prefix}:state`,
      APPROVERS: `${SANDBOX_IDS.approvers},${SECOND_APPROVER}`,
      WEBHOOK_PROBE_ALLOW_PRIVATE: 'true',
      // Short watches: the demo worker runs a batch within a second, and every watch lasts at least this long.
      VERIFY_WINDOW_MS: String(options.verifyWindowMs ?? DEFAULT_VERIFY_WINDOW_MS),
      VERIFY_POLL_MS: '100',
      TREND_WINDOW_MS: '50',
      PROBE_TIMEOUT_MS: '2000',
      SLACK_BOT_TOKEN: slack.botToken,
      SLACK_SIGNING_SECRET: slack.signingSecret,
      SLACK_API_URL: slack.emulator.apiUrl,
      LOG_LEVEL: 'error',
    });
    const config: Config = { ...loaded, stripe: { secretKey: stripe.secretKey, apiUrl: stripe.url } };
    const logger = createLogger({ level: 'error' }, log.sink);
    const services = createServices(config, logger, clock);
    stopping.push(() => services.close());
    const bot: RunningBot = await startBotBehindEmulator(slack, {
      services,
      health: () => services.health(),
      logger,
    });
    stopping.push(() => bot.stop());
    const worker = startDemoWorker({
      connection: options.redisUrl,
      queuePrefix,
      standIns: { tenantUrl: (tenant) => tenants.url(tenant) },
      stripe: { apiUrl: stripe.url, secretKey: stripe.secretKey },
    });
    stopping.push(() => worker.close());
    let closed: Promise<void> | undefined;
    return {
      emulator: slack.emulator,
      services,
      config,
      redis,
      tenants,
      stripe,
      worker,
      skewClock: (ms) => {
        skew = ms;
      },
      errors: () => ({ count: log.count(), last: log.last() }),
      close: () => (closed ??= stopAll()),
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
