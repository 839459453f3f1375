import type { Redis } from 'ioredis';
import { asNullableStrings, execReplies } from '../../queues/redis-replies';
import type { CompletedJob, VerificationPart } from './types';

export interface JobOutcomes {
  readonly completed: readonly CompletedJob[];
  /** Back in `failed` with the new reason: the replay did not heal them. */
  readonly failedAgain: readonly { readonly id: string; readonly reason: string }[];
  /** Waiting, active or retrying still: the watch may end before they do. */
  readonly pending: readonly string[];
  /** No longer in Redis (removed on completion, or by someone): cannot be told. */
  readonly gone: readonly string[];
}

const FIELDS = ['data', 'returnvalue', 'failedReason'] as const;

function parse(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * Where each replayed job is now: plain reads of the queue's sets and the
 * job hashes, one pipeline for the whole batch (invariant 1 holds for
 * verification too).
 */
export async function followJobs(
  redis: Redis,
  queueKey: string,
  jobIds: readonly string[],
): Promise<JobOutcomes> {
  const pipeline = redis.pipeline();
  for (const id of jobIds) {
    pipeline.zscore(`${queueKey}:completed`, id);
    pipeline.zscore(`${queueKey}:failed`, id);
    pipeline.hmget(`${queueKey}:${id}`, ...FIELDS);
  }
  const replies = jobIds.length === 0 ? [] : await execReplies(pipeline);
  const completed: CompletedJob[] = [];
  const failedAgain: { id: string; reason: string }[] = [];
  const pending: string[] = [];
  const gone: string[] = [];
  jobIds.forEach((id, i) => {
    const [inCompleted, inFailed, fields] = [replies[i * 3], replies[i * 3 + 1], replies[i * 3 + 2]];
    const [data, returnvalue, failedReason] = asNullableStrings(fields);
    if (inCompleted !== null)
      completed.push({ id, data: parse(data ?? null), returnvalue: returnvalue ?? null });
    else if (inFailed !== null) failedAgain.push({ id, reason: failedReason ?? 'no reason recorded' });
    else if (data === null || data === undefined) gone.push(id);
    else pending.push(id);
  });
  return { completed, failedAgain, pending, gone };
}

/** Lines shown under a part: the first of each kind, then a count. */
const DETAIL_LINES = 20;

/** "Every replayed job followed to completed or failed again (with the new failure reason)". */
export function jobsPart(outcomes: JobOutcomes, replayed: number, unreadable = 0): VerificationPart {
  const details = [
    ...outcomes.failedAgain.map((job) => `job ${job.id} failed again: ${job.reason}`),
    ...outcomes.pending.map((id) => `job ${id} has not finished yet`),
    ...outcomes.gone.map((id) => `job ${id} is gone from Redis (removed on completion?)`),
  ].slice(0, DETAIL_LINES);
  const done = `${outcomes.completed.length} of ${replayed} replayed jobs completed`;
  if (replayed === 0) return { name: 'jobs', status: 'fail', summary: 'the batch replayed no job', details };
  if (outcomes.failedAgain.length > 0) {
    return {
      name: 'jobs',
      status: 'fail',
      summary: `${done}; ${outcomes.failedAgain.length} failed again`,
      details,
    };
  }
  if (unreadable > 0) {
    // A journal line we cannot read may be a replayed job we cannot follow: never a pass.
    return {
      name: 'jobs',
      status: 'unknown',
      summary: `${done}; ${unreadable} journal entr${unreadable === 1 ? 'y is' : 'ies are'} unreadable`,
      details,
    };
  }
  if (outcomes.pending.length > 0 || outcomes.gone.length > 0) {
    return {
      name: 'jobs',
      status: 'unknown',
      summary: `${done}; the rest could not be followed to the end`,
      details,
    };
  }
  return { name: 'jobs', status: 'pass', summary: done, details };
}
