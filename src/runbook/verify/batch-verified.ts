import { replayedIn, type BatchJournal } from '../replay/types';
import type { VerificationStore } from './verification-store';

export interface BatchVerdict {
  readonly verified: boolean;
  /** One line for the ladder's message: what was seen, or what is missing. */
  readonly reason: string;
  /** Jobs the batch actually replayed: the next batch grows from this, not from the list. */
  readonly replayed: number;
  /** Its verification is watching right now: the next batch waits for the result. */
  readonly running?: boolean;
}

export interface BatchVerifiedDeps {
  readonly verifications: Pick<VerificationStore, 'get' | 'running'>;
  readonly journal: Pick<BatchJournal, 'entries'>;
}

/**
 * Whether a batch that ran unlocks a larger one (invariant 3): only a stored
 * verification whose result is `verified` does. Not verified, inconclusive,
 * still running or never run all keep the ladder where it is (a batch of the
 * same size or smaller stays allowed).
 */
export async function isBatchVerified(deps: BatchVerifiedDeps, batchId: string): Promise<BatchVerdict> {
  const verification = await deps.verifications.get(batchId);
  if (verification) {
    const failing = verification.parts.filter((part) => part.status === 'fail' || part.status === 'unknown');
    return {
      verified: verification.status === 'verified',
      replayed: verification.replayed,
      reason:
        verification.status === 'verified'
          ? 'verified'
          : `${verification.status}: ${failing.map((part) => `${part.name} ${part.status} (${part.summary})`).join('; ')}`,
    };
  }
  const replayed = replayedIn(await deps.journal.entries(batchId)).ids.length;
  if (await deps.verifications.running(batchId)) {
    return { verified: false, replayed, running: true, reason: 'its verification is still watching' };
  }
  return {
    verified: false,
    replayed,
    reason: replayed === 0 ? 'the batch replayed no job' : 'its verification has not finished (or never ran)',
  };
}
