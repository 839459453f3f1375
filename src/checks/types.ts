import type { WorkflowId } from '../workflows';

/**
 * `fail` blocks the replay of the job's workflow (and cohort), so it means "the
 * target really is gone". Everything we could not determine is `unknown`, shown
 * as a warning, never as a pass.
 */
export type CheckStatus = 'pass' | 'fail' | 'unknown';

export interface CheckResult {
  readonly check: 'target-exists';
  readonly status: CheckStatus;
  /** One line an operator can read: what was asked and what it said. Never a secret. */
  readonly reason: string;
}

/** The port the sampling code calls: does the job's target (URL, recording, customer) still exist? */
export interface TargetChecker {
  /**
   * Never rejects. `payload` is the job data (already validated by the workflow
   * schema); only the fields that name the target are read.
   */
  check(workflow: WorkflowId, payload: unknown): Promise<CheckResult>;
  /** Releases sockets and clients; idempotent. Checks after close answer `unknown`. */
  close(): Promise<void>;
}

/** One workflow's target check, given the payload fields it needs. */
export interface WorkflowTargetCheck<Target> {
  check(target: Target): Promise<CheckResult>;
  close(): Promise<void>;
}
