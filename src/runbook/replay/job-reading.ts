import type { Redis } from 'ioredis';
import { payloadSha256 } from '../../approvals/batch-manifest';
import type { KeyOf } from '../../queues/bullmq-reads';
import { attemptsAllowedFrom } from '../../queues/job-summary';
import { asNullableStrings, execReplies } from '../../queues/redis-replies';
import { SkipReason, type FailureMark } from './types';

/** Everything the pre-move check and the recovery need, read in one MULTI (one instant). */
const FIELDS = [
  'data',
  'opts',
  'timestamp',
  'processedOn',
  'finishedOn',
  'ats',
  'atm',
  'attemptsMade',
] as const;

export interface JobReading {
  readonly exists: boolean;
  readonly inFailed: boolean;
  /** The stored payload, byte for byte: what the plan hashed. */
  readonly rawData: string | null;
  readonly attemptsMade: number;
  readonly attemptsAllowed: number;
  readonly mark: FailureMark;
}

function intOr(value: string | null, fallback: number): number {
  if (value === null || value === '') return fallback;
  const parsed = Number.parseInt(value, 10);
  return Number.isFinite(parsed) ? parsed : fallback;
}

/** Plain reads (ZSCORE, EXISTS, HMGET): checking a job never writes to Delphi's keys. */
export async function readJob(redis: Redis, key: KeyOf, jobId: string): Promise<JobReading> {
  const replies = await execReplies(
    redis
      .multi()
      .zscore(key('failed'), jobId)
      .exists(key(jobId))
      .hmget(key(jobId), ...FIELDS),
  );
  const values = asNullableStrings(replies[2]);
  const field = (name: (typeof FIELDS)[number]): string | null => values[FIELDS.indexOf(name)] ?? null;
  return {
    inFailed: replies[0] !== null,
    exists: replies[1] === 1,
    rawData: field('data'),
    // BullMQ 5+ writes `atm`; older versions `attemptsMade`.
    attemptsMade: intOr(field('atm'), intOr(field('attemptsMade'), 0)),
    attemptsAllowed: attemptsAllowedFrom(field('opts')),
    mark: {
      timestamp: field('timestamp'),
      processedOn: field('processedOn'),
      finishedOn: field('finishedOn'),
      ats: field('ats'),
      atm: field('atm'),
      attemptsMade: field('attemptsMade'),
    },
  };
}

/**
 * The check right before a move (invariant 4): the job must still be what was
 * approved. Returns why not, or undefined when it may move.
 */
export function whyNotReplayable(job: JobReading, payloadSha: string, failedAt?: number): string | undefined {
  if (!job.exists) return SkipReason.Gone;
  if (!job.inFailed) return SkipReason.NotFailed;
  if (failedAt !== undefined && job.mark.finishedOn !== String(failedAt)) return SkipReason.FailedAgain;
  // The same hash function as the plan's, so "unchanged" means the same bytes.
  if (payloadSha256(job.rawData) !== payloadSha) return SkipReason.PayloadChanged;
  // A failed job with attempts left failed early (e.g. UnrecoverableError): not given up.
  if (job.attemptsMade < job.attemptsAllowed) return SkipReason.AttemptsLeft;
  return undefined;
}

export function sameMark(a: FailureMark, b: FailureMark): boolean {
  return (Object.keys(a) as (keyof FailureMark)[]).every((name) => a[name] === b[name]);
}
