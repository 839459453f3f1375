import type { ApprovalRecord } from '../../approvals/approval-types';
import type { ApprovalStore } from '../../approvals/approval-store';
import { createBatchManifest, type BatchManifest } from '../../approvals/batch-manifest';
import { allowedBatchSize, checkBatchSize, type LadderAllowance } from '../../approvals/ladder';
import type { GateBlock, GateScope, ReplayGate } from '../../approvals/replay-gate';
import type { ReplaySeries } from '../../approvals/replay-series';
import type { Logger } from '../../logger';
import type { QueueBackend } from '../../queues/types';
import type { AnyWorkflow, WorkflowId } from '../../workflows/types';
import { summariseCohorts } from '../inspect/cohorts';
import { matches } from '../inspect/sample';
import type { Cohort, CohortSummary } from '../inspect/types';
import type { BatchVerdict } from '../verify/batch-verified';
import type { ManifestJob } from '../../approvals/batch-manifest';
import type { JobSummary } from '../../queues/types';
import { findEligible, type EligibilityDeps, type ExcludedJob } from './eligibility';
import { planEnqueue } from './enqueue-plan';
import type { JobExistence } from './job-existence';
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
  readonly store: Pick<ApprovalStore, 'create'>;
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

/** Jobs of the cohort still retrying are counted in a window this size: enough for the advice. */
const RETRYING_WINDOW = 200;

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
  const workflow = deps.workflows.find((w) => w.id === request.workflow);
  if (!workflow) return refuse('unknown-workflow', `Unknown workflow ${request.workflow}.`);
  const log = deps.logger.child({ workflow: workflow.id, session: request.sessionId });
  const scope = { cohort: request.cohort, ...(request.exclude ? { exclude: request.exclude } : {}) };

  const blocking = blockingFor(await deps.gate.blocks(request.scope, workflow.id), scope);
  if (blocking.length > 0) {
    return refuse(
      'blocked',
      'A sample of these jobs failed its checks ("stop and ask before replay"). Fix the payloads, sample again until the checks pass, or leave that cohort out with `--exclude`.',
      blocking.map(blockLine),
    );
  }

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
      `Batch ${open.manifest.batchNumber} (${open.manifest.id}) of this replay is still ${open.state}: wait for its result, or have it denied, before planning the next.`,
    );
  }
  const previous = position.previous;
  const ladderInput = {
    batchNumber: position.batchNumber,
    previousVerified: previous?.verdict.verified ?? false,
    steps: deps.ladder.steps,
    max: deps.ladder.max,
    ...(previous ? { previousSize: previous.record.manifest.jobs.length } : {}),
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
  if ('refused' in found) return found.refused;
  const { chosen, moreEligible, excluded, notes, eligibleFound } = found;

  const preconditions = await checkPreconditions(deps, {
    workflow: workflow.id,
    jobs: found.summaries,
  });
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
      ...(request.enqueue ? { kind: 'enqueue' as const } : {}),
      jobs: chosen,
      batchNumber: position.batchNumber,
      requestedBy: request.requestedBy,
      expiresAt: now + deps.approvalTtlMs,
      dryRun: request.dryRun,
    },
    now,
  );
  const created = await deps.store.create(manifest);
  if (created.code !== 'created') throw new Error(`batch id ${manifest.id} already taken`);
  if (!request.dryRun) await deps.series.append(request.sessionId, workflow.id, manifest.id);
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
    eligibleFound,
    moreEligible,
    excluded,
    preconditions: preconditionLines(workflow.id, manifest.jobs.length),
    notes,
    ...(found.summaries.length > 0
      ? { touches: summariseCohorts(found.summaries, found.summaries.length, found.summaries.length) }
      : {}),
  };
}

interface Candidates {
  readonly chosen: readonly ManifestJob[];
  /** As read now, for the preconditions (empty for jobs that do not exist yet). */
  readonly summaries: readonly JobSummary[];
  readonly eligibleFound: number;
  readonly moreEligible: boolean;
  readonly excluded: readonly ExcludedJob[];
  readonly notes: readonly string[];
}

async function replayCandidates(
  deps: PlanReplayDeps,
  workflow: AnyWorkflow,
  request: PlanReplayRequest,
  size: number,
): Promise<Candidates | { readonly refused: PlanReplayResult }> {
  // One more than needed tells "exactly N eligible" from "at least N + 1".
  const eligibility = await findEligible(deps, {
    workflow: workflow.id,
    cohort: request.cohort,
    ...(request.exclude ? { exclude: request.exclude } : {}),
    limit: size + 1,
  });
  const chosen = eligibility.eligible.slice(0, size);
  const notes = await retryingNotes(deps, workflow, request.cohort);
  if (chosen.length === 0) {
    return {
      refused: refuse(
        'nothing-eligible',
        `No given-up ${workflow.id} job of this cohort can be replayed (${eligibility.scanned} failed jobs looked at).`,
        [...summariseExcluded(eligibility.excluded), ...notes],
      ),
    };
  }
  return {
    chosen: chosen.map(({ id, payloadSha256 }) => ({ id, payloadSha256 })),
    summaries: chosen.map((eligible) => eligible.job),
    eligibleFound: eligibility.eligible.length,
    moreEligible: eligibility.eligible.length > size || eligibility.capped,
    excluded: eligibility.excluded,
    notes,
  };
}

/** The first `size` buildable ids, in the operator's order; the rest wait for the next batch. */
async function enqueueCandidates(
  deps: PlanReplayDeps,
  workflow: AnyWorkflow,
  enqueue: NonNullable<PlanReplayRequest['enqueue']>,
  size: number,
): Promise<Candidates | { readonly refused: PlanReplayResult }> {
  const plan = await planEnqueue(deps, {
    workflow: workflow.id,
    ids: enqueue.ids,
    ...(enqueue.tenant ? { tenant: enqueue.tenant } : {}),
  });
  if (plan.status === 'refused')
    return { refused: refuse('nothing-eligible', `Cannot enqueue: ${plan.reason}.`) };
  const excludedLines = plan.excluded.map((job) => `${job.id}: ${job.reason}`);
  if (plan.eligible.length === 0) {
    return {
      refused: refuse('nothing-eligible', `None of the ${plan.idLabel}s can be enqueued.`, excludedLines),
    };
  }
  const chosen = plan.eligible.slice(0, size);
  const waiting = plan.eligible.length - chosen.length;
  return {
    chosen: chosen.map(({ id, payloadSha256, enqueue: spec }) => ({ id, payloadSha256, enqueue: spec })),
    summaries: [],
    eligibleFound: plan.eligible.length,
    moreEligible: false,
    excluded: plan.excluded,
    notes: [
      ...(waiting > 0
        ? [
            `${waiting} more ${plan.idLabel}(s) wait for the next batch: run the same command again once this one is verified (ids already enqueued are skipped).`,
          ]
        : []),
      ...excludedLines.slice(0, 5).map((line) => `left out: ${line}`),
    ],
  };
}

/** What held, in the words of invariant 5, for the approver's ✓ list. */
function preconditionLines(workflow: WorkflowId, jobs: number): string[] {
  switch (workflow) {
    case 'recordings':
      return ['RECORDING_ENABLED is on', 'the recordings bucket answers'];
    case 'billing':
      return ['Stripe is reachable', 'no job whose last failure was a Stripe 4xx'];
    case 'webhooks':
      return [`the tenant endpoint(s) of all ${jobs} jobs answer healthy now`];
  }
}

/** The most common reasons first, so a refusal says what to fix. */
function summariseExcluded(excluded: readonly ExcludedJob[]): string[] {
  const counts = new Map<string, number>();
  for (const job of excluded) {
    const reason = job.reason.replace(/\(\d+ of \d+ used\)/, '').trim();
    counts.set(reason, (counts.get(reason) ?? 0) + 1);
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([reason, n]) => `${n} left out: ${reason}`);
}

/**
 * Runbook step 3 prefers the queue's own retry policy: jobs of the cohort that
 * are still retrying are never in a plan, and the approver is told they exist.
 */
async function retryingNotes(deps: PlanReplayDeps, workflow: AnyWorkflow, cohort: Cohort): Promise<string[]> {
  const window = await deps.backend.readWindow(workflow.queue, 'delayed', RETRYING_WINDOW);
  const retrying = window.jobs.filter((job) => matches(job, cohort)).length;
  if (retrying === 0) return [];
  const atLeast = window.capped ? 'at least ' : '';
  return [
    `${atLeast}${retrying} ${workflow.id} job(s) of this cohort are still retrying: they are not in this plan; the queue's retry policy delivers them once the upstream is healthy.`,
  ];
}
