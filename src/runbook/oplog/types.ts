import type { AuditEntry } from '../../approvals/approval-types';
import type { WorkflowId } from '../../workflows/types';
import type { VerificationStatus } from '../verify/types';

/** A cause found by the diagnosis or the upstream probes. */
export interface Cause {
  /** e.g. "tenant acme.example returned 503 from 09:12 to 09:47 UTC". */
  readonly text: string;
  /** Inferred rather than observed directly: the note says "suspected". */
  readonly suspected: boolean;
  /** Inside Delphi (Ops down, queue paused…) rather than upstream: the note adds the Getting help line. */
  readonly inDelphi: boolean;
}

export interface WorkflowCounts {
  readonly waiting: number;
  readonly delayed: number;
  readonly failed: number;
  readonly givenUp: number;
}

export interface BatchFact {
  readonly batchId: string;
  readonly workflow: WorkflowId;
  readonly kind: 'replay' | 'enqueue';
  readonly batchNumber: number;
  readonly jobs: number;
  /** Undefined until it ran. */
  readonly replayed?: number;
  readonly requestedBy: string;
  readonly requestedAt: number;
  /** approved | denied | expired | failed | done | pending | executing | approved. */
  readonly state: string;
  readonly decidedBy?: string;
  readonly decidedAt?: number;
  readonly finishedAt?: number;
  readonly verification?: VerificationStatus;
}

/**
 * Everything the operations-log note and the incident summary say, gathered
 * from the bot's own record (session, audit stream, batches, verifications),
 * never from chat text. Pure data: the builders do no I/O.
 */
export interface IncidentFacts {
  readonly sessionId: string;
  readonly channelId: string;
  readonly threadTs: string;
  /** Link to the incident thread, when Slack gave one. */
  readonly permalink?: string;
  readonly openedAt: number;
  readonly openedBy: string;
  /** When it ends (done, backlog cleared, idle); undefined while open. */
  readonly endedAt?: number;
  readonly endedBecause?: 'done' | 'backlog-cleared' | 'idle';
  /** Oldest failed (or stuck waiting) job at the first diagnosis: when it started, at the latest. */
  readonly firstFailureAt?: number;
  /** Verdict headlines at the first diagnosis, per workflow that was not healthy. */
  readonly symptoms: readonly { readonly workflow: WorkflowId; readonly headline: string }[];
  readonly causes: readonly Cause[];
  readonly countsBefore: Partial<Record<WorkflowId, WorkflowCounts>>;
  readonly countsAfter?: Partial<Record<WorkflowId, WorkflowCounts>>;
  readonly batches: readonly BatchFact[];
  /** Every audited step of the incident, oldest first. */
  readonly timeline: readonly AuditEntry[];
}
