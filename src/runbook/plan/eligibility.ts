import { payloadSha256 } from '../../approvals/batch-manifest';
import type { CheckResult, TargetChecker } from '../../checks/types';
import { errorMessage } from '../../errors';
import { isGivenUp } from '../../queues/estimates';
import type { JobSummary, QueueBackend } from '../../queues/types';
import type { AnyWorkflow, WorkflowId } from '../../workflows/types';
import { checkHandlerExists, checkWellFormed } from '../inspect/payload-checks';
import { matches, WINDOW_DATA_MAX_BYTES } from '../inspect/sample';
import type { Cohort } from '../inspect/types';
import { isStripeClientError } from './stripe-4xx';

export interface EligibilityDeps {
  readonly backend: Pick<QueueBackend, 'readWindow' | 'readJob'>;
  /** Bounds its own concurrency and caches per host/object; we only decide which jobs it sees. */
  readonly targets: Pick<TargetChecker, 'check'>;
  readonly workflows: readonly AnyWorkflow[];
  /** Failed jobs read at most: bounds the cost whatever the backlog. */
  readonly windowSize: number;
}

export interface EligibilityRequest {
  readonly workflow: WorkflowId;
  readonly cohort: Cohort;
  readonly exclude?: readonly Cohort[];
  /** Stop once this many eligible jobs are found (the batch size being planned). */
  readonly limit: number;
}

export interface EligibleJob {
  readonly id: string;
  /** SHA-256 of the payload exactly as stored: what the manifest freezes. */
  readonly payloadSha256: string;
  /** As read at plan time: preconditions need its target (a webhook's host) and last failure. */
  readonly job: JobSummary;
}

export interface ExcludedJob {
  readonly id: string;
  /** Never quotes the payload or the failure reason, so it is safe to show as is. */
  readonly reason: string;
}

export interface Eligibility {
  readonly eligible: EligibleJob[];
  readonly excluded: ExcludedJob[];
  /** Failed jobs looked at (window order) before the scan ended. */
  readonly scanned: number;
  /** More jobs may be eligible than found: the window did not reach every failed job, or the limit stopped the scan. */
  readonly capped: boolean;
}

/** The handler check names a platform version; planning has none to hand, and the known list is what matters. */
const PLATFORM = 'the current platform version';

type Screened =
  | { readonly kind: 'out' }
  | { readonly kind: 'excluded'; readonly reason: string }
  | { readonly kind: 'candidate'; readonly job: JobSummary };

/**
 * Runbook step 3: which given-up jobs of a cohort may be replayed (safety
 * invariant 4). Only the `failed` state is read: delayed and waiting jobs are
 * never read, so a job the worker is still retrying can never be eligible.
 * A failed job that still had attempts left (it failed early) is excluded too.
 * Reads only.
 */
export async function findEligible(deps: EligibilityDeps, request: EligibilityRequest): Promise<Eligibility> {
  const workflow = deps.workflows.find((w) => w.id === request.workflow);
  if (!workflow) throw new Error(`unknown workflow ${request.workflow}`);
  const limit = Math.max(0, Math.floor(request.limit));
  const window = await deps.backend.readWindow(
    workflow.queue,
    'failed',
    deps.windowSize,
    WINDOW_DATA_MAX_BYTES,
  );
  const eligible: EligibleJob[] = [];
  const excluded: ExcludedJob[] = [];
  let pending: JobSummary[] = [];
  let scanned = 0;

  // Targets are asked only for jobs that passed everything else, and only as many as
  // the limit still needs; the checker runs them with its own concurrency.
  const flush = async () => {
    const results = await Promise.all(pending.map((job) => checkTarget(deps, workflow.id, job)));
    pending.forEach((job, i) => {
      const result = results[i];
      if (result?.status === 'pass')
        eligible.push({ id: job.id, payloadSha256: payloadSha256(job.rawData), job });
      else
        excluded.push({
          id: job.id,
          reason: `target check ${result?.status ?? 'unknown'}: ${result?.reason ?? ''}`,
        });
    });
    pending = [];
  };

  for (const job of window.jobs) {
    if (eligible.length >= limit) break;
    scanned += 1;
    const screened = await screen(deps, workflow, request, job);
    if (screened.kind === 'excluded') excluded.push({ id: job.id, reason: screened.reason });
    if (screened.kind !== 'candidate') continue;
    pending.push(screened.job);
    if (pending.length >= limit - eligible.length) await flush();
  }
  await flush();
  return { eligible, excluded, scanned, capped: window.capped || scanned < window.jobs.length };
}

async function screen(
  deps: EligibilityDeps,
  workflow: AnyWorkflow,
  request: EligibilityRequest,
  windowJob: JobSummary,
): Promise<Screened> {
  const exclude = request.exclude ?? [];
  let job = windowJob;
  // A tenant filter reads the payload: a large one left out of the window must be read first.
  const needsData = request.cohort.tenant !== undefined || exclude.some((c) => c.tenant !== undefined);
  if (needsData && job.omittedDataBytes !== undefined) {
    const full = await deps.backend.readJob(workflow.queue, 'failed', job.id);
    if (!full) return { kind: 'out' };
    job = full;
  }
  if (!matches(job, request.cohort) || exclude.some((c) => matches(job, c))) return { kind: 'out' };
  if (!isGivenUp(job)) {
    return {
      kind: 'excluded',
      reason: `still has attempts left (${job.attemptsMade} of ${job.attemptsAllowed} used)`,
    };
  }
  if (job.omittedDataBytes !== undefined) {
    const full = await deps.backend.readJob(workflow.queue, 'failed', job.id);
    if (!full) return { kind: 'excluded', reason: 'no longer failed (it moved while planning)' };
    job = full;
  }
  const wellFormed = checkWellFormed(workflow, job.data, job.rawData);
  if (wellFormed.status !== 'pass') {
    return { kind: 'excluded', reason: `payload not well-formed: ${wellFormed.reason}` };
  }
  const handler = checkHandlerExists(workflow, job.name, PLATFORM);
  if (handler.status !== 'pass') return { kind: 'excluded', reason: `unknown handler: ${handler.reason}` };
  if (workflow.id === 'billing' && isStripeClientError(job.failedReason)) {
    return { kind: 'excluded', reason: 'last failure was a Stripe 4xx: a replay would not heal it' };
  }
  return { kind: 'candidate', job };
}

/** The port promises never to reject; if one does anyway, the job is left out, not let through. */
async function checkTarget(
  deps: EligibilityDeps,
  workflow: WorkflowId,
  job: JobSummary,
): Promise<CheckResult> {
  try {
    return await deps.targets.check(workflow, job.data);
  } catch (error) {
    return { check: 'target-exists', status: 'unknown', reason: `the check failed: ${errorMessage(error)}` };
  }
}
