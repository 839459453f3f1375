import { Redis } from 'ioredis';
import type { DemoUpstreams } from '../sandbox-config';
import { restoreCompletedEffects } from './restore-effects';
import { startS3StandIn, type S3StandIn } from './s3-stand-in';
import { deleteDemoKeys, demoSeededAt, demoTenantOrigin, seedDemoWorld } from './seed';
import { startDemoStandIns, type DemoStandIns } from './stand-ins';
import { stockDemoUpstreams } from './stock';
import { startStripeStandIn, type StripeStandIn } from './stripe-stand-in';
import { startDemoWorker, type DemoWorker } from './worker';
import { closeRedis } from '../../redis';

/**
 * The sandbox's demo world in one call: every stand-in on loopback, the demo
 * incident seeded in all three queues (unless the marker says it already is),
 * the stand-ins stocked to match, and the demo worker running.
 */

export interface DemoWorldOptions {
  readonly redisUrl: string;
  readonly queuePrefix: string;
  /** Seed the incident when the marker is absent. Default true. */
  readonly seed?: boolean;
}

export interface DemoWorldStandIns {
  /** Tenant webhook endpoints, SigNoz, Docker. */
  readonly webhooks: DemoStandIns;
  readonly s3: S3StandIn;
  readonly stripe: StripeStandIn;
}

export interface DemoWorld {
  readonly upstreams: DemoUpstreams;
  /** True when this start seeded the incident (the marker was absent). */
  readonly seeded: boolean;
  /** For tests: what each stand-in saw and stores. */
  readonly standIns: DemoWorldStandIns;
  /** Stop the worker, delete the demo's keys and the stand-ins' state, seed again, restart the worker. */
  reset(): Promise<void>;
  /** Worker, Redis connection, stand-ins; idempotent, and every step runs even if one fails. */
  close(): Promise<void>;
}

async function startStandIns(tenantPort: number | undefined): Promise<DemoWorldStandIns> {
  const started: { close(): Promise<void> }[] = [];
  try {
    const webhooks = await startDemoStandIns({ tenantPort });
    started.push(webhooks);
    const s3 = await startS3StandIn();
    started.push(s3);
    const stripe = await startStripeStandIn();
    return { webhooks, s3, stripe };
  } catch (error) {
    await Promise.allSettled(started.map((s) => s.close()));
    throw error;
  }
}

function upstreamsOf({ webhooks, s3, stripe }: DemoWorldStandIns): DemoUpstreams {
  return {
    signozUrl: webhooks.signozUrl,
    dockerUrl: webhooks.dockerUrl,
    s3: { endpoint: s3.url, bucket: s3.bucket, credentials: { ...s3.credentials } },
    stripe: { apiUrl: stripe.url, secretKey: stripe.secretKey },
  };
}

const TENANT_CHECK_TIMEOUT_MS = 1000;

async function tenantsAnswer(origin: string | undefined): Promise<boolean> {
  if (origin === undefined) return false;
  try {
    const response = await fetch(`${origin}/tenants/acme/webhooks`, {
      method: 'HEAD',
      signal: AbortSignal.timeout(TENANT_CHECK_TIMEOUT_MS),
    });
    return response.status === 200;
  } catch {
    return false;
  }
}

function portOf(origin: string | undefined): number | undefined {
  if (origin === undefined) return undefined;
  try {
    const port = Number(new URL(origin).port);
    return Number.isInteger(port) && port > 0 ? port : undefined;
  } catch {
    return undefined;
  }
}

export async function startDemoWorld(options: DemoWorldOptions): Promise<DemoWorld> {
  const { redisUrl, queuePrefix } = options;
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
  redis.on('error', () => undefined);
  let seededOrigin: string | undefined;
  let standIns: DemoWorldStandIns;
  try {
    seededOrigin = await demoTenantOrigin(redis, queuePrefix);
    standIns = await startStandIns(portOf(seededOrigin));
  } catch (error) {
    await closeRedis(redis);
    throw error;
  }
  const upstreams = upstreamsOf(standIns);
  let worker: DemoWorker | undefined;

  const stock = async (): Promise<void> => {
    standIns.s3.clear();
    standIns.stripe.store.clear();
    const seededAt = (await demoSeededAt(redis, queuePrefix)) ?? new Date();
    const targets = { s3: standIns.s3, stripe: standIns.stripe.store };
    stockDemoUpstreams(targets, seededAt);
    await restoreCompletedEffects(redis, queuePrefix, targets);
  };
  const startWorker = (): void => {
    worker = startDemoWorker({
      connection: redisUrl,
      queuePrefix,
      standIns: standIns.webhooks,
      s3: upstreams.s3,
      stripe: upstreams.stripe,
    });
  };
  const stopWorker = async (): Promise<void> => {
    const running = worker;
    worker = undefined;
    await running?.close();
  };

  let closed: Promise<void> | undefined;
  // One reset at a time: a second click waits for the first rather than seeding twice.
  let resetting: Promise<void> = Promise.resolve();
  const close = async (): Promise<void> => {
    await resetting;
    await Promise.allSettled([stopWorker()]);
    await closeRedis(redis);
    await Promise.allSettled([standIns.webhooks.close(), standIns.s3.close(), standIns.stripe.close()]);
  };

  let seeded = false;
  try {
    if (options.seed !== false) {
      seeded = (await seedDemoWorld({ redis, queuePrefix, standIns: standIns.webhooks })).seeded;
      const liveOrigin = new URL(standIns.webhooks.tenantUrl('acme')).origin;
      // The seeded jobs point at tenants nobody serves now (their port went to another process):
      // they could never be delivered, so the incident starts over. Another sandbox's tenants,
      // still answering there, keep serving them.
      if (!seeded && seededOrigin !== liveOrigin && !(await tenantsAnswer(seededOrigin))) {
        await deleteDemoKeys(redis, queuePrefix);
        seeded = (await seedDemoWorld({ redis, queuePrefix, standIns: standIns.webhooks })).seeded;
      }
    }
    await stock();
    startWorker();
  } catch (error) {
    await close();
    throw error;
  }

  const reset = (): Promise<void> => {
    const run = resetting.then(async () => {
      if (closed) throw new Error('the demo world is closed');
      await stopWorker();
      await deleteDemoKeys(redis, queuePrefix);
      await seedDemoWorld({ redis, queuePrefix, standIns: standIns.webhooks });
      await stock();
      startWorker();
    });
    resetting = run.catch(() => undefined);
    return run;
  };

  return {
    upstreams,
    seeded,
    standIns,
    reset,
    close: () => (closed ??= close()),
  };
}
