import type { ApprovalRecord } from '../../approvals/approval-types';
import type { BatchVerdict } from '../verify/batch-verified';

/** Where the next batch of a replay stands on the ladder, from the batches already planned. */
export interface LadderPosition {
  /** 1 until a batch of this replay has run. */
  readonly batchNumber: number;
  /** The last batch that ran, and whether it unlocks growth. */
  readonly previous?: { readonly record: ApprovalRecord; readonly verdict: BatchVerdict };
  /** A batch awaiting a decision or running: the next one waits for it. */
  readonly open?: ApprovalRecord;
}

const RAN: ReadonlySet<string> = new Set(['done', 'failed']);

function isOpen(record: ApprovalRecord, now: number): boolean {
  if (record.state === 'approved' || record.state === 'executing') return true;
  return record.state === 'pending' && record.manifest.expiresAt > now;
}

/**
 * Denied and expired batches never ran, so they neither count nor unlock
 * anything: after a denied canary the next plan is a canary again. A batch
 * that failed while running counts as run and is never verified.
 */
export async function ladderPosition(
  records: readonly ApprovalRecord[],
  now: number,
  verify: (record: ApprovalRecord) => Promise<BatchVerdict>,
): Promise<LadderPosition> {
  const real = records.filter((record) => !record.manifest.dryRun);
  const open = real.find((record) => isOpen(record, now));
  const ran = real.filter((record) => RAN.has(record.state));
  const last = ran.at(-1);
  const position = { batchNumber: ran.length + 1, ...(open ? { open } : {}) };
  if (!last) return position;
  const verdict: BatchVerdict =
    last.state === 'failed'
      ? {
          verified: false,
          reason: `batch ${last.manifest.batchNumber} did not finish: ${last.summary ?? 'failed'}`,
        }
      : await verify(last);
  return { ...position, previous: { record: last, verdict } };
}
