import type { SampleState } from '../../queues/types';
import type { WorkflowId } from '../../workflows/types';

import type { CheckStatus } from '../../checks/types';
import type { RenderedPayload } from '../../redaction';

export type { CheckStatus, RenderedPayload };
export type CheckName = 'well-formed' | 'target-exists' | 'handler-exists';

export interface PayloadCheck {
  readonly check: CheckName;
  readonly status: CheckStatus;
  readonly reason: string;
}

/** The filters of one sample; also the cohort a failing check blocks. */
export interface Cohort {
  readonly tenant?: string;
  readonly reason?: string;
  readonly handler?: string;
}

export interface SampleRequest {
  readonly workflowId: WorkflowId;
  readonly state: SampleState;
  /** How many jobs to show: default 3, at most 10. */
  readonly count: number;
  readonly cohort: Cohort;
}

export interface SampledJob {
  readonly id: string;
  readonly handler: string;
  readonly createdAt: number;
  readonly attemptsMade: number;
  readonly attemptsAllowed: number;
  /** Redacted. */
  readonly failedReason?: string;
  readonly payload: RenderedPayload;
  readonly checks: readonly PayloadCheck[];
}

export interface CohortCount {
  readonly key: string;
  readonly count: number;
}

/** What a replay of the given-up jobs would touch, from a bounded window. */
export interface CohortSummary {
  readonly givenUpInWindow: number;
  readonly windowSize: number;
  /** True when there were more failed jobs than the window read. */
  readonly capped: boolean;
  readonly byHandler: readonly CohortCount[];
  readonly byTenant: readonly CohortCount[];
  readonly byReason: readonly CohortCount[];
  readonly byHost: readonly CohortCount[];
}

export interface CheckFailure {
  readonly jobId: string;
  readonly check: CheckName;
  readonly reason: string;
}

export interface SampleOutcome {
  readonly id: string;
  readonly request: SampleRequest;
  readonly takenAt: number;
  readonly platformVersion: string;
  /** Jobs of the state that the window read, matched by the filters, shown. */
  readonly window: {
    readonly read: number;
    readonly stateCount: number;
    readonly matched: number;
    readonly capped: boolean;
  };
  readonly jobs: readonly SampledJob[];
  readonly cohorts: CohortSummary;
  /** Any failed check: stop and ask before replay. */
  readonly failures: readonly CheckFailure[];
  readonly warnings: readonly CheckFailure[];
}
