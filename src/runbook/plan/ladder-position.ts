import type { ApprovalRecord } from '../../approvals/approval-types';
import type { BatchVerdict } from '../verify/batch-verified';

/** Where the next batch of a replay stands on the ladder, from the batches already planned. */
export interface LadderPosition {
  /** 1 until a batch of this replay has replayed something. */
  readonly batchNumber: number;
  /** The last batch that replayed jobs, and whether it unlocks growth. */
  readonly previous?: { readonly record: ApprovalRecord; readonly verdict: BatchVerdict };
  /** A batch awaiting a decision or running: the next one waits for it. */
  readonly open?: ApprovalRecord;
}

/** Awaiting a decision (and unexpired), approved, or running: the replay's next batch waits for it. */
export function isOpen(record: ApprovalRecord, now: number): boolean {
  if (record.state === 'approved' || record.state === 'executing') return true;
  return record.state === 'pending' && record.manifest.expiresAt > now;
}

/**
 * A batch counts once it ran and replayed at least one job. Denied, expired
 * and failed batches (a failed one was stopped before its first move) never
 * count, nor does one whose every job was left out: after any of them the
 * ladder stands where it stood, so a canary that moved nothing is followed by
 * a canary again, and growth is measured from jobs actually replayed.
 */
export async function ladderPosition(
  records: readonly ApprovalRecord[],
  now: number,
  verify: (record: ApprovalRecord) => Promise<BatchVerdict>,
): Promise<LadderPosition> {
  const real = records.filter((record) => !record.manifest.dryRun);
  const open = real.find((record) => isOpen(record, now));
  const done = real.filter((record) => record.state === 'done');
  const verdicts = await Promise.all(done.map((record) => verify(record)));
  const counted = done
    .map((record, i) => ({ record, verdict: verdicts[i] }))
    .filter(
      (entry): entry is { record: ApprovalRecord; verdict: BatchVerdict } =>
        (entry.verdict?.replayed ?? 0) > 0,
    );
  const previous = counted.at(-1);
  // A batch whose verification still watches is as open as one awaiting approval: the next waits for its result.
  const watching = done.find((_, i) => verdicts[i]?.running === true);
  const blocking = open ?? watching;
  return {
    batchNumber: counted.length + 1,
    ...(blocking ? { open: blocking } : {}),
    ...(previous ? { previous } : {}),
  };
}
