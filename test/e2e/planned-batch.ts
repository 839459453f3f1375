import type { Redis } from 'ioredis';
import { RedisApprovalStore } from '../../src/approvals/approval-store';
import { silentLogger } from '../../src/logger';
import { SANDBOX_IDS } from '../../src/sandbox';
import { createServices, type Services } from '../../src/services';
import { seedWithWorker } from '../helpers/bullmq-fixtures';
import type { Loopback } from '../helpers/loopback';
import { deleteKeysWithPrefix, testRedisUrl } from '../helpers/redis';
import type { Harness } from './harness';
import type { PlanAnswer, ReplayDriver } from './replay-driver';

export type PostedPlan = Extract<PlanAnswer, { kind: 'posted' }>;

export interface GivenUpWebhooks {
  readonly prefix: string;
  readonly queue: string;
  readonly tenantId: string;
  /** Where the jobs deliver (a tenant stand-in on loopback). */
  readonly url: string;
  readonly count: number;
}

/** A new incident, `count` webhook jobs of one tenant given up on HTTP 503, and the replay plan for them, posted. */
export async function plannedBatch(
  driver: ReplayDriver,
  jobs: GivenUpWebhooks,
): Promise<{ thread: string; ids: string[]; plan: PostedPlan }> {
  const { tenantId, url } = jobs;
  const thread = await driver.newIncident();
  const ids = await seedWithWorker({
    url: testRedisUrl(),
    prefix: jobs.prefix,
    queue: jobs.queue,
    jobs: Array.from({ length: jobs.count }, (_, i) => ({
      name: 'deliver-webhook',
      data: { tenantId, webhookId: `w${i}`, url, event: 'e', body: {} },
      failWith: 'HTTP 503',
    })),
  });
  const plan = await driver.plan(`replay webhooks --tenant ${tenantId}`);
  if (plan.kind !== 'posted') throw new Error(plan.text);
  return { thread, ids, plan };
}

/**
 * The approver's approval written straight to the store, with no click and
 * no run: what a bot that died right after deciding leaves behind.
 */
export async function approveInStore(
  redis: Redis,
  statePrefix: string,
  plan: PostedPlan,
): Promise<{ store: RedisApprovalStore; code: string }> {
  const store = new RedisApprovalStore(redis, statePrefix, silentLogger);
  const decided = await store.decide(plan.batchId, {
    decision: 'approve',
    userId: SANDBOX_IDS.approver,
    userAllowed: true,
    manifestHash: plan.hash,
  });
  return { store, code: decided.code };
}

/** Another replica's engine beside the harness's bot: same configuration, its own owner token and connections. */
export function secondReplica(harness: Harness): Services {
  return createServices(harness.config, silentLogger, undefined, { sampleTrends: false });
}

/**
 * Teardown of a two-replica test: the second replica, then the bot, the
 * tenant stand-in, and the test's keys on the shared Redis and its client.
 */
export async function closeReplicas(
  parts: { readonly other?: Services; readonly harness?: Harness; readonly tenant?: Loopback },
  redis: Redis,
  prefix: string,
): Promise<void> {
  await parts.other?.close();
  await parts.harness?.close();
  await parts.tenant?.close();
  await deleteKeysWithPrefix(redis, prefix);
  await redis.quit();
}
