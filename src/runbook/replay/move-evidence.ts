import type { Redis } from 'ioredis';
import type { KeyOf } from '../../queues/bullmq-reads';
import { eventSeen } from './events-stream';
import { readJob, sameMark, type JobReading } from './job-reading';
import type { FailureMark } from './types';

/**
 * Did a move journaled as `moving` happen? The run that wrote `moving` died (or
 * its Redis call failed) somewhere between that write and the `replayed` write:
 * before the move, or after it. Redis alone can tell which, because of what
 * BullMQ's move is:
 *
 * `Job.retry('failed')` runs reprocessJob.lua, one atomic script that ZREMs the
 * job from `failed`, HDELs `finishedOn` and `processedOn`, and pushes it to
 * wait. It either ran whole or not at all. The `moving` entry holds the job's
 * failure mark (timestamp, processedOn, finishedOn, ats, atm, attemptsMade) read
 * right before the move. So:
 *
 * - still in `failed` with the very same mark: the script never ran (it would
 *   have removed it from `failed` and deleted `finishedOn`), so it is moved now;
 * - not in `failed`: it was moved (it is in wait, active, delayed or completed);
 * - in `failed` again but with another mark: it was moved, ran, and failed
 *   again. Getting back to `failed` takes a run, a run bumps `ats` (we never
 *   reset it: no `resetAttemptsStarted`) and writes new `processedOn` and
 *   `finishedOn`. A fresh failure is exactly the case where a naive "is it
 *   failed? then retry" recovery would move a job twice;
 * - gone: it was moved and then removed (`removeOnComplete`), or removed
 *   without a move. The events stream may still hold our move's `waiting`
 *   event (`prev: failed`); without it the job is reported, not replayed.
 *
 * Every answer but "same mark, still failed" means "do not move", so an
 * ambiguous state can only end as "not moved twice"; and "same mark, still
 * failed" cannot follow a move, so a job is never lost either.
 */
export type MoveEvidence =
  | { readonly moved: true; readonly via: 'state' | 'events' }
  | { readonly moved: false; readonly gone: boolean; readonly reading: JobReading };

/** How far back (by Redis's clock, which stamps stream ids) to look for the move's event. */
export const CLOCK_SLACK_MS = 60_000;

export async function findMove(
  redis: Redis,
  key: KeyOf,
  jobId: string,
  mark: FailureMark,
  movingAt: number,
): Promise<MoveEvidence> {
  const reading = await readJob(redis, key, jobId);
  if (!reading.exists) {
    const seen = await movedPerEvents(redis, key('events'), jobId, movingAt - CLOCK_SLACK_MS);
    return seen ? { moved: true, via: 'events' } : { moved: false, gone: true, reading };
  }
  if (!reading.inFailed || !sameMark(mark, reading.mark)) return { moved: true, via: 'state' };
  return { moved: false, gone: false, reading };
}

/**
 * BullMQ's own record of a retry: reprocessJob XADDs `event waiting jobId <id>
 * prev failed` to `<prefix>:<queue>:events`.
 */
function movedPerEvents(redis: Redis, stream: string, jobId: string, sinceMs: number): Promise<boolean> {
  return eventSeen(
    redis,
    stream,
    sinceMs,
    (value) => value('event') === 'waiting' && value('jobId') === jobId && value('prev') === 'failed',
  );
}
