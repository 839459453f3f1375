import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import type { RunningBot } from '../../src/app';
import { loadConfig, type Config } from '../../src/config';
import { createLogger, type Logger } from '../../src/logger';
import type { SlackEmulator } from '../../src/sandbox';
import { startBotBehindEmulator, startEmulatedSlack } from '../../src/sandbox/emulated-bot';
import type { Clock } from '../../src/runbook/diagnose';
import { createServices, type Services } from '../../src/services';
import { eventually } from '../helpers/eventually';
import { deleteKeysWithPrefix, randomPrefix, testRedis, testRedisUrl } from '../helpers/redis';

export interface Harness {
  readonly emulator: SlackEmulator;
  readonly bot: RunningBot;
  readonly services: Services;
  readonly config: Config;
  /** Every log line the bot wrote, parsed. */
  readonly logLines: Record<string, unknown>[];
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Environment as the bot would read it; REDIS_URL defaults to the test Redis. */
  readonly env: Record<string, string>;
  /** Replace parts of the real services (e.g. a diagnose that throws). */
  readonly override?: (services: Services) => Partial<Services>;
  /** The engine's clock (expiries, diagnosis times); the system clock unless a test moves time. */
  readonly clock?: Clock;
  /** Adjust the loaded configuration (what the environment cannot say, e.g. static S3 keys). */
  readonly config?: (loaded: Config) => Config;
}

/** Beyond its window, what a verification may still take to post its result. */
const VERIFY_SETTLE_MS = 5_000;

/** A logger that keeps its JSON lines in memory, with the production redaction. */
function capturingLogger(lines: Record<string, unknown>[]): Logger {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return createLogger({ level: 'debug' }, sink);
}

/**
 * The real Bolt app in HTTP mode on loopback, wired to the real services
 * (Redis, BullMQ, probes) and talking to the Slack emulator.
 */
export async function startHarness(options: HarnessOptions): Promise<Harness> {
  const slack = await startEmulatedSlack('test');
  const { emulator, botToken, signingSecret } = slack;
  const loaded = loadConfig({
    REDIS_URL: testRedisUrl(),
    // Never write sessions under the production default prefix.
    STATE_PREFIX: randomPrefix('bot'),
    // Tenant stand-ins listen on loopback.
    WEBHOOK_PROBE_ALLOW_PRIVATE: 'true',
    // A batch's verification watches briefly in tests; one test file can ask for longer.
    VERIFY_WINDOW_MS: '1500',
    VERIFY_POLL_MS: '100',
    SLACK_BOT_TOKEN: botToken,
    SLACK_SIGNING_SECRET: signingSecret,
    SLACK_API_URL: emulator.apiUrl,
    ...options.env,
  });
  const config = options.config ? options.config(loaded) : loaded;
  const logLines: Record<string, unknown>[] = [];
  const logger = capturingLogger(logLines);
  const real = createServices(config, logger, options.clock);
  const services: Services = { ...real, ...options.override?.(real) };
  const bot = await startBotBehindEmulator(slack, { services, health: () => services.health(), logger });
  return {
    emulator,
    bot,
    services,
    config,
    logLines,
    close: async () => {
      // A verification still watching in the background would read a closed Redis: let it finish
      // first. Looked for where the bot keeps its state, which a test may have made a private Redis.
      const watcher = new Redis(config.redis.stateUrl, {
        maxRetriesPerRequest: 1,
        retryStrategy: () => null,
      });
      watcher.on('error', () => undefined);
      try {
        await eventually(async () => {
          for await (const keys of watcher.scanStream({
            match: `${config.statePrefix}:verifying:*`,
            count: 1000,
          })) {
            if ((keys as string[]).length > 0) return undefined;
          }
          return true;
        }, config.verify.windowMs + VERIFY_SETTLE_MS);
      } catch {
        // No live verification outlasts its window: a lock still there belongs to one that died
        // with its Redis (a fault test) and lapses by itself; a Redis stopped for good runs none.
      } finally {
        if (watcher.status === 'ready') await watcher.quit();
        else watcher.disconnect();
      }
      await bot.stop();
      await Promise.allSettled([real.close(), emulator.close()]);
      const redis = testRedis();
      await deleteKeysWithPrefix(redis, config.statePrefix).finally(() => redis.quit());
    },
  };
}

/** A clock a test can move forward (an expiry, a lapsed approval) without waiting. */
export function movableClock(): { readonly clock: Clock; skew(ms: number): void } {
  let skewMs = 0;
  return {
    clock: {
      now: () => Date.now() + skewMs,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    },
    skew: (ms) => {
      skewMs = ms;
    },
  };
}
