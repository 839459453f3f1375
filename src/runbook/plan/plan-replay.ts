import type { ApprovalRecord } from '../../approvals/approval-types';
import type { ApprovalStore } from '../../approvals/approval-store';
import { createBatchManifest, type BatchManifest } from '../../approvals/batch-manifest';
import { allowedBatchSize, checkBatchSize, type LadderAllowance } from '../../approvals/ladder';
import type { GateBlock, GateScope, ReplayGate } from '../../approvals/replay-gate';
import type { ReplaySeries } from '../../approvals/replay-series';
import type { Logger } from '../../logger';
import type { QueueBackend } from '../../queues/types';
import type { AnyWorkflow, WorkflowId } from '../../workflows/types';
import { randomBytes } from 'node:crypto';
import { CodedError, ErrorCode } from '../../errors';
import { summariseCohorts } from '../inspect/cohorts';
import type { Cohort, CohortSummary } from '../inspect/types';
import type { BatchVerdict } from '../verify/batch-verified';
import type { EligibilityDeps, ExcludedJob } from './eligibility';
import type { JobExistence } from './job-existence';
import { enqueueCandidates, replayCandidates } from './plan-candidates';
import { blockingFor } from './gate-coverage';
import { ladderPosition } from './ladder-position';
import { checkPreconditions, type PreconditionDeps } from './preconditions';

export interface PlanReplayDeps {
  readonly backend: Pick<QueueBackend, 'readWindow' | 'readJob'>;
  readonly targets: EligibilityDeps['targets'];
  readonly probes: PreconditionDeps['probes'];
  readonly workflows: readonly AnyWorkflow[];
  readonly windowSize: number;
  readonly gate: Pick<ReplayGate, 'blocks'>;
  /** Which job ids are taken: an enqueue never adds one that exists. */
  readonly jobs: JobExistence;
  readonly store: Pick<ApprovalStore, 'create' | 'auditAttempt'>;
  readonly series: ReplaySeries;
  /** Whether a batch that ran unlocks a larger one (src/runbook/verify). */
  readonly verify: (record: ApprovalRecord) => Promise<BatchVerdict>;
  readonly ladder: { readonly steps: readonly number[]; readonly max: number };
  readonly approvalTtlMs: number;
  readonly clock: () => number;
  readonly logger: Logger;
}

export interface PlanReplayRequest {
  readonly scope: GateScope;
  /** The incident session: a replay's ladder lives and dies with it. */
  readonly sessionId: string;
  readonly workflow: WorkflowId;
  readonly cohort: Cohort;
  readonly exclude?: readonly Cohort[];
  /** `--batch N`; the ladder's suggestion when absent. */
  readonly batchSize?: number;
  readonly dryRun: boolean;
  readonly requestedBy: string;
  /**
   * Never-enqueued jobs (issue 4, item 9) instead of given-up ones: built from
   * the workflow's template, with the same gate, ladder, preconditions and approval.
   */
  readonly enqueue?: { readonly ids: readonly string[]; readonly tenant?: string };
}

export type PlanRefusal =
  'blocked' | 'open-batch' | 'ladder' | 'nothing-eligible' | 'precondition' | 'unknown-workflow';

export type PlanReplayResult =
  | {
      readonly kind: 'planned';
      readonly manifest: BatchManifest;
      readonly manifestHash: string;
      readonly ladder: Extract<LadderAllowance, { ok: true }> & { readonly batchNumber: number };
      /** Eligible jobs found; more may exist when `moreEligible`. */
      readonly eligibleFound: number;
      readonly moreEligible: boolean;
      readonly excluded: readonly ExcludedJob[];
      /** What was checked and held, one line each, for the ✓ list. */
      readonly preconditions: readonly string[];
      /** Things the approver should know that do not stop the plan. */
      readonly notes: readonly string[];
      /** What the batch's jobs touch (tenants, failure reasons, hosts); replays only. */
      readonly touches?: CohortSummary;
    }
  | {
      readonly kind: 'refused';
      readonly reason: PlanRefusal;
      readonly message: string;
      readonly details: readonly string[];
    };

/** Planning takes seconds (target checks, probes with their own timeouts); the lease outlives it. */
const PLANNING_LEASE_MS = 60_000;

function refuse(reason: PlanRefusal, message: string, details: readonly string[] = []): PlanReplayResult {
  return { kind: 'refused', reason, message, details };
}

function blockLine(block: GateBlock): string {
  const first = block.failures[0];
  const why = first ? `job ${first.jobId}: ${first.check} failed (${first.reason})` : 'a sample check failed';
  return `${block.workflow} ${block.state} cohort ${block.cohortKey}: ${why}`;
}

/**
 * Runbook step 3 up to the approval request: everything is checked here, in
 * the order that gives the operator the most useful refusal first, and only a
 * plan that passes all of it is stored as a pending manifest.
 *
 * 1. sample checks that failed block the cohort (invariant 4);
 * 2. one open batch per replay: the next waits for its decision and result;
 * 3. the ladder (invariant 3);
 * 4. eligible jobs (given up, well-formed, known handler, target passes, no Stripe 4xx);
 * 5. the workflow's preconditions for exactly those jobs (invariant 5).
 *
 * A dry run goes through every step and is stored (audited) like a real plan,
 * but is never added to the replay's series and can never be approved.
 */
export async function planReplay(
  deps: PlanReplayDeps,
  request: PlanReplayRequest,
): Promise<PlanReplayResult> {
  const result = await planChecked(deps, request);
  // Invariant 7: a refused plan is an attempt too; the audit says who asked for what and why not.
  if (result.kind === 'refused') {
    await deps.store.auditAttempt({
      session: request.sessionId,
      action: 'plan',
      actor: request.requestedBy,
      result: result.reason,
      detail: `${request.workflow}${request.dryRun ? ' (dry run)' : ''}: ${result.message}`,
    });
  }
  return result;
}

async function planChecked(deps: PlanReplayDeps, request: PlanReplayRequest): Promise<PlanReplayResult> {
  const workflow = deps.workflows.find((w) => w.id === request.workflow);
  if (!workflow) return refuse('unknown-workflow', `Unknown workflow ${request.workflow}.`);
  const blocking = blockingFor(await deps.gate.blocks(request.scope, workflow.id), {
    cohort: request.cohort,
    ...(request.exclude ? { exclude: request.exclude } : {}),
  });
  if (blocking.length > 0) {
    return refuse(
      'blocked',
      'A sample of these jobs failed its checks ("stop and ask before replay"). Fix the payloads, sample again until the checks pass, or leave that cohort out with `--exclude`.',
      blocking.map(blockLine),
    );
  }
  // A dry run never joins the series, so it needs no turn.
  if (request.dryRun) return planLocked(deps, workflow, request);
  const token = randomBytes(8).toString('hex');
  if (!(await deps.series.lockPlanning(request.sessionId, workflow.id, token, PLANNING_LEASE_MS))) {
    return refuse(
      'open-batch',
      `Someone is planning the next ${workflow.id} batch of this incident right now; its approval request appears in the thread in a moment.`,
    );
  }
  try {
    return await planLocked(deps, workflow, request);
  } finally {
    await deps.series.unlockPlanning(request.sessionId, workflow.id, token).catch((err: unknown) => {
      deps.logger.warn({ err }, 'releasing the planning lease failed; it expires by itself');
    });
  }
}

/** Steps 2 to 5, holding the replay's planning lease (real batches) so two plans never both become batch N. */
async function planLocked(
  deps: PlanReplayDeps,
  workflow: AnyWorkflow,
  request: PlanReplayRequest,
): Promise<PlanReplayResult> {
  const log = deps.logger.child({ workflow: workflow.id, incident: request.sessionId });
  const now = deps.clock();
  const position = await ladderPosition(
    await deps.series.records(request.sessionId, workflow.id),
    now,
    deps.verify,
  );
  if (position.open && !request.dryRun) {
    const open = position.open;
    return refuse(
      'open-batch',
      open.state === 'done'
        ? `Batch ${open.manifest.batchNumber} (${open.manifest.id}) of this replay is being verified: its result decides the next batch, so wait for it.`
        : `Batch ${open.manifest.batchNumber} (${open.manifest.id}) of this replay is still ${open.state}: wait for its result, or have it denied, before planning the next.`,
    );
  }
  const previous = position.previous;
  const ladderInput = {
    batchNumber: position.batchNumber,
    previousVerified: previous?.verdict.verified ?? false,
    steps: deps.ladder.steps,
    max: deps.ladder.max,
    // Growth is measured from what the previous batch actually replayed, not from what it listed.
    ...(previous ? { previousSize: Math.max(1, previous.verdict.replayed) } : {}),
  };
  const allowance = allowedBatchSize(ladderInput);
  const size = checkBatchSize(request.batchSize, ladderInput);
  if (!allowance.ok || !size.ok) {
    const why = previous && !previous.verdict.verified ? [`Not verified: ${previous.verdict.reason}.`] : [];
    return refuse('ladder', size.ok ? 'The ladder refused this batch.' : size.message, why);
  }

  const found = request.enqueue
    ? await enqueueCandidates(deps, workflow, request.enqueue, size.size)
    : await replayCandidates(deps, workflow, request, size.size);
  if ('nothing' in found) return refuse('nothing-eligible', found.nothing.message, found.nothing.details);

  const preconditions = await checkPreconditions(deps, { workflow: workflow.id, jobs: found.summaries });
  if (!preconditions.ok) {
    return refuse(
      'precondition',
      `The ${workflow.id} preconditions do not hold now, so nothing was planned.`,
      preconditions.reasons,
    );
  }

  const manifest = createBatchManifest(
    {
      sessionId: request.sessionId,
      teamId: request.scope.teamId,
      channelId: request.scope.channelId,
      workflow: workflow.id,
      queue: workflow.queue,
      cohort: { ...request.cohort },
      ...(request.exclude && request.exclude.length > 0
        ? { exclude: request.exclude.map((c) => ({ ...c })) }
        : {}),
      ...(request.enqueue ? { kind: 'enqueue' as const } : {}),
      jobs: found.chosen,
      batchNumber: position.batchNumber,
      requestedBy: request.requestedBy,
      expiresAt: now + deps.approvalTtlMs,
      dryRun: request.dryRun,
    },
    now,
  );
  // Series first: a crash in between leaves an id without a record, which the ladder skips,
  // never a pending batch the ladder cannot see.
  if (!request.dryRun) await deps.series.append(request.sessionId, workflow.id, manifest.id);
  const created = await deps.store.create(manifest);
  if (created.code !== 'created') {
    throw new CodedError(ErrorCode.Unknown, `batch id ${manifest.id} already taken`);
  }
  log.info(
    {
      batchId: manifest.id,
      jobs: manifest.jobs.length,
      batchNumber: manifest.batchNumber,
      dryRun: manifest.dryRun,
    },
    'replay batch planned',
  );
  return {
    kind: 'planned',
    manifest,
    manifestHash: created.manifestHash,
    ladder: { ...allowance, batchNumber: position.batchNumber },
    eligibleFound: found.eligibleFound,
    moreEligible: found.moreEligible,
    excluded: found.excluded,
    preconditions: [
      ...preconditions.held,
      ...(workflow.id === 'billing' ? ['no job whose last failure was a Stripe 4xx'] : []),
    ],
    notes: found.notes,
    ...(request.enqueue
      ? {}
      : { touches: summariseCohorts(found.summaries, found.summaries.length, found.summaries.length) }),
  };
}
