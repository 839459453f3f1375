import type { Redis } from 'ioredis';
import type { BatchJournal } from '../replay/types';
import { execReplies } from '../../queues/redis-replies';

export interface BatchVerdict {
  readonly verified: boolean;
  /** One line for the ladder's message: what was seen, or what is missing. */
  readonly reason: string;
  /** Jobs the batch actually replayed: the next batch grows from this, not from the list. */
  readonly replayed: number;
}

export interface BatchVerifiedDeps {
  /** Delphi's Redis: only ZSCORE is read. */
  readonly redis: Redis;
  readonly journal: Pick<BatchJournal, 'entries'>;
  /** `<queuePrefix>:<queue>`. */
  readonly queueKey: string;
}

/**
 * Whether a finished batch unlocks a larger one (invariant 3). For now the
 * rule is the replay issue's placeholder: every job the batch replayed is in
 * the queue's `completed` set. A batch that replayed nothing proves nothing.
 * The verification issue (drain rate, downstream effect, error rate) extends
 * this function; the ladder only ever asks it.
 *
 * A job removed on completion (`removeOnComplete`) cannot be told apart from
 * one that vanished, so it counts as not verified: the operator can still
 * repeat a batch of the same size.
 */
export async function isBatchVerified(deps: BatchVerifiedDeps, batchId: string): Promise<BatchVerdict> {
  const entries = await deps.journal.entries(batchId);
  const replayed = [...entries].filter(([, entry]) => entry !== 'unreadable' && entry.status === 'replayed');
  if (replayed.length === 0) return { verified: false, reason: 'the batch replayed no job', replayed: 0 };
  const pipeline = deps.redis.pipeline();
  for (const [jobId] of replayed) pipeline.zscore(`${deps.queueKey}:completed`, jobId);
  const scores = await execReplies(pipeline);
  const notCompleted = replayed.filter((_, i) => scores[i] === null).length;
  if (notCompleted > 0) {
    return {
      verified: false,
      reason: `${notCompleted} of ${replayed.length} replayed jobs have not completed`,
      replayed: replayed.length,
    };
  }
  return {
    verified: true,
    reason: `all ${replayed.length} replayed jobs completed`,
    replayed: replayed.length,
  };
}
