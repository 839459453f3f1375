import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import type { StripeStore } from '../../src/sandbox/demo/stripe-store';
import { billingWorkflow } from '../../src/workflows/billing';
import { webhooksWorkflow } from '../../src/workflows/webhooks';
import type { IncidentSpec, SoakWorkflow } from './incident-spec';

/**
 * One incident's backlog, written straight into BullMQ's key layout (the
 * fields a BullMQ 6 Worker leaves; see test/helpers/bullmq-fixtures.ts, which
 * checks them against a real one): given-up jobs the replay may move, and the
 * jobs it must never move: still retrying (delayed on a backoff), failed early
 * with attempts left, and for billing the ones that failed on a Stripe 4xx.
 */

export const QUEUES: Readonly<Record<SoakWorkflow, string>> = {
  webhooks: webhooksWorkflow.queue,
  billing: billingWorkflow.queue,
};

const JOB_NAMES: Readonly<Record<SoakWorkflow, string>> = {
  webhooks: 'deliver-webhook',
  billing: 'close-billing-period',
};

const ATTEMPTS = 5;
/** An hour: a retrying job stays delayed for the whole soak. */
const BACKOFF_MS = 3_600_000;
/** Long enough that no incident's events are trimmed before its check reads them. */
export const MAX_LEN_EVENTS = 50_000;

export interface SeededIncident {
  readonly queue: string;
  /** Given up, attempts exhausted: replay candidates. */
  readonly givenUp: readonly string[];
  /** Must never move: delayed (retrying), failed early, Stripe 4xx. */
  readonly neverReplay: { readonly delayed: readonly string[]; readonly failed: readonly string[] };
  /** Conversation id each webhook job delivers (the tenant stand-in counts them). */
  readonly conversations: ReadonlyMap<string, string>;
}

export interface SeedTargets {
  readonly tenantUrl: (tenant: string) => string;
  readonly stripe: StripeStore;
}

function bullmqVersion(): string {
  const { version } = JSON.parse(readFileSync(require.resolve('bullmq/package.json'), 'utf8')) as {
    version: string;
  };
  return `bullmq:${version}`;
}

/** `YYYY-MM` of last month: the period a billing job closes. */
function lastMonth(now: number): string {
  const at = new Date(now);
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() - 1, 1)).toISOString().slice(0, 7);
}

interface JobFields {
  readonly id: string;
  readonly data: unknown;
  readonly reason: string;
  readonly attemptsMade: number;
}

export async function seedIncident(
  redis: Redis,
  queuePrefix: string,
  spec: IncidentSpec,
  targets: SeedTargets,
  now = Date.now(),
): Promise<SeededIncident> {
  const queue = QUEUES[spec.workflow];
  const base = `${queuePrefix}:${queue}`;
  const conversations = new Map<string, string>();
  const id = (kind: string, n: number) => `i${spec.index}-${kind}${n}`;
  const payload = (jobId: string): unknown => {
    if (spec.workflow === 'webhooks') {
      const conversationId = `conv-${jobId}`;
      conversations.set(jobId, conversationId);
      return {
        tenantId: spec.tenant,
        webhookId: `wh-${jobId}`,
        url: targets.tenantUrl(spec.tenant),
        event: 'conversation.ended',
        conversationId,
        body: { conversationId },
      };
    }
    const account = jobId.replace(/[^A-Za-z0-9]/g, 'x');
    const customer = `cus_${account}`;
    const subscription = `sub_${account}`;
    targets.stripe.addCustomer({ id: customer, name: spec.tenant, metadata: {} });
    targets.stripe.addSubscription({ id: subscription, customer });
    return {
      tenantId: spec.tenant,
      stripeCustomerId: customer,
      subscriptionId: subscription,
      period: lastMonth(now),
    };
  };
  const upstreamReason =
    spec.workflow === 'webhooks'
      ? `HTTP 503 from ${targets.tenantUrl(spec.tenant)}`
      : 'StripeConnectionError: An error occurred with our connection to Stripe.';

  const failed: JobFields[] = [];
  const givenUp = Array.from({ length: spec.givenUp }, (_, n) => id('g', n));
  for (const jobId of givenUp) {
    failed.push({ id: jobId, data: payload(jobId), reason: upstreamReason, attemptsMade: ATTEMPTS });
  }
  const failedEarly = Array.from({ length: spec.failedEarly }, (_, n) => id('e', n));
  for (const jobId of failedEarly) {
    failed.push({ id: jobId, data: payload(jobId), reason: 'bad signature', attemptsMade: 1 });
  }
  // The customer exists now, so the sample's target check passes: only the 4xx rule keeps them out.
  const stripe4xx = Array.from({ length: spec.stripe4xx }, (_, n) => id('s', n));
  for (const jobId of stripe4xx) {
    const reason = 'StripeCardError: Your card was declined. (HTTP 402)';
    failed.push({ id: jobId, data: payload(jobId), reason, attemptsMade: ATTEMPTS });
  }
  const delayed = Array.from({ length: spec.retrying }, (_, n) => id('r', n));

  const pipeline = redis.pipeline();
  pipeline.hset(`${base}:meta`, { 'opts.maxLenEvents': MAX_LEN_EVENTS, version: bullmqVersion() });
  const opts = JSON.stringify({ attempts: ATTEMPTS, backoff: { type: 'fixed', delay: BACKOFF_MS } });
  const name = JOB_NAMES[spec.workflow];
  failed.forEach((job, n) => {
    // Newest last, a millisecond apart, all in the minute before `now`.
    const finishedOn = now - failed.length + n;
    pipeline.hset(`${base}:${job.id}`, {
      name,
      data: JSON.stringify(job.data),
      opts,
      timestamp: finishedOn - 60_000,
      delay: 0,
      priority: 0,
      processedOn: finishedOn - 40,
      ats: job.attemptsMade,
      atm: job.attemptsMade,
      failedReason: job.reason,
      stacktrace: JSON.stringify([`Error: ${job.reason}\n    at soak`]),
      finishedOn,
    });
    pipeline.zadd(`${base}:failed`, finishedOn, job.id);
  });
  delayed.forEach((jobId, n) => {
    const processedOn = now - 1_000 + n;
    pipeline.hset(`${base}:${jobId}`, {
      name,
      data: JSON.stringify(payload(jobId)),
      opts,
      timestamp: processedOn - 100,
      delay: BACKOFF_MS,
      priority: 0,
      processedOn,
      ats: 1,
      atm: 1,
      failedReason: upstreamReason,
      stacktrace: JSON.stringify([`Error: ${upstreamReason}\n    at soak`]),
    });
    // BullMQ's delayed score: the due time × 0x1000 plus a counter (getDelayedScore.lua).
    pipeline.zadd(`${base}:delayed`, (processedOn + BACKOFF_MS) * 0x1000 + n, jobId);
  });
  const replies = (await pipeline.exec()) ?? [];
  const failure = replies.find(([error]) => error !== null)?.[0];
  if (failure) throw failure;
  return {
    queue,
    givenUp,
    neverReplay: { delayed, failed: [...failedEarly, ...stripe4xx] },
    conversations,
  };
}

/** Removes an incident's jobs once it is checked, so the queues stay the size of one incident. */
export async function removeIncidentJobs(
  redis: Redis,
  queuePrefix: string,
  seeded: SeededIncident,
): Promise<void> {
  const base = `${queuePrefix}:${seeded.queue}`;
  const ids = [...seeded.givenUp, ...seeded.neverReplay.delayed, ...seeded.neverReplay.failed];
  const pipeline = redis.pipeline();
  for (const set of ['failed', 'delayed', 'completed', 'prioritized'])
    pipeline.zrem(`${base}:${set}`, ...ids);
  for (const list of ['wait', 'active']) for (const jobId of ids) pipeline.lrem(`${base}:${list}`, 0, jobId);
  for (const jobId of ids)
    pipeline.unlink(`${base}:${jobId}`, `${base}:${jobId}:logs`, `${base}:${jobId}:lock`);
  await pipeline.exec();
}
