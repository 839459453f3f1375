import type { Redis } from 'ioredis';
import type { Logger } from './logger';
import type { DepthSamplerStats } from './runbook/depth-sampler';
import type { IncidentSession, IncidentSessions } from './sessions/session-store';
import type { DeliveryGuard } from './delivery-guard';
import type { IncidentChannelRule } from './incident-channels';
import type { Diagnosis } from './runbook/diagnosis';
import type { DiagnoseRequest } from './runbook/diagnose';
import type { WorkflowId } from './workflows/types';
import type { GateBlock, GateScope, ReplayGate } from './approvals/replay-gate';
import type { SampleState } from './queues/types';
import type { RenderedPayload, SampleOutcome, SampleRequest } from './runbook/inspect/types';
import type { AuditAttempt } from './approvals/approval-store';
import type { ApprovalRecord, AuditEntry, DecideCode } from './approvals/approval-types';
import type { FactsExtra } from './runbook/oplog/facts';
import type { IncidentFacts, WorkflowCounts } from './runbook/oplog/types';
import type { ApproverDirectory } from './approvals/approvers';
import type { BatchMessages } from './approvals/batch-messages';
import type { PlanReplayRequest, PlanReplayResult } from './runbook/plan/plan-replay';
import type { DecideBatchRequest, DecideBatchResult } from './runbook/replay/decide-batch';
import type { ReconcileResult } from './runbook/replay/reconcile';
import type { StrandedApprovals } from './runbook/replay/stranded-approvals';
import type { RunApprovedResult } from './runbook/replay/run-approved-batch';
import type { ReplayBatch } from './runbook/replay/types';
import type { Verification } from './runbook/verify/types';
import type { VerifyProgress } from './runbook/verify/verify-batch';

/** What Slack listeners may call: the engine's entry points and ports, never its parts. */
export interface HandlerServices {
  readonly workflowIds: readonly WorkflowId[];
  readonly workflowTitle: (id: WorkflowId) => string;
  readonly diagnose: (request: DiagnoseRequest) => Promise<Diagnosis>;
  /**
   * Runbook step 2: read-only samples with their three checks, recorded in
   * the replay gate (binding on replay), with the blocks now standing.
   */
  readonly sample: (
    scope: GateScope,
    request: SampleRequest,
    by: string,
  ) => Promise<{ readonly outcome: SampleOutcome; readonly gate: readonly GateBlock[] }>;
  /** One job's whole payload, redacted; undefined when the job is gone. */
  readonly fullPayload: (
    workflowId: WorkflowId,
    state: SampleState,
    jobId: string,
  ) => Promise<RenderedPayload | undefined>;
  readonly gate: ReplayGate;
  /** Runbook step 3 up to the approval request: a stored, pending (or dry-run) manifest, or why not. */
  readonly planReplay: (request: PlanReplayRequest) => Promise<PlanReplayResult>;
  /** One Approve or Deny click, every rule checked and audited; `directory` resolves approver groups. */
  readonly decideBatch: (
    directory: ApproverDirectory,
    request: DecideBatchRequest,
  ) => Promise<DecideBatchResult>;
  /** The requester takes back a pending batch (a denial by its requester): nothing is replayed. */
  readonly withdrawBatch: (batchId: string, manifestHash: string, requester: string) => Promise<DecideCode>;
  /** Claim and run an approved batch; exactly one caller runs it. */
  readonly runApprovedBatch: (
    batchId: string,
    onProgress?: (done: number, total: number) => void,
  ) => Promise<RunApprovedResult>;
  /** Finish batches a crash left half done (at start, and again for busy ones). */
  readonly resumeUnfinished: (
    onProgress?: (batch: ReplayBatch, done: number, total: number) => void,
  ) => Promise<ReconcileResult[]>;
  /** Approved batches a crash left unsettled: ones to run now, ones closed (with the thread's line), ones still busy. */
  readonly strandedApprovals: () => Promise<StrandedApprovals>;
  /**
   * Runbook step 4 for a batch that ran: watch, judge the four parts, store
   * the result the ladder reads. Undefined when there is no such batch.
   */
  readonly verifyBatch: (
    batchId: string,
    onProgress?: (progress: VerifyProgress) => void,
  ) => Promise<Verification | 'already-running' | undefined>;
  /** One audit line for a step that is not a batch transition (diagnose, sample, verify, note, done). */
  readonly audit: (entry: AuditAttempt) => Promise<void>;
  /** The incident's batches of a workflow, oldest first (dry runs left out). */
  readonly batchesOf: (sessionId: string, workflow: WorkflowId) => Promise<ApprovalRecord[]>;
  /** Everything the note and the summary say, from the bot's own record. */
  readonly incidentFacts: (session: IncidentSession, extra?: FactsExtra) => Promise<IncidentFacts>;
  /** Counts per workflow now (bounded reads), for "before and after". */
  readonly countsNow: (
    workflowIds: readonly WorkflowId[],
  ) => Promise<Partial<Record<WorkflowId, WorkflowCounts>>>;
  /** A batch of the incident awaits approval, runs, or is being verified. */
  readonly hasOpenWork: (sessionId: string) => Promise<boolean>;
  /** Whether the incident had an audited step since `since` (epoch ms). */
  readonly activeSince: (sessionId: string, since: number) => Promise<boolean>;
  /** The newest audit entries, oldest first. */
  readonly auditLatest: (count: number) => Promise<AuditEntry[]>;
  /** Where each batch's approval request sits in Slack. */
  readonly batchMessages: BatchMessages;
  readonly sessions: IncidentSessions;
  /** A copy of a signed request (same trigger_id) is acted on once (test/adversarial). */
  readonly deliveries: DeliveryGuard;
  /** INCIDENT_CHANNELS: where `/stuckjobs` may run; empty = anywhere. */
  readonly incidentChannels: readonly IncidentChannelRule[];
  /** Shown in the acknowledgement so nobody wonders whether the bot heard them. */
  readonly trendWindowMs: number;
  readonly logger: Logger;
}

export interface HealthReport {
  readonly ok: boolean;
  readonly [part: string]: unknown;
}

export interface Services extends HandlerServices {
  /** Redis connections by role (the depth sampler has its own, `stuckjobs:trend`). */
  readonly redis: { readonly queues: Redis; readonly state: Redis; readonly replay?: Redis };
  /** What the background depth sampler has read and what it costs. */
  trendSampler(): DepthSamplerStats;
  /** What `GET /healthz` reports: both Redis roles answer PING. */
  health(): Promise<HealthReport>;
  close(): Promise<void>;
}
