import { allowedBatchSize } from '../../src/approvals/ladder';
import type { Prng } from './prng';

/**
 * What one soak incident will do, drawn from the seeded generator before it
 * runs: the workflow, the backlog, the batches and the faults to inject.
 */

export const SOAK_WORKFLOWS = ['webhooks', 'billing'] as const;
export type SoakWorkflow = (typeof SOAK_WORKFLOWS)[number];

/**
 * Every fault the soak injects. Those marked "refusal" must be refused by
 * the bot (and audited); the others must be survived with nothing lost and
 * nothing replayed twice.
 */
export const FAULT_KINDS = [
  /** Slack answers 429 to the approval request's post: the plan is withdrawn, planned again. */
  'slack-429',
  /** Slack answers 5xx to the approval message's edits while the batch runs. */
  'slack-5xx',
  /** refusal: the tenant endpoint is down when the replay is planned. */
  'upstream-down-at-plan',
  /** refusal: the tenant endpoint is down when the approver clicks. */
  'upstream-down-at-approval',
  /** refusal: the requester approves their own batch. */
  'self-approval',
  /** refusal: someone who is not an approver clicks Approve. */
  'not-an-approver',
  /** refusals: a double click, a second approver at once and Slack's retried delivery. */
  'double-click',
  /** refusal: the approval is clicked after it expired. */
  'expired',
  /** The approver denies the batch: nothing moves, a new batch is planned. */
  'denial',
  /** refusal: the button value carries another plan's hash. */
  'tampered-value',
  /** refusal: a first batch larger than 10. */
  'oversized-first-batch',
  /** refusal: a larger second batch before the first one verified. */
  'growth-before-verification',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Faults that need the tenant stand-in: only webhooks incidents get them. */
const WEBHOOKS_ONLY: ReadonlySet<FaultKind> = new Set(['upstream-down-at-plan', 'upstream-down-at-approval']);

export interface IncidentSpec {
  readonly index: number;
  readonly workflow: SoakWorkflow;
  /** Lower-case letters only (the tenant stand-in's path). */
  readonly tenant: string;
  readonly givenUp: number;
  /** Failed with attempts left (an unrecoverable error): never replayed. */
  readonly failedEarly: number;
  /** Delayed on a backoff: still retrying, never replayed. */
  readonly retrying: number;
  /** Billing only: last failure a Stripe 4xx, never replayed. */
  readonly stripe4xx: number;
  /** The canary's size, 1–10. */
  readonly canary: number;
  /** A second, larger batch after the canary verified (as large as the default ladder then allows). */
  readonly second?: number;
  readonly faults: readonly FaultKind[];
  /** End with `/stuckjobs done` (note and summary). */
  readonly endWithDone: boolean;
}

export interface SpecLimits {
  readonly minBacklog: number;
  readonly maxBacklog: number;
  /** Chance of each fault per incident. */
  readonly faultRate: number;
}

export const DEFAULT_LIMITS: SpecLimits = { minBacklog: 5, maxBacklog: 200, faultRate: 0.16 };

function letters(n: number): string {
  let out = '';
  let rest = n;
  do {
    out = String.fromCharCode(97 + (rest % 26)) + out;
    rest = Math.floor(rest / 26) - 1;
  } while (rest >= 0);
  return out;
}

export function drawIncident(prng: Prng, index: number, limits: SpecLimits = DEFAULT_LIMITS): IncidentSpec {
  const workflow = prng.chance(0.7) ? 'webhooks' : 'billing';
  const givenUp = prng.int(limits.minBacklog, limits.maxBacklog);
  const canary = prng.int(1, Math.min(10, givenUp));
  const room = givenUp - canary;
  // As far as the bot's default ladder lets a verified canary of this size grow.
  const allowance = allowedBatchSize({
    batchNumber: 2,
    previousSize: canary,
    previousVerified: true,
    max: 1000,
  });
  const cap = Math.min(allowance.ok ? allowance.maxSize : canary, room);
  const second = cap > canary && prng.chance(0.5) ? prng.int(canary + 1, cap) : undefined;
  const faults = FAULT_KINDS.filter(
    (kind) =>
      (workflow === 'webhooks' || !WEBHOOKS_ONLY.has(kind)) &&
      (kind !== 'growth-before-verification' || second !== undefined) &&
      prng.chance(limits.faultRate),
  );
  return {
    index,
    workflow,
    tenant: `soak${letters(index)}`,
    givenUp,
    failedEarly: prng.int(0, 5),
    retrying: prng.int(0, 8),
    stripe4xx: workflow === 'billing' ? prng.int(1, 6) : 0,
    canary,
    ...(second !== undefined ? { second } : {}),
    faults,
    endWithDone: prng.chance(0.3),
  };
}
