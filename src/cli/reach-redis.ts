import { z } from 'zod';
import type { Config } from '../config';
import type { Services } from '../services';

const roleStatus = z.object({ queues: z.string(), state: z.string() }).partial();

/** Where Redis is, without the password a URL may carry. */
function where(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return 'the configured address';
  }
}

/**
 * PING both Redis roles before anything else, within PROBE_TIMEOUT_MS: an
 * unreachable Redis is an error (exit 2), not a diagnosis of unreadable queues.
 * Returns why not, or undefined when both answer.
 */
export async function reachRedis(
  services: Pick<Services, 'health'>,
  config: Config,
): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), config.probeTimeoutMs);
  });
  try {
    const health = await Promise.race([services.health(), deadline]);
    if (health === 'timeout') {
      return `Redis did not answer within ${config.probeTimeoutMs} ms (PROBE_TIMEOUT_MS) at ${where(config.redis.url)}.`;
    }
    if (health.ok) return undefined;
    const redis = roleStatus.safeParse(health.redis).data;
    const roles = [
      redis?.queues !== 'ok'
        ? `queues at ${where(config.redis.url)}: ${redis?.queues ?? 'no answer'}`
        : undefined,
      redis?.state !== 'ok'
        ? `bot state at ${where(config.redis.stateUrl)}: ${redis?.state ?? 'no answer'}`
        : undefined,
    ].filter((part): part is string => part !== undefined);
    return `Redis is unreachable (${roles.join('; ')}).`;
  } finally {
    clearTimeout(timer);
  }
}
