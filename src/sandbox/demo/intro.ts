import { GIVEN_UP_BILLING_JOBS, STRIPE_4XX_BILLING_JOBS } from './seed-billing';
import { GIVEN_UP_RECORDINGS_JOBS, MISSING_SOURCE_RECORDINGS_JOBS } from './seed-recordings';
import { GIVEN_UP_ACME_JOBS, RETRYING_GLOBEX_JOBS } from './seed-webhooks';

/** What the page says above the channel: the rehearsal's story and how to start it, from the seed's own counts. */
export function demoIntro(queuePrefix: string): string[] {
  return [
    `Rehearsal: Delphi's Ops service stalled for a while. The demo incident lives under ${queuePrefix} on this Redis; nothing here reaches a real service.`,
    `webhooks: ${GIVEN_UP_ACME_JOBS} deliveries to acme gave up after HTTP 503 (acme answers 200 now); ${RETRYING_GLOBEX_JOBS} to globex are still retrying (it still answers 503).`,
    `recordings: ${GIVEN_UP_RECORDINGS_JOBS + MISSING_SOURCE_RECORDINGS_JOBS} post-processing jobs gave up on S3 timeouts; ${MISSING_SOURCE_RECORDINGS_JOBS} of their source recordings are missing.`,
    `billing: ${GIVEN_UP_BILLING_JOBS + STRIPE_4XX_BILLING_JOBS} period-closing jobs gave up; ${STRIPE_4XX_BILLING_JOBS} failed with a Stripe 404 (the customer is gone) and must never be replayed.`,
    'Type /stuckjobs diagnose, then follow the buttons. Switch "Acting as" to the approver to approve a batch.',
  ];
}

/** Said instead when the demo world could not start: the sandbox still runs, with an empty world. */
export function demoUnavailable(reason: string): string[] {
  return [`The demo incident could not be set up (${reason}); the sandbox runs without it.`];
}
