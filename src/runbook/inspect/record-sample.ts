import type { GateBlock, GateScope, ReplayGate } from '../../approvals/replay-gate';
import { cohortKey } from '../../approvals/replay-gate';
import type { QueueBackend } from '../../queues/types';
import type { AnyWorkflow } from '../../workflows/types';
import type { SampleOutcome } from './types';

export interface RecordDeps {
  readonly backend: QueueBackend;
  readonly gate: ReplayGate;
  readonly workflows: readonly AnyWorkflow[];
}

/**
 * Binds a sample to the replay gate. A standing failure is resolved only when
 * its job was re-checked in this sample with every check passing, or it has
 * left the state (retried, removed); `unknown` does not resolve anything.
 */
export async function recordSample(
  deps: RecordDeps,
  scope: GateScope,
  outcome: SampleOutcome,
  by: string,
): Promise<readonly GateBlock[]> {
  const { workflowId, state } = outcome.request;
  const queue = deps.workflows.find((w) => w.id === workflowId)?.queue ?? workflowId;
  const key = cohortKey(outcome.request.cohort);
  const standing = (await deps.gate.blocks(scope, workflowId)).filter(
    (b) => b.state === state && b.cohortKey === key,
  );
  const failingIds = new Set(standing.flatMap((b) => b.failures.map((f) => f.jobId)));
  const resolved = new Set<string>();
  for (const jobId of failingIds) {
    const rechecked = outcome.jobs.find((job) => job.id === jobId);
    if (rechecked) {
      if (rechecked.checks.every((c) => c.status === 'pass')) resolved.add(jobId);
    } else if ((await deps.backend.readJob(queue, state, jobId)) === undefined) {
      resolved.add(jobId);
    }
  }
  await deps.gate.record(scope, outcome, by, resolved);
  return deps.gate.blocks(scope, workflowId);
}
