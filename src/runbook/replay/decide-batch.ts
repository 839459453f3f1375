import type { ApprovalStore } from '../../approvals/approval-store';
import type { ApprovalRecord, Decision, DecideResult } from '../../approvals/approval-types';
import { isAllowedApprover, type ApproverDirectory } from '../../approvals/approvers';
import type { QueueBackend } from '../../queues/types';
import type { JobSummary } from '../../queues/types';
import type { ReplayGate } from '../../approvals/replay-gate';
import { blockingFor } from '../plan/gate-coverage';
import { toBeAdded } from '../plan/plan-candidates';
import { checkPreconditions, type PreconditionDeps } from '../plan/preconditions';

export interface DecideBatchDeps {
  readonly store: Pick<ApprovalStore, 'get' | 'decide' | 'auditAttempt'>;
  /** The sample gate: a sample that failed after the plan still stops the batch. */
  readonly gate: Pick<ReplayGate, 'blocks'>;
  readonly backend: Pick<QueueBackend, 'readJob'>;
  readonly probes: PreconditionDeps['probes'];
  /** APPROVERS: user ids and user-group ids. */
  readonly approvers: readonly string[];
}

export interface DecideBatchRequest {
  readonly batchId: string;
  /** The hash the clicked button carried. */
  readonly manifestHash: string;
  readonly userId: string;
  readonly decision: Decision;
  /** Where the click happened: a batch is decided only from its own workspace and channel. */
  readonly teamId: string;
  readonly channelId: string;
}

export interface DecideBatchResult {
  readonly result: DecideResult;
  /** The batch as it stood before the click; undefined when there is none. */
  readonly record?: ApprovalRecord;
  /** Why the clicker may or may not approve, in words for them. */
  readonly approverReason: string;
  /** Set when a precondition refused an approval. */
  readonly preconditionReasons: readonly string[];
}

/**
 * One click on Approve or Deny (invariant 2). Who may approve and whether the
 * preconditions hold are found out here, then handed to the store's one atomic
 * decision, which checks every rule again with the batch's state, so a second
 * click, a second approver, a second replica or a retried delivery all get a
 * refusal instead of a second decision. Every attempt is audited there.
 */
export async function decideBatch(
  deps: DecideBatchDeps,
  directory: ApproverDirectory,
  request: DecideBatchRequest,
): Promise<DecideBatchResult> {
  const record = await deps.store.get(request.batchId);
  if (record && !clickedWhereRequested(record, request)) return refuseElsewhere(deps, record, request);
  const approver = record
    ? await isAllowedApprover({
        userId: request.userId,
        requesterId: record.manifest.requestedBy,
        approvers: deps.approvers,
        directory,
      })
    : { allowed: false, reason: 'no such batch' };
  // Probing the upstream costs time: only for a click that could otherwise approve.
  const mayApprove =
    record !== undefined && request.decision === 'approve' && record.state === 'pending' && approver.allowed;
  const preconditionReasons = mayApprove ? await blockersNow(deps, record) : [];
  const result = await deps.store.decide(request.batchId, {
    decision: request.decision,
    userId: request.userId,
    userAllowed: approver.allowed,
    manifestHash: request.manifestHash,
    ...(preconditionReasons.length > 0 ? { preconditionFailure: preconditionReasons.join('; ') } : {}),
  });
  return { result, ...(record ? { record } : {}), approverReason: approver.reason, preconditionReasons };
}

function clickedWhereRequested(record: ApprovalRecord, request: DecideBatchRequest): boolean {
  return record.manifest.teamId === request.teamId && record.manifest.channelId === request.channelId;
}

/**
 * A click on a copy of the request in another workspace or channel (a forged
 * or forwarded payload): refused and audited before any rule or probe runs,
 * and the batch stays as it was. Not in the store's script: the store never
 * needs to know about Slack's places, and nothing changes state here.
 */
async function refuseElsewhere(
  deps: DecideBatchDeps,
  record: ApprovalRecord,
  request: DecideBatchRequest,
): Promise<DecideBatchResult> {
  const { manifest } = record;
  await deps.store.auditAttempt({
    session: manifest.sessionId,
    action: request.decision,
    actor: request.userId,
    result: 'wrong-channel',
    detail: `clicked in team ${request.teamId || '?'} channel ${request.channelId || '?'}; the batch belongs to team ${manifest.teamId} channel ${manifest.channelId}`,
    batchId: manifest.id,
  });
  return {
    result: { code: 'wrong-channel', state: record.state },
    record,
    approverReason: 'the click came from another workspace or channel',
    preconditionReasons: [],
  };
}

/**
 * Why the batch may not run now, checked at approval and again right before
 * execution: a sample gate block on its cohort (a sample that failed after the
 * plan), and the workflow's preconditions for its jobs as they are now (gone
 * ones left out: execution skips them anyway). Empty when it may run.
 */
export async function blockersNow(
  deps: Pick<DecideBatchDeps, 'backend' | 'probes' | 'gate'>,
  record: ApprovalRecord,
): Promise<string[]> {
  const { manifest } = record;
  const blocks = blockingFor(
    await deps.gate.blocks({ teamId: manifest.teamId, channelId: manifest.channelId }, manifest.workflow),
    {
      cohort: manifest.cohort,
      ...(manifest.exclude ? { exclude: manifest.exclude } : {}),
    },
  );
  const gate = blocks.map(
    (block) =>
      `a sample of ${block.workflow} cohort ${block.cohortKey} failed its checks since the plan: stop and ask before replay`,
  );
  const jobs =
    manifest.kind === 'enqueue'
      ? manifest.jobs.flatMap((job) =>
          job.enqueue
            ? [toBeAdded(job.id, job.enqueue.name, parsedOrRaw(job.enqueue.data), job.enqueue.data)]
            : [],
        )
      : (
          await Promise.all(
            manifest.jobs.map((job) => deps.backend.readJob(manifest.queue, 'failed', job.id)),
          )
        ).filter((job): job is JobSummary => job !== undefined);
  const outcome = await checkPreconditions(deps, { workflow: manifest.workflow, jobs });
  return [...gate, ...outcome.reasons];
}

function parsedOrRaw(data: string): unknown {
  try {
    return JSON.parse(data) as unknown;
  } catch {
    return data;
  }
}
