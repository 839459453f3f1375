import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { webhookPayloadSchema, webhooksWorkflow, type WebhookPayload } from '../../workflows/webhooks';
import type { DemoStandIns, DemoTenant } from './stand-ins';

/**
 * The demo incident, webhooks slice: `acme`'s endpoint answered 503 for a
 * while and deliveries gave up (it is healthy now); `globex`'s still fails and
 * its deliveries keep retrying. Jobs are added by BullMQ's own Queue and failed
 * by a short-lived Worker, so the key layout is exactly BullMQ's.
 */

export const DEMO_QUEUE = webhooksWorkflow.queue;
export const DEMO_JOB_NAME = 'deliver-webhook';
export const GIVEN_UP_ACME_JOBS = 12;
export const RETRYING_GLOBEX_JOBS = 6;
const GLOBEX_ATTEMPTS = 5;
/** An hour: a retrying delivery stays delayed for the whole demo session. */
const LONG_BACKOFF_MS = 3_600_000;
const SETTLE_TIMEOUT_MS = 20_000;

export interface SeedDemoOptions {
  readonly redis: Redis;
  readonly queuePrefix: string;
  readonly standIns: Pick<DemoStandIns, 'tenantUrl'>;
}

export const demoMarkerKey = (queuePrefix: string): string => `${queuePrefix}:demo:seeded`;

function payload(standIns: SeedDemoOptions['standIns'], tenant: DemoTenant, i: number): WebhookPayload {
  const n = String(i + 1).padStart(3, '0');
  return webhookPayloadSchema.parse({
    tenantId: tenant,
    webhookId: `wh_${tenant}_${n}`,
    url: standIns.tenantUrl(tenant),
    event: 'call.completed',
    conversationId: `conv_${tenant}_${n}`,
    body: { type: 'call.completed', conversationId: `conv_${tenant}_${n}`, durationSec: 60 + i * 7 },
  });
}

function demoJobs(standIns: SeedDemoOptions['standIns']) {
  const acme = Array.from({ length: GIVEN_UP_ACME_JOBS }, (_, i) => ({
    name: DEMO_JOB_NAME,
    data: payload(standIns, 'acme', i),
    opts: { attempts: 1 },
  }));
  const globex = Array.from({ length: RETRYING_GLOBEX_JOBS }, (_, i) => ({
    name: DEMO_JOB_NAME,
    data: payload(standIns, 'globex', i),
    opts: { attempts: GLOBEX_ATTEMPTS, backoff: { type: 'fixed', delay: LONG_BACKOFF_MS } },
  }));
  return [...acme, ...globex];
}

/** Every delivery fails during seeding, as it did during the incident. */
function failDelivery(job: Job<WebhookPayload>): Promise<never> {
  return Promise.reject(new Error(`HTTP 503 from ${job.data.url}`));
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

async function seedJobs(options: SeedDemoOptions): Promise<void> {
  const connection = options.redis.duplicate({ maxRetriesPerRequest: null });
  connection.on('error', () => undefined);
  const prefix = options.queuePrefix;
  const queue = new Queue<WebhookPayload>(DEMO_QUEUE, { connection, prefix });
  queue.on('error', () => undefined);
  let worker: Worker<WebhookPayload> | undefined;
  try {
    const jobs = demoJobs(options.standIns);
    await queue.addBulk(jobs);
    worker = new Worker<WebhookPayload>(DEMO_QUEUE, failDelivery, { connection, prefix, concurrency: 20 });
    worker.on('error', () => undefined);
    await waitUntilSettled(queue, jobs.length);
  } finally {
    await worker?.close();
    await queue.close();
    await connection.quit().catch(() => connection.disconnect());
  }
}

/** Seed the demo incident unless the marker says it is already there. */
export async function seedDemoWorld(options: SeedDemoOptions): Promise<{ seeded: boolean }> {
  const marker = demoMarkerKey(options.queuePrefix);
  // SET NX first: two sandboxes starting at once seed only once.
  const claimed = await options.redis.set(marker, new Date().toISOString(), 'NX');
  if (claimed !== 'OK') return { seeded: false };
  try {
    await seedJobs(options);
  } catch (error) {
    await options.redis.del(marker);
    throw error;
  }
  return { seeded: true };
}

const escapeGlob = (text: string): string => text.replace(/[*?[\]\\]/g, '\\$&');

/**
 * Delete the demo's keys (the webhook queue under the prefix, and the marker;
 * nothing else) and seed again. Stop the demo worker first: a running one
 * would deliver the fresh jobs while they are being seeded.
 */
export async function resetDemoWorld(options: SeedDemoOptions): Promise<{ seeded: boolean }> {
  const { redis, queuePrefix } = options;
  if (queuePrefix.length === 0) throw new Error('refusing to reset the demo world without a prefix');
  const match = `${escapeGlob(`${queuePrefix}:${DEMO_QUEUE}:`)}*`;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
  await redis.del(demoMarkerKey(queuePrefix));
  return seedDemoWorld(options);
}
