import type { Config } from './config';
import type { Logger } from './logger';
import { BullmqBackend } from './queues/bullmq-backend';
import { RAW_DEPTH_COMMANDS } from './queues/bullmq-reads';
import { closeRedis, connectRedis } from './redis';
import { DepthSampler, type DepthSamplerStats } from './runbook/depth-sampler';

/**
 * The depth sampler reads every queue this often: half the trend window, so
 * a kept reading is between one and one and a half windows old, but never
 * more often than once a second nor less than twice a minute.
 */
export function samplerIntervalMs(trendWindowMs: number): number {
  return Math.min(30_000, Math.max(1_000, Math.round(trendWindowMs / 2)));
}

/** The depth sampler on its own connection: its rounds never queue behind a diagnosis' reads, and show apart in CLIENT LIST. */
export function startTrendSampler(
  config: Config,
  logger: Logger,
): { sampler: DepthSampler; close(): Promise<void> } {
  const connection = connectRedis(config.redis.url, {
    role: 'queues',
    logger,
    extra: { connectionName: 'stuckjobs:trend' },
  });
  const backend = new BullmqBackend({ connection, prefix: config.queuePrefix, logger });
  const intervalMs = samplerIntervalMs(config.trendWindowMs);
  const sampler = new DepthSampler({
    queues: [...new Set(config.workflows.map((w) => w.queue))],
    readDepth: (queue) => backend.readDepth(queue),
    intervalMs,
    keepMs: config.trendWindowMs + 3 * intervalMs,
    commandsPerReading: RAW_DEPTH_COMMANDS,
    logger,
  });
  sampler.start();
  return {
    sampler,
    close: async () => {
      await sampler.close().then(
        () => backend.close(),
        () => backend.close(),
      );
      await closeRedis(connection);
    },
  };
}

/** What `trendSampler()` says when there is none. */
export const NO_SAMPLER: DepthSamplerStats = {
  queues: 0,
  intervalMs: 0,
  readings: 0,
  failures: 0,
  commands: 0,
  commandsPerMinute: 0,
};
