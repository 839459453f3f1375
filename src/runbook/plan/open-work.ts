import type { ReplaySeries } from '../../approvals/replay-series';
import { WORKFLOW_IDS } from '../../workflows';
import type { VerificationStore } from '../verify/verification-store';
import { isOpen } from './ladder-position';

export interface OpenWorkDeps {
  readonly series: Pick<ReplaySeries, 'records'>;
  readonly verifications: Pick<VerificationStore, 'running'>;
}

/**
 * Whether an incident still has work in flight: a batch open by the ladder's
 * rule, or one whose verification is watching. An idle incident with open
 * work is not idle, however long the work takes.
 */
export async function hasOpenWork(deps: OpenWorkDeps, sessionId: string, now: number): Promise<boolean> {
  for (const workflow of WORKFLOW_IDS) {
    for (const record of await deps.series.records(sessionId, workflow)) {
      if (isOpen(record, now)) return true;
      if (record.state === 'done' && (await deps.verifications.running(record.manifest.id))) return true;
    }
  }
  return false;
}
