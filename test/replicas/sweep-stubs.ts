import type { startRecoverySweep } from '../../handlers/replay/recovery-sweep';
import type { ReconcileResult } from '../../src/runbook/replay/reconcile';
import type { StrandedApprovals } from '../../src/runbook/replay/stranded-approvals';

/** The services a recovery sweep is given. */
export type SweepServices = Parameters<typeof startRecoverySweep>[0];
/** The Slack client a recovery sweep is given. */
export type SweepClient = Parameters<typeof startRecoverySweep>[1];

/** Only what an idle pass touches; the rest of the services is never reached with nothing to recover. */
export function idleServices(resume: () => Promise<ReconcileResult[]>): SweepServices {
  const nothingStranded: StrandedApprovals = { toRun: [], closed: [], busy: 0 };
  const partial = {
    resumeUnfinished: resume,
    strandedApprovals: () => Promise.resolve(nothingStranded),
    batchMessages: { find: () => Promise.resolve(undefined) },
  };
  return partial as unknown as SweepServices;
}
