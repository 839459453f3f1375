import type { ManifestJob } from '../../approvals/batch-manifest';
import type { JobSummary, QueueBackend } from '../../queues/types';
import type { AnyWorkflow } from '../../workflows/types';
import { matches } from '../inspect/sample';
import type { Cohort } from '../inspect/types';
import { findEligible, type EligibilityDeps, type ExcludedJob } from './eligibility';
import { planEnqueue, type EnqueuePlanDeps } from './enqueue-plan';

/** The jobs one batch would move (or add), and what the approver should know about the rest. */
export interface Candidates {
  readonly chosen: readonly ManifestJob[];
  /** The chosen jobs as read now (or as they will be added), for the preconditions and the summary. */
  readonly summaries: readonly JobSummary[];
  readonly eligibleFound: number;
  readonly moreEligible: boolean;
  readonly excluded: readonly ExcludedJob[];
  readonly notes: readonly string[];
}

/** Why nothing can be chosen: the headline and its reasons. */
export interface NoCandidates {
  readonly nothing: { readonly message: string; readonly details: readonly string[] };
}

export type CandidateDeps = EligibilityDeps &
  EnqueuePlanDeps & { readonly backend: Pick<QueueBackend, 'readWindow' | 'readJob'> };

/** Jobs of the cohort still retrying are counted in a window this size per state: enough for the advice. */
const RETRYING_WINDOW = 200;

/** Given-up jobs of the cohort, at most `size`, each frozen with its payload hash and failure time. */
export async function replayCandidates(
  deps: CandidateDeps,
  workflow: AnyWorkflow,
  scope: { readonly cohort: Cohort; readonly exclude?: readonly Cohort[] },
  size: number,
): Promise<Candidates | NoCandidates> {
  // One more than needed tells "exactly N eligible" from "at least N + 1".
  const eligibility = await findEligible(deps, {
    workflow: workflow.id,
    cohort: scope.cohort,
    ...(scope.exclude ? { exclude: scope.exclude } : {}),
    limit: size + 1,
  });
  const chosen = eligibility.eligible.slice(0, size);
  const notes = await retryingNotes(deps, workflow, scope.cohort);
  if (chosen.length === 0) {
    return {
      nothing: {
        message: `No given-up ${workflow.id} job of this cohort can be replayed (${eligibility.scanned} failed jobs looked at).`,
        details: [...summariseExcluded(eligibility.excluded), ...notes],
      },
    };
  }
  return {
    chosen: chosen.map(({ id, payloadSha256, job }) => ({
      id,
      payloadSha256,
      // A job that failed again since the plan (say, on a Stripe 4xx) is not the job that was approved.
      ...(job.finishedAt !== undefined ? { failedAt: job.finishedAt } : {}),
    })),
    summaries: chosen.map((eligible) => eligible.job),
    eligibleFound: eligibility.eligible.length,
    moreEligible: eligibility.eligible.length > size || eligibility.capped,
    excluded: eligibility.excluded,
    notes,
  };
}

/** The first `size` buildable ids, in the operator's order; the rest wait for the next batch. */
export async function enqueueCandidates(
  deps: CandidateDeps,
  workflow: AnyWorkflow,
  enqueue: { readonly ids: readonly string[]; readonly tenant?: string },
  size: number,
): Promise<Candidates | NoCandidates> {
  const plan = await planEnqueue(deps, {
    workflow: workflow.id,
    ids: enqueue.ids,
    ...(enqueue.tenant ? { tenant: enqueue.tenant } : {}),
  });
  if (plan.status === 'refused')
    return { nothing: { message: `Cannot enqueue: ${plan.reason}.`, details: [] } };
  const excludedLines = plan.excluded.map((job) => `${job.id}: ${job.reason}`);
  if (plan.eligible.length === 0) {
    return { nothing: { message: `None of the ${plan.idLabel}s can be enqueued.`, details: excludedLines } };
  }
  const chosen = plan.eligible.slice(0, size);
  const waiting = plan.eligible.length - chosen.length;
  return {
    chosen: chosen.map(({ id, payloadSha256, enqueue: spec }) => ({ id, payloadSha256, enqueue: spec })),
    // As they will be once added: the preconditions look at their targets like any replay's.
    summaries: chosen.map((job) => toBeAdded(job.id, job.enqueue.name, job.payload, job.enqueue.data)),
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

/** A job that does not exist yet, described as the queue will hold it. */
export function toBeAdded(id: string, name: string, data: unknown, rawData: string): JobSummary {
  return { id, name, state: 'waiting', data, rawData, attemptsMade: 0, attemptsAllowed: 1, createdAt: 0 };
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
 * are still retrying (delayed for their next attempt, or waiting to run) are
 * never in a plan, and the approver is told they exist.
 */
async function retryingNotes(deps: CandidateDeps, workflow: AnyWorkflow, cohort: Cohort): Promise<string[]> {
  const windows = await Promise.all(
    (['delayed', 'waiting'] as const).map((state) =>
      deps.backend.readWindow(workflow.queue, state, RETRYING_WINDOW),
    ),
  );
  const retrying = windows.flatMap((w) => w.jobs).filter((job) => matches(job, cohort)).length;
  if (retrying === 0) return [];
  const atLeast = windows.some((w) => w.capped) ? 'at least ' : '';
  return [
    `${atLeast}${retrying} ${workflow.id} job(s) of this cohort are still retrying or waiting to run: they are not in this plan; the queue's retry policy delivers them once the upstream is healthy.`,
  ];
}
