import { ErrorCode, Job } from 'bullmq';
import { settleEnqueue } from './enqueue-job';
import { readJob, whyNotReplayable } from './job-reading';
import { findMove } from './move-evidence';
import { holdLease, record, type RunContext } from './run-context';
import { ReplayedReason, SkipReason, type JobOutcome, type JournalEntry, type ReplayBatchJob } from './types';

export type { RunContext } from './run-context';

type PlannedJob = ReplayBatchJob;

/**
 * A replayed job runs again with its attempt count where the worker left it
 * (`atm` = attempts), not reset to 0:
 * - a replay is one supervised attempt. If it fails, BullMQ sees no attempts
 *   left and puts it straight back in `failed` (given up again), where the
 *   verification sees it at once and only another approved batch can touch it.
 *   With `resetAttemptsMade` a failing canary would go back to `delayed` and hit
 *   the upstream `attempts` more times on the queue's backoff, unsupervised;
 *   for billing, "replays that hit a 4xx from Stripe will not heal themselves";
 * - `atm` above `attempts` stays in the job as the trace of a manual replay.
 * `ats` is not reset either: recovery relies on every run bumping it
 * (move-evidence.ts).
 */
const RETRY_OPTIONS = { resetAttemptsMade: false, resetAttemptsStarted: false } as const;

function bullmqErrorCode(error: unknown): unknown {
  return typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
}

/**
 * Bring one job of the batch to `replayed` or `skipped`, moving it at most once
 * over every run of the batch, crashed ones included. An `enqueue` batch's job
 * is added instead of moved, with the same journal discipline (enqueue-job.ts).
 */
export async function settleJob(
  ctx: RunContext,
  job: PlannedJob,
  entry: JournalEntry | 'unreadable' | undefined,
): Promise<JobOutcome> {
  // An entry we cannot read might have said `moving` or `replayed`: never guess "not moved".
  if (entry === 'unreadable')
    return record(ctx, job.id, { status: 'skipped', reason: SkipReason.UnreadableJournal });
  if (entry?.status === 'replayed' || entry?.status === 'skipped') {
    return { jobId: job.id, status: entry.status, ...(entry.reason ? { reason: entry.reason } : {}) };
  }
  await holdLease(ctx);
  if (ctx.kind === 'enqueue') return settleEnqueue(ctx, job, entry);
  if (entry?.status === 'moving') {
    // Without the mark nothing can tell "moved" from "not moved": fail closed, as for an unreadable entry.
    if (!entry.mark) return record(ctx, job.id, { status: 'skipped', reason: SkipReason.UnreadableJournal });
    const evidence = await findMove(ctx.redis, ctx.key, job.id, entry.mark, entry.at);
    if (evidence.moved) {
      const reason =
        evidence.via === 'events' ? ReplayedReason.RecoveredFromEvents : ReplayedReason.Recovered;
      ctx.log.info({ jobId: job.id, via: evidence.via }, 'replay recovery: move had happened');
      return record(ctx, job.id, { status: 'replayed', reason });
    }
    if (evidence.gone) return record(ctx, job.id, { status: 'skipped', reason: SkipReason.Gone });
    // Provably not moved: do what the crashed run was about to do, checks included.
    ctx.log.info({ jobId: job.id }, 'replay recovery: move had not happened; moving now');
  }
  return moveJob(ctx, job);
}

async function moveJob(ctx: RunContext, job: PlannedJob): Promise<JobOutcome> {
  // Right before the move, the job must still be what the approver saw (invariant 4).
  const reading = await readJob(ctx.redis, ctx.key, job.id);
  const refusal = whyNotReplayable(reading, job.payloadSha256, job.failedAt);
  if (refusal) return record(ctx, job.id, { status: 'skipped', reason: refusal });

  let bullJob: Job | undefined;
  try {
    bullJob = await Job.fromId(ctx.queue, job.id);
  } catch (err) {
    // fromId parses `data` as JSON; a payload it cannot parse is left where it is.
    ctx.log.warn({ err, jobId: job.id }, 'replay: BullMQ could not load the job');
    return record(ctx, job.id, { status: 'skipped', reason: SkipReason.Unloadable });
  }
  if (!bullJob) return record(ctx, job.id, { status: 'skipped', reason: SkipReason.Gone });

  // Again right before the move: the fence that matters is the last one before it.
  await holdLease(ctx);
  // Before the move, with the mark recovery compares against (move-evidence.ts).
  await ctx.journal.write(ctx.batchId, job.id, { status: 'moving', at: Date.now(), mark: reading.mark });
  try {
    // BullMQ's own atomic move of this one id (never Queue.retryJobs: it takes the whole failed set).
    await bullJob.retry('failed', RETRY_OPTIONS);
  } catch (err) {
    // These two are the script's own answer: it ran, found nothing to move, and wrote nothing.
    const code = bullmqErrorCode(err);
    if (code === ErrorCode.JobNotInState)
      return record(ctx, job.id, { status: 'skipped', reason: SkipReason.NotFailed });
    if (code === ErrorCode.JobNotExist)
      return record(ctx, job.id, { status: 'skipped', reason: SkipReason.Gone });
    // Anything else (a timeout, a dropped connection) may have moved it or not:
    // the entry stays `moving`, the batch stops, and recovery reads the answer in Redis.
    throw err;
  }
  return record(ctx, job.id, { status: 'replayed' });
}
