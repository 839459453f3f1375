import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { DemoSlice } from './demo-slice';
import { billingSlice, BILLING_QUEUE } from './seed-billing';
import { recordingsSlice, RECORDINGS_QUEUE } from './seed-recordings';
import { WEBHOOKS_QUEUE, webhooksSlice } from './seed-webhooks';
import type { DemoStandIns } from './stand-ins';
import { deleteUnderPrefix } from '../delete-prefix';
import { closeRedis } from '../../redis';

/**
 * Seeds the demo incident in all three workflows' queues. Jobs are added by
 * BullMQ's own Queue and failed by a short-lived Worker, so the key layout is
 * exactly BullMQ's. The marker `<queuePrefix>:demo:seeded` holds the seeding
 * time: the billing period and the stand-ins' state are derived from it.
 */

export { DEMO_JOB_NAME, WEBHOOKS_QUEUE, GIVEN_UP_ACME_JOBS, RETRYING_GLOBEX_JOBS } from './seed-webhooks';

/** The queues the demo owns under its prefix; reset deletes these and nothing else. */
export const DEMO_QUEUES = [WEBHOOKS_QUEUE, RECORDINGS_QUEUE, BILLING_QUEUE] as const;

const SETTLE_TIMEOUT_MS = 20_000;
const SEED_CONCURRENCY = 20;

export interface SeedDemoOptions {
  readonly redis: Redis;
  readonly queuePrefix: string;
  readonly standIns: Pick<DemoStandIns, 'tenantUrl'>;
  /** The seeding time (the billing period is the month before). Default: now. */
  readonly now?: Date;
}

export const demoMarkerKey = (queuePrefix: string): string => `${queuePrefix}:demo:seeded`;

/** The tenants' origin the seeded webhook jobs carry (the stand-in's port is chosen at start). */
export const demoTenantsKey = (queuePrefix: string): string => `${queuePrefix}:demo:tenants`;

/** The tenants' origin the seeded jobs point at; undefined when not seeded. */
export async function demoTenantOrigin(redis: Redis, queuePrefix: string): Promise<string | undefined> {
  return (await redis.get(demoTenantsKey(queuePrefix))) ?? undefined;
}

/** When the demo under `queuePrefix` was seeded; undefined when it is not. */
export async function demoSeededAt(redis: Redis, queuePrefix: string): Promise<Date | undefined> {
  const value = await redis.get(demoMarkerKey(queuePrefix));
  if (value === null) return undefined;
  const at = new Date(value);
  return Number.isNaN(at.getTime()) ? undefined : at;
}

async function waitUntilSettled(queue: Queue, total: number): Promise<void> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  for (;;) {
    const c = await queue.getJobCounts('waiting', 'active', 'prioritized', 'failed', 'delayed');
    const pending = (c.waiting ?? 0) + (c.active ?? 0) + (c.prioritized ?? 0);
    if (pending === 0 && (c.failed ?? 0) + (c.delayed ?? 0) >= total) return;
    if (Date.now() > deadline) throw new Error(`demo jobs did not settle: ${JSON.stringify(c)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function seedSlice(redis: Redis, prefix: string, slice: DemoSlice): Promise<void> {
  const connection = redis.duplicate({ maxRetriesPerRequest: null });
  connection.on('error', () => undefined);
  const queue = new Queue(slice.queue, { connection, prefix });
  queue.on('error', () => undefined);
  let worker: Worker | undefined;
  try {
    await queue.addBulk(slice.jobs.map((job) => ({ ...job })));
    // Every attempt fails during seeding, as it did during the incident.
    const fail = (job: Job): Promise<never> => Promise.reject(new Error(slice.reasonFor(job.data)));
    worker = new Worker(slice.queue, fail, { connection, prefix, concurrency: SEED_CONCURRENCY });
    worker.on('error', () => undefined);
    await waitUntilSettled(queue, slice.jobs.length);
  } finally {
    await worker?.close().catch(() => undefined);
    await queue.close().catch(() => undefined);
    await closeRedis(connection);
  }
}

/** Seed the demo incident unless the marker says it is already there. */
export async function seedDemoWorld(options: SeedDemoOptions): Promise<{ seeded: boolean }> {
  const now = options.now ?? new Date();
  const marker = demoMarkerKey(options.queuePrefix);
  // SET NX first: two sandboxes starting at once seed only once.
  const claimed = await options.redis.set(marker, now.toISOString(), 'NX');
  if (claimed !== 'OK') return { seeded: false };
  try {
    const slices = [webhooksSlice(options.standIns), recordingsSlice(), billingSlice(now)];
    await Promise.all(slices.map((slice) => seedSlice(options.redis, options.queuePrefix, slice)));
    const origin = new URL(options.standIns.tenantUrl('acme')).origin;
    await options.redis.set(demoTenantsKey(options.queuePrefix), origin);
  } catch (error) {
    await options.redis.del(marker);
    throw error;
  }
  return { seeded: true };
}

/** Delete the demo's keys: its three queues under the prefix, and the marker; nothing else. */
export async function deleteDemoKeys(redis: Redis, queuePrefix: string): Promise<void> {
  if (queuePrefix.length === 0) throw new Error('refusing to reset the demo world without a prefix');
  for (const queue of DEMO_QUEUES) await deleteUnderPrefix(redis, `${queuePrefix}:${queue}`);
  await redis.del(demoMarkerKey(queuePrefix), demoTenantsKey(queuePrefix));
}

/**
 * Delete the demo's keys and seed again. Stop the demo worker first: a
 * running one would process the fresh jobs while they are being seeded.
 */
export async function resetDemoWorld(options: SeedDemoOptions): Promise<{ seeded: boolean }> {
  await deleteDemoKeys(options.redis, options.queuePrefix);
  return seedDemoWorld(options);
}
