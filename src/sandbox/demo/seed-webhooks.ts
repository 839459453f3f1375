import { webhookPayloadSchema, webhooksWorkflow, type WebhookPayload } from '../../workflows/webhooks';
import type { DemoSlice } from './demo-slice';
import type { DemoStandIns, DemoTenant } from './stand-ins';

/**
 * The demo incident, webhooks slice: `acme`'s endpoint answered 503 for a
 * while and deliveries gave up (it is healthy now); `globex`'s still fails and
 * its deliveries keep retrying.
 */

export const WEBHOOKS_QUEUE = webhooksWorkflow.queue;
export const DEMO_JOB_NAME = 'deliver-webhook';
export const GIVEN_UP_ACME_JOBS = 12;
export const RETRYING_GLOBEX_JOBS = 6;
const GLOBEX_ATTEMPTS = 5;
/** An hour: a retrying delivery stays delayed for the whole demo session. */
const LONG_BACKOFF_MS = 3_600_000;

type TenantUrls = Pick<DemoStandIns, 'tenantUrl'>;

/**
 * Callers say anything, and transcripts carry it into payloads: one demo call's
 * summary holds markup, so the rehearsal shows the page printing it as text.
 */
export const HOSTILE_SUMMARY =
  'Caller said: <script>alert("stuckjobs")</script> <img src=x onerror=alert(1)>';

function payload(standIns: TenantUrls, tenant: DemoTenant, i: number): WebhookPayload {
  const n = String(i + 1).padStart(3, '0');
  // The newest acme job: the first a sample shows.
  const summary = tenant === 'acme' && i === GIVEN_UP_ACME_JOBS - 1 ? { summary: HOSTILE_SUMMARY } : {};
  return webhookPayloadSchema.parse({
    tenantId: tenant,
    webhookId: `wh_${tenant}_${n}`,
    url: standIns.tenantUrl(tenant),
    event: 'call.completed',
    conversationId: `conv_${tenant}_${n}`,
    body: {
      type: 'call.completed',
      conversationId: `conv_${tenant}_${n}`,
      durationSec: 60 + i * 7,
      ...summary,
    },
  });
}

export function webhooksSlice(standIns: TenantUrls): DemoSlice {
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
  return {
    queue: WEBHOOKS_QUEUE,
    jobs: [...acme, ...globex],
    // Every delivery fails during seeding, as it did during the incident.
    reasonFor: (data) => `HTTP 503 from ${webhookPayloadSchema.parse(data).url}`,
  };
}
