import type { Redis } from 'ioredis';
import { harnessEnv } from '../e2e/env';
import { startHarness, type Harness } from '../e2e/harness';
import { ReplayDriver } from '../e2e/replay-driver';
import { startLoopback, type Loopback } from '../helpers/loopback';
import { deleteKeysWithPrefix, testRedis } from '../helpers/redis';
import { AttackKit } from './attack-kit';
import { writeTally } from './tally-file';

/** What an end-to-end attack suite runs against, and what its teardown closes. */
export interface AttackWorld {
  readonly redis: Redis;
  /** A tenant's webhook endpoint on loopback that takes every delivery. */
  readonly tenant: Loopback;
  readonly harness: Harness;
  readonly kit: AttackKit;
  readonly driver: ReplayDriver;
}

/**
 * The real bot (the harness environment, queues under `prefix`), the attack
 * kit on it, a replay driver and a tenant endpoint. What started before a
 * failure is closed again, so a failed `beforeAll` leaves nothing open.
 */
export async function startAttackWorld(prefix: string): Promise<AttackWorld> {
  const redis = testRedis();
  let tenant: Loopback | undefined;
  let harness: Harness | undefined;
  try {
    tenant = await startLoopback((_req, res) => res.writeHead(200).end());
    harness = await startHarness({ env: harnessEnv(prefix) });
    const kit = await AttackKit.start(harness);
    return { redis, tenant, harness, kit, driver: new ReplayDriver(harness, redis) };
  } catch (err) {
    await closeAttackWorld({ redis, tenant, harness }, undefined, prefix);
    throw err;
  }
}

/**
 * Leaves the suite's tally for the README's figures (under `suite`, once the
 * kit ran), then closes the kit, the bot, the tenant, and the suite's keys.
 */
export async function closeAttackWorld(
  world: Partial<AttackWorld>,
  suite: string | undefined,
  prefix: string,
): Promise<void> {
  const { kit, harness, tenant, redis } = world;
  if (kit && suite) writeTally(suite, kit.tally);
  await kit?.close();
  await harness?.close();
  await tenant?.close();
  if (!redis) return;
  await deleteKeysWithPrefix(redis, prefix);
  await redis.quit();
}
