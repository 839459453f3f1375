import type { WorkflowId } from '../../workflows/types';

/**
 * One part's answer. `skipped` means the part does not apply here (SigNoz not
 * configured, nothing completed to look at) and says so; it neither passes
 * nor blocks. `unknown` means it applies but could not be told: inconclusive.
 */
export type PartStatus = 'pass' | 'fail' | 'unknown' | 'skipped';

export type PartName = 'jobs' | 'drain' | 'downstream' | 'error-rate';

export interface VerificationPart {
  readonly name: PartName;
  readonly status: PartStatus;
  /** One line for the thread. */
  readonly summary: string;
  /** Per-job or per-object lines (the failing ones first); bounded by the producer. */
  readonly details: readonly string[];
}

export type VerificationStatus = 'verified' | 'not-verified' | 'inconclusive';

export interface Verification {
  readonly batchId: string;
  readonly workflow: WorkflowId;
  readonly status: VerificationStatus;
  readonly parts: readonly VerificationPart[];
  readonly startedAt: number;
  readonly finishedAt: number;
  /** Jobs the batch replayed: the ladder grows from this. */
  readonly replayed: number;
}

/** A replayed job that completed, as the downstream checks read it. */
export interface CompletedJob {
  readonly id: string;
  /** The payload as parsed (unknown: it may be anything). */
  readonly data: unknown;
  /** BullMQ's `returnvalue` field exactly as stored (JSON text), or null when absent. */
  readonly returnvalue: string | null;
}

/**
 * Runbook step 4, "the downstream effect actually happens", for one workflow.
 * Never throws: a check that cannot tell answers `unknown` with the reason.
 * The part's name is always `downstream`.
 */
export type DownstreamCheck = (jobs: readonly CompletedJob[]) => Promise<VerificationPart>;
