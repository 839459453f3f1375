import type { Redis } from 'ioredis';
import type { PrivateRedis } from '../../bench/lib/private-redis';
import type { Clock } from '../../src/runbook/diagnose';
import { startHarness, type Harness, type HarnessOptions } from '../e2e/harness';
import { ReplayDriver } from '../e2e/replay-driver';
import { startLoopback, type Loopback } from '../helpers/loopback';
import { deleteKeysWithPrefix } from '../helpers/redis';
import { faultEnv, watchProcess, type ProcessWatch } from './fault-kit';

/**
 * The setup and teardown every fault suite repeats: the bot behind the Slack
 * emulator, a replay driver, and the crash watch; closed in the order that
 * lets the bot stop before anything it talks to goes away.
 */

export interface FaultWorld {
  readonly harness: Harness;
  readonly driver: ReplayDriver;
  readonly watch: ProcessWatch;
}

/**
 * Starts the bot with `options` and a driver that reads `redis`; the crash
 * watch starts only once the bot is up, so it sees the faults, not start-up.
 */
export async function startFaultWorld(redis: Redis, options: HarnessOptions): Promise<FaultWorld> {
  const harness = await startHarness(options);
  return { harness, driver: new ReplayDriver(harness, redis), watch: watchProcess() };
}

/** The bot with its queues and state on a private redis-server, one the test may pause or crash. */
export function startOnPrivateRedis(redis: PrivateRedis, prefix: string, clock?: Clock): Promise<FaultWorld> {
  return startFaultWorld(redis.client, {
    env: faultEnv(prefix, { REDIS_URL: redis.url }),
    ...(clock ? { clock } : {}),
  });
}

/** A tenant's webhook endpoint on loopback that takes every delivery. */
export function startAcceptingTenant(): Promise<Loopback> {
  return startLoopback((_req, res) => res.writeHead(200).end());
}

/** One teardown step; what it resolves to is ignored. */
export type Teardown = () => unknown;

/**
 * Stops the crash watch, then the bot (it waits for its verifications), then
 * runs `after` in order. Parts left undefined by a failed `beforeAll` are skipped.
 */
export async function closeFaultWorld(
  world: { readonly watch?: ProcessWatch | undefined; readonly harness?: Harness | undefined },
  ...after: readonly Teardown[]
): Promise<void> {
  world.watch?.stop();
  await world.harness?.close();
  for (const step of after) await step();
}

/** The teardown of a client on the shared Redis: the test's keys deleted, the client quit. */
export function releaseSharedRedis(redis: Redis | undefined, prefix: string): Teardown {
  return async () => {
    if (!redis) return;
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
  };
}
