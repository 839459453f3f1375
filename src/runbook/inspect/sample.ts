import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Logger } from '../../logger';
import type { JobSummary, QueueBackend } from '../../queues/types';
import type { AnyWorkflow, WorkflowId } from '../../workflows/types';
import type { Clock } from '../diagnose';
import { summariseCohorts } from './cohorts';
import { checkHandlerExists, checkWellFormed } from './payload-checks';
import type {
  CheckFailure,
  Cohort,
  PayloadCheck,
  RenderedPayload,
  SampledJob,
  SampleOutcome,
  SampleRequest,
} from './types';

/** Checks a payload's target against the outside world (port: src/checks). */
export interface TargetCheck {
  check(
    workflow: WorkflowId,
    payload: unknown,
  ): Promise<{ readonly status: PayloadCheck['status']; readonly reason: string }>;
}

export interface InspectDeps {
  readonly backend: QueueBackend;
  readonly targets: TargetCheck;
  /** Pretty-prints a stored payload as stored, with secrets and personal data redacted. */
  readonly renderPayload: (raw: string | null) => RenderedPayload;
  /** Redacts free text (failure reasons). */
  readonly redactText: (text: string) => string;
  readonly workflows: readonly AnyWorkflow[];
  readonly platformVersion: string;
  /** Jobs read per state to filter and summarise: bounds the cost whatever the backlog. */
  readonly windowSize: number;
  readonly clock: Clock;
  readonly logger: Logger;
}

export const MAX_SAMPLE = 10;
/** Payloads read in a window at most; larger ones are read one by one, only for the jobs shown. */
export const WINDOW_DATA_MAX_BYTES = 64 * 1024;
export const DEFAULT_SAMPLE = 3;

const tenantOf = z.object({ tenantId: z.string() }).loose();

/** Whether a job belongs to a cohort; shared with replay planning so both select the same jobs. */
export function matches(job: JobSummary, cohort: Cohort): boolean {
  if (cohort.handler !== undefined && job.name !== cohort.handler) return false;
  if (cohort.tenant !== undefined) {
    const data = tenantOf.safeParse(job.data);
    if (!data.success || data.data.tenantId !== cohort.tenant) return false;
  }
  if (
    cohort.reason !== undefined &&
    !(job.failedReason ?? '').toLowerCase().includes(cohort.reason.toLowerCase())
  ) {
    return false;
  }
  return true;
}

/**
 * Runbook step 2, read before you replay: a few stuck jobs, exactly as stored
 * (redacted), each checked for a well-formed payload, an existing target and
 * a known handler. Reads only: nothing is moved, locked or rewritten.
 */
export async function sampleJobs(deps: InspectDeps, request: SampleRequest): Promise<SampleOutcome> {
  const workflow = deps.workflows.find((w) => w.id === request.workflowId);
  if (!workflow) throw new Error(`unknown workflow ${request.workflowId}`);
  const id = `s-${randomUUID().slice(0, 8)}`;
  const log = deps.logger.child({ sample: id, workflow: workflow.id });
  const count = Math.min(MAX_SAMPLE, Math.max(1, Math.floor(request.count)));

  const read = (state: SampleRequest['state']) =>
    deps.backend.readWindow(workflow.queue, state, deps.windowSize, WINDOW_DATA_MAX_BYTES);
  const window = await read(request.state);
  const failedWindow = request.state === 'failed' ? window : await read('failed');
  const matched = window.jobs.filter((job) => matches(job, request.cohort));
  // Jobs shown get their whole payload, however large; the window left it out.
  const chosen = await Promise.all(
    matched
      .slice(0, count)
      .map(async (job) =>
        job.omittedDataBytes === undefined
          ? job
          : ((await deps.backend.readJob(workflow.queue, request.state, job.id)) ?? job),
      ),
  );
  const jobs = await Promise.all(chosen.map((job) => inspectJob(deps, workflow, job)));

  const failures: CheckFailure[] = [];
  const warnings: CheckFailure[] = [];
  for (const job of jobs) {
    for (const check of job.checks) {
      if (check.status === 'fail') failures.push({ jobId: job.id, check: check.check, reason: check.reason });
      if (check.status === 'unknown')
        warnings.push({ jobId: job.id, check: check.check, reason: check.reason });
    }
  }
  log.info({ shown: jobs.length, matched: matched.length, failures: failures.length }, 'sample taken');
  return {
    id,
    request: { ...request, count },
    takenAt: deps.clock.now(),
    platformVersion: deps.platformVersion,
    window: {
      read: window.jobs.length,
      stateCount: window.stateCount,
      matched: matched.length,
      capped: window.capped,
    },
    jobs,
    cohorts: summariseCohorts(failedWindow.jobs, failedWindow.stateCount, deps.windowSize),
    failures,
    warnings,
  };
}

async function inspectJob(deps: InspectDeps, workflow: AnyWorkflow, job: JobSummary): Promise<SampledJob> {
  // Checks run on the real payload; only what is shown is redacted.
  const wellFormed = checkWellFormed(workflow, job.data, job.rawData);
  const target: PayloadCheck =
    wellFormed.status === 'pass'
      ? { check: 'target-exists', ...(await deps.targets.check(workflow.id, job.data)) }
      : { check: 'target-exists', status: 'unknown', reason: 'not checked: the payload is not well-formed' };
  return {
    id: job.id,
    handler: job.name,
    createdAt: job.createdAt,
    attemptsMade: job.attemptsMade,
    attemptsAllowed: job.attemptsAllowed,
    ...(job.failedReason ? { failedReason: deps.redactText(job.failedReason) } : {}),
    payload: deps.renderPayload(job.rawData),
    checks: [
      wellFormed,
      { ...target, reason: deps.redactText(target.reason) },
      checkHandlerExists(workflow, job.name, deps.platformVersion),
    ],
  };
}
