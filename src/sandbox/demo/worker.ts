import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { webhookPayloadSchema } from '../../workflows/webhooks';
import { DEMO_QUEUE } from './seed';
import type { DemoStandIns } from './stand-ins';

/**
 * The demo's delivery worker: a real BullMQ Worker on `webhook-delivery` that
 * POSTs each job's body to its `url`. It returns `{ status }` on a 2xx (the
 * bot's downstream check reads it from the returnvalue) and otherwise throws
 * `HTTP <status> from <url>`, the reason format the diagnosis parses.
 * It delivers only to the loopback tenant stand-in, never anywhere else.
 */

export interface DemoWorkerOptions {
  readonly connection: string;
  readonly queuePrefix: string;
  readonly standIns: Pick<DemoStandIns, 'tenantUrl'>;
  readonly timeoutMs?: number;
}

export interface DemoWorker {
  readonly worker: Worker;
  close(): Promise<void>;
}

export interface DeliveryResult {
  readonly status: number;
}

function deliver(tenantOrigin: string, timeoutMs: number) {
  return async (job: Job): Promise<DeliveryResult> => {
    const data = webhookPayloadSchema.parse(job.data);
    if (new URL(data.url).origin !== tenantOrigin) {
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
  const connection = new Redis(options.connection, { maxRetriesPerRequest: null });
  connection.on('error', () => undefined);
  const tenantOrigin = new URL(options.standIns.tenantUrl('acme')).origin;
  const worker = new Worker(DEMO_QUEUE, deliver(tenantOrigin, options.timeoutMs ?? 10_000), {
    connection,
    prefix: options.queuePrefix,
  });
  worker.on('error', () => undefined);
  return {
    worker,
    close: async () => {
      await worker.close();
      await connection.quit().catch(() => connection.disconnect());
    },
  };
}
