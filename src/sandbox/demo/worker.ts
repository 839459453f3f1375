import { UnrecoverableError, Worker, type Job, type Processor } from 'bullmq';
import { Redis } from 'ioredis';
import { createStripeClient } from '../../probes/stripe-client';
import { webhookPayloadSchema } from '../../workflows/webhooks';
import { closeBillingPeriod } from './close-period';
import { isLoopbackUrl } from './listen';
import { BILLING_QUEUE } from './seed-billing';
import { RECORDINGS_QUEUE } from './seed-recordings';
import { WEBHOOKS_QUEUE } from './seed-webhooks';
import type { DemoStandIns } from './stand-ins';
import { createDemoS3Client, transmuxRecording, type DemoS3Target } from './transmux';
import { closeRedis } from '../../redis';

/**
 * The demo's workers: real BullMQ Workers with real effects, talking only to
 * the loopback stand-ins.
 * - `webhook-delivery`: POSTs each job's body to its `url`, returns
 *   `{ status }` on a 2xx (the bot's downstream check reads it from the
 *   returnvalue), and otherwise throws `HTTP <status> from <url>`, the reason
 *   format the diagnosis parses. It delivers only to the tenant stand-in.
 * - `recording-postprocess` (with `s3`): GET the source, PUT the output.
 * - `billing-housekeeping` (with `stripe`): create the period's invoice.
 */

export interface DemoStripeTarget {
  readonly apiUrl: string;
  readonly secretKey: string;
}

export interface DemoWorkerOptions {
  readonly connection: string;
  readonly queuePrefix: string;
  readonly standIns: Pick<DemoStandIns, 'tenantUrl'>;
  /** The S3 stand-in; without it no recordings worker runs. */
  readonly s3?: DemoS3Target;
  /** The Stripe stand-in; without it no billing worker runs. */
  readonly stripe?: DemoStripeTarget;
  readonly timeoutMs?: number;
}

export interface DemoWorker {
  /** The webhook delivery worker. */
  readonly worker: Worker;
  /** Every worker, webhooks first. */
  readonly workers: readonly Worker[];
  close(): Promise<void>;
}

export interface DeliveryResult {
  readonly status: number;
}

/** A demo tenant endpoint on this machine: the stand-in's, or another sandbox's on the same prefix. */
const DEMO_TENANT_PATH = /^\/tenants\/[a-z]+\/webhooks$/;

function isDemoTenantUrl(url: string): boolean {
  return isLoopbackUrl(url) && DEMO_TENANT_PATH.test(new URL(url).pathname);
}

function deliver(timeoutMs: number) {
  return async (job: Job): Promise<DeliveryResult> => {
    const data = webhookPayloadSchema.parse(job.data);
    if (!isDemoTenantUrl(data.url)) {
      throw new UnrecoverableError(`demo worker delivers only to the tenant stand-in, not ${data.url}`);
    }
    const response = await fetch(data.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(data.body ?? null),
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.arrayBuffer().catch(() => undefined);
    if (response.status >= 200 && response.status < 300) return { status: response.status };
    throw new Error(`HTTP ${response.status} from ${data.url}`);
  };
}

export function startDemoWorker(options: DemoWorkerOptions): DemoWorker {
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (options.stripe && !isLoopbackUrl(options.stripe.apiUrl)) {
    throw new Error(`demo worker talks only to the loopback Stripe stand-in, not ${options.stripe.apiUrl}`);
  }
  // Built before any connection opens: a refused endpoint throws with nothing to clean up.
  const s3 = options.s3 ? createDemoS3Client(options.s3, timeoutMs) : undefined;
  const stripe = options.stripe
    ? createStripeClient(options.stripe.secretKey, options.stripe.apiUrl, timeoutMs)
    : undefined;

  const connection = new Redis(options.connection, { maxRetriesPerRequest: null });
  connection.on('error', () => undefined);
  const prefix = options.queuePrefix;
  const start = (queue: string, processor: Processor): Worker => {
    const worker = new Worker(queue, processor, { connection, prefix });
    worker.on('error', () => undefined);
    return worker;
  };
  const webhooks = start(WEBHOOKS_QUEUE, deliver(timeoutMs));
  const workers = [webhooks];
  if (s3 && options.s3) workers.push(start(RECORDINGS_QUEUE, transmuxRecording(s3, options.s3.bucket)));
  if (stripe) workers.push(start(BILLING_QUEUE, closeBillingPeriod(stripe.stripe)));

  let closed: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    await Promise.allSettled(workers.map((w) => w.close()));
    s3?.destroy();
    stripe?.close();
    await closeRedis(connection);
  };
  return { worker: webhooks, workers, close: () => (closed ??= close()) };
}
