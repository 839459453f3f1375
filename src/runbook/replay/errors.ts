/**
 * Replay errors carry a code a caller can branch on (what to tell the thread)
 * without parsing messages. They stop a batch: the journal keeps what was done,
 * and recovery finishes the rest.
 */
export const ReplayErrorCode = {
  /** Another run holds the batch's lease: it is being executed right now. */
  Busy: 'stuckjobs_replay_busy',
  /** This run's lease expired and another run took the batch over. */
  LeaseLost: 'stuckjobs_replay_lease_lost',
  /** A journal with this batch id exists for different jobs. */
  JournalMismatch: 'stuckjobs_replay_journal_mismatch',
  /** A dry-run manifest was handed over for execution. */
  DryRun: 'stuckjobs_replay_dry_run',
} as const;

export type ReplayErrorCode = (typeof ReplayErrorCode)[keyof typeof ReplayErrorCode];

export class ReplayError extends Error {
  override name = 'ReplayError';
  constructor(
    readonly code: ReplayErrorCode,
    message: string,
    readonly batchId: string,
  ) {
    super(message);
  }
}

export class BatchBusyError extends ReplayError {
  override name = 'BatchBusyError';
  constructor(batchId: string) {
    super(ReplayErrorCode.Busy, `replay batch ${batchId} is being executed by another run`, batchId);
  }
}

export class LeaseLostError extends ReplayError {
  override name = 'LeaseLostError';
  constructor(batchId: string) {
    super(
      ReplayErrorCode.LeaseLost,
      `replay batch ${batchId}: lease lost to another run; stopped before the next move`,
      batchId,
    );
  }
}

export class JournalMismatchError extends ReplayError {
  override name = 'JournalMismatchError';
  constructor(batchId: string) {
    super(
      ReplayErrorCode.JournalMismatch,
      `replay batch ${batchId}: a journal exists for different jobs; nothing was moved`,
      batchId,
    );
  }
}
