import type { BatchManifest } from './batch-manifest';

/**
 * pending -> approved -> executing -> done | failed
 * pending -> denied | expired
 * Every state but `pending` and `approved` is final for the decision; only
 * `approved` can be claimed, and only once.
 */
export const APPROVAL_STATES = [
  'pending',
  'approved',
  'denied',
  'expired',
  'executing',
  'done',
  'failed',
] as const;
export type ApprovalState = (typeof APPROVAL_STATES)[number];

export type Decision = 'approve' | 'deny';

/** One code per rule, so the refusal message (and the audit) says which rule refused. */
export const DECIDE_CODES = [
  'approved',
  'denied',
  'not-found',
  'not-pending',
  'dry-run',
  'expired',
  'self-approval',
  'not-an-approver',
  'hash-mismatch',
  'precondition-failed',
  /** The click came from another workspace or channel than the batch's (decide-batch.ts, never the script). */
  'wrong-channel',
] as const;
export type DecideCode = (typeof DECIDE_CODES)[number];

export const CLAIM_CODES = ['claimed', 'already-claimed', 'not-approved', 'dry-run', 'not-found'] as const;
export type ClaimCode = (typeof CLAIM_CODES)[number];

export const FINISH_CODES = ['finished', 'not-executing', 'not-found'] as const;
export type FinishCode = (typeof FINISH_CODES)[number];

export const CREATE_CODES = ['created', 'exists'] as const;
export type CreateCode = (typeof CREATE_CODES)[number];

export type FinishOutcome = 'done' | 'failed';

export interface DecideRequest {
  readonly decision: Decision;
  readonly userId: string;
  /**
   * The caller resolves APPROVERS (user ids, user-group membership) first; the
   * script still refuses on `false`, so the whole rule set is checked in one
   * atomic step and audited in one place.
   */
  readonly userAllowed: boolean;
  /** The hash the clicked button carried: the plan the approver actually saw. */
  readonly manifestHash: string;
  /**
   * Approve only: why the workflow's preconditions fail right now (invariant 5),
   * checked by the caller just before. Refuses in the same atomic step, audited
   * with the reason; the batch stays pending.
   */
  readonly preconditionFailure?: string;
  /** Epoch ms; defaults to the store's clock. */
  readonly now?: number;
}

export interface DecideResult {
  readonly code: DecideCode;
  /** The batch's state after the attempt; `undefined` when there is no such batch. */
  readonly state?: ApprovalState;
  /** Who decided, and when — on success, or on `not-pending` so the reply can say "already approved by…". */
  readonly decidedBy?: string;
  readonly decidedAt?: number;
}

export interface ClaimResult {
  readonly code: ClaimCode;
  readonly state?: ApprovalState;
  /** On `claimed` the caller; on `already-claimed` the worker that holds it. */
  readonly claimedBy?: string;
}

export interface FinishResult {
  readonly code: FinishCode;
  readonly state?: ApprovalState;
}

export interface CreateResult {
  readonly code: CreateCode;
  /** What the approval buttons must carry. */
  readonly manifestHash: string;
}

/** A stored batch: its frozen manifest and where it is in the state machine. */
export interface ApprovalRecord {
  readonly manifest: BatchManifest;
  readonly manifestHash: string;
  readonly state: ApprovalState;
  readonly decision?: Decision;
  readonly decidedBy?: string;
  readonly decidedAt?: number;
  readonly claimedBy?: string;
  readonly claimedAt?: number;
  readonly finishedAt?: number;
  readonly summary?: string;
}

export const AUDIT_ACTIONS = [
  'diagnose',
  'sample',
  'plan',
  'create',
  'approve',
  'deny',
  'claim',
  'finish',
  'verify',
  'note',
  'done',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** One line of the audit stream (invariant 7): who, what, when, result. */
export interface AuditEntry {
  /** Stream entry id, e.g. `1718000000000-0`. */
  readonly streamId: string;
  readonly at: number;
  readonly batchId: string;
  readonly action: AuditAction;
  readonly actor: string;
  readonly result: string;
  /** State before and after; equal when the attempt changed nothing. Empty when there was no batch. */
  readonly from: string;
  readonly to: string;
  readonly detail: string;
  /** The incident session, where the writer knew it ('' otherwise: decisions find theirs through the batch). */
  readonly session: string;
}
