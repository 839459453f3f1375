import { MAX_ENQUEUE_DATA_BYTES, payloadSha256, type EnqueueSpec } from '../../approvals/batch-manifest';
import type { CheckResult, TargetChecker } from '../../checks/types';
import { errorMessage } from '../../errors';
import { enqueueJobId, fillTemplate, isEnqueueId, usesPlaceholder } from '../../workflows/enqueue-template';
import type { AnyWorkflow, EnqueueTemplate, WorkflowId } from '../../workflows/types';
import { checkHandlerExists, checkWellFormed } from '../inspect/payload-checks';
import type { ExcludedJob } from './eligibility';
import type { JobExistence } from './job-existence';

/** One command's ids at most: bounds the target checks one plan can start. */
export const MAX_ENQUEUE_IDS = 1000;

export interface EnqueuePlanDeps {
  readonly workflows: readonly AnyWorkflow[];
  /** Bounds its own concurrency and caches per host/object; every candidate is checked. */
  readonly targets: Pick<TargetChecker, 'check'>;
  /** Delphi's queues, read only. */
  readonly jobs: JobExistence;
}

export interface EnqueuePlanRequest {
  readonly workflow: WorkflowId;
  /** As the operator typed them, in order. */
  readonly ids: readonly string[];
  /** `--tenant`: required when the workflow's template uses `{tenant}`, ignored otherwise. */
  readonly tenant?: string;
}

/**
 * Like eligibility's EligibleJob (`id` and `payloadSha256` are what the manifest
 * freezes), but for a job that does not exist yet, so there is no stored
 * JobSummary: `payload` is what its checks (target, preconditions) read.
 */
export interface EnqueueEligibleJob {
  /** The deterministic BullMQ job id: what the manifest lists. */
  readonly id: string;
  /** The operator's id it was built from. */
  readonly sourceId: string;
  /** SHA-256 of `enqueue.data`, the exact text BullMQ will store. */
  readonly payloadSha256: string;
  /** What the executor adds. */
  readonly enqueue: EnqueueSpec;
  /** `enqueue.data`, parsed. */
  readonly payload: Readonly<Record<string, string>>;
}

export interface EnqueueEligibility {
  /** In the operator's order. */
  readonly eligible: EnqueueEligibleJob[];
  /** By the operator's id (an invalid one has no job id), in the operator's order. */
  readonly excluded: ExcludedJob[];
  readonly queue: string;
  readonly jobName: string;
  /** "recording id": how to name the ids in messages. */
  readonly idLabel: string;
}

/** `refused`: nothing can be planned (no template, no tenant…); `reason` is one line for the operator. */
export type EnqueuePlan =
  | ({ readonly status: 'planned' } & EnqueueEligibility)
  | { readonly status: 'refused'; readonly reason: string };

/** As in eligibility.ts: the known handler list is what matters. */
const PLATFORM = 'the current platform version';

const INVALID_ID = 'not a valid id: 1 to 100 letters, digits, dots, dashes or underscores';

interface Candidate {
  readonly sourceId: string;
  readonly jobId: string;
  readonly payload: Record<string, string>;
  readonly data: string;
}

type Built = { readonly excluded: ExcludedJob } | { readonly candidate: Candidate };

/**
 * Issue 4, item 9: jobs that were never enqueued (e.g. recordings of calls that
 * ended while Ops was down), built from the workflow's template. Each id gets a
 * deterministic job id, so one already in the queue, in any state, is excluded
 * as `already enqueued` and enqueueing the same id twice adds it once. Every
 * built payload passes the same checks as a replay: the workflow's schema, a
 * known handler, and the target check. Reads only.
 */
export async function planEnqueue(deps: EnqueuePlanDeps, request: EnqueuePlanRequest): Promise<EnqueuePlan> {
  const workflow = deps.workflows.find((w) => w.id === request.workflow);
  if (!workflow) throw new Error(`unknown workflow ${request.workflow}`);
  const ready = prepare(workflow, request);
  if ('refused' in ready) return { status: 'refused', reason: ready.refused };
  const { template, tenant } = ready;

  const seen = new Set<string>();
  const built = request.ids.map((id) => {
    const result = build(workflow, template, tenant, id, seen.has(id));
    seen.add(id);
    return result;
  });
  const candidates = built.flatMap((b) => ('candidate' in b ? [b.candidate] : []));
  const taken = await deps.jobs.existing(
    workflow.queue,
    candidates.map((c) => c.jobId),
  );
  // Asked only for what passed everything else; the checker runs them with its own concurrency.
  const toCheck = candidates.filter((c) => !taken.has(c.jobId));
  const results = await Promise.all(toCheck.map((c) => checkTarget(deps, workflow.id, c.payload)));
  const targetOf = new Map(toCheck.map((c, i) => [c.jobId, results[i]]));

  const eligible: EnqueueEligibleJob[] = [];
  const excluded: ExcludedJob[] = [];
  for (const b of built) {
    if ('excluded' in b) {
      excluded.push(b.excluded);
      continue;
    }
    const { sourceId, jobId, data, payload } = b.candidate;
    const target = targetOf.get(jobId);
    if (taken.has(jobId)) excluded.push({ id: sourceId, reason: 'already enqueued' });
    else if (target?.status !== 'pass') {
      excluded.push({
        id: sourceId,
        reason: `target check ${target?.status ?? 'unknown'}: ${target?.reason ?? ''}`,
      });
    } else {
      eligible.push({
        id: jobId,
        sourceId,
        payloadSha256: payloadSha256(data),
        enqueue: { name: template.jobName, data },
        payload,
      });
    }
  }
  return {
    status: 'planned',
    eligible,
    excluded,
    queue: workflow.queue,
    jobName: template.jobName,
    idLabel: template.idLabel,
  };
}

/** What holds for the whole command, before any id is looked at. */
function prepare(
  workflow: AnyWorkflow,
  request: EnqueuePlanRequest,
): { readonly refused: string } | { readonly template: EnqueueTemplate; readonly tenant: string } {
  const template = workflow.enqueue;
  if (!template) {
    return {
      refused: `${workflow.id} jobs cannot be enqueued from an id: the workflow has no enqueue template (workflows.${workflow.id}.enqueue in STUCKJOBS_CONFIG)`,
    };
  }
  const handler = checkHandlerExists(workflow, template.jobName, PLATFORM);
  if (handler.status !== 'pass') return { refused: `the enqueue job name is not usable: ${handler.reason}` };
  if (request.ids.length === 0) return { refused: `no ${template.idLabel}s given` };
  if (request.ids.length > MAX_ENQUEUE_IDS) {
    return { refused: `${request.ids.length} ids given: at most ${MAX_ENQUEUE_IDS} at once` };
  }
  if (!usesPlaceholder(template.template, 'tenant')) return { template, tenant: '' };
  const tenant = request.tenant?.trim() ?? '';
  if (tenant === '') {
    return {
      refused: `--tenant is required for ${workflow.id}: its jobs are built from the tenant and the ${template.idLabel}`,
    };
  }
  if (!isEnqueueId(tenant))
    return { refused: 'not a valid --tenant: 1 to 100 letters, digits, dots, dashes or underscores' };
  return { template, tenant };
}

/** The cheap checks of one id: its form, a repeat, the payload's size and schema. */
function build(
  workflow: AnyWorkflow,
  template: EnqueueTemplate,
  tenant: string,
  id: string,
  repeated: boolean,
): Built {
  if (!isEnqueueId(id)) return { excluded: { id, reason: INVALID_ID } };
  if (repeated) return { excluded: { id, reason: 'listed twice' } };
  const payload = fillTemplate(template.template, { id, tenant });
  const data = JSON.stringify(payload);
  if (Buffer.byteLength(data, 'utf8') > MAX_ENQUEUE_DATA_BYTES) {
    return { excluded: { id, reason: 'payload over 64 KB' } };
  }
  const wellFormed = checkWellFormed(workflow, payload, data);
  if (wellFormed.status !== 'pass') {
    return { excluded: { id, reason: `payload not well-formed: ${wellFormed.reason}` } };
  }
  return { candidate: { sourceId: id, jobId: enqueueJobId(workflow.id, id), payload, data } };
}

/** The port promises never to reject; if one does anyway, the id is left out, not let through. */
async function checkTarget(
  deps: EnqueuePlanDeps,
  workflow: WorkflowId,
  payload: unknown,
): Promise<CheckResult> {
  try {
    return await deps.targets.check(workflow, payload);
  } catch (error) {
    return { check: 'target-exists', status: 'unknown', reason: `the check failed: ${errorMessage(error)}` };
  }
}
