import { payloadSha256, type EnqueueSpec } from '../../approvals/batch-manifest';
import { execReplies } from '../../queues/redis-replies';
import { eventSeen } from './events-stream';
import { CLOCK_SLACK_MS } from './move-evidence';
import { holdLease, record, type RunContext } from './run-context';
import { ReplayedReason, SkipReason, type JobOutcome, type JournalEntry, type ReplayBatchJob } from './types';

/**
 * `attempts: 1`: a manual enqueue is one supervised attempt, like a replay
 * (replay-job.ts). If it fails, BullMQ puts it straight into `failed`, given up,
 * where the verification sees it at once and only another approved batch can
 * touch it; it never retries on the queue's backoff unsupervised.
 *
 * `removeOnComplete` / `removeOnFail` false: the job hash is the record that
 * this id was enqueued. While it stays, enqueueing the id again is a no-op: the
 * plan excludes it, execution skips it, and BullMQ's add would not overwrite it.
 */
const ADD_OPTIONS = { attempts: 1, removeOnComplete: false, removeOnFail: false } as const;

/** Who, by Redis, created the job under this id. */
type Ownership =
  /** It exists with the `timestamp` this run journaled: this run added it. */
  | 'ours'
  /** It exists with another `timestamp`: someone else added it (another batch, Delphi). */
  | 'another'
  /** It is gone, but BullMQ's events stream shows it was added since the journal entry. */
  | 'added-then-removed'
  | 'never-added';

/**
 * Plain reads (EXISTS, HGET, XRANGE). The `timestamp` field is written once, by
 * BullMQ's add (storeJob.lua), and by nothing else, so it identifies the add.
 */
async function ownership(ctx: RunContext, jobId: string, at: number): Promise<Ownership> {
  const key = ctx.key(jobId);
  const [exists, timestamp] = await execReplies(ctx.redis.multi().exists(key).hget(key, 'timestamp'));
  if (exists === 1) return typeof timestamp === 'string' && Number(timestamp) === at ? 'ours' : 'another';
  const added = await eventSeen(
    ctx.redis,
    ctx.key('events'),
    at - CLOCK_SLACK_MS,
    (value) => value('event') === 'added' && value('jobId') === jobId,
  );
  return added ? 'added-then-removed' : 'never-added';
}

function parseObject(data: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(data);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Every job of an `enqueue` batch, one at a time, each journaled before and
 * after its add. `onSettled(1)` after each.
 */
export async function enqueueJobs(
  ctx: RunContext,
  jobs: readonly ReplayBatchJob[],
  entries: ReadonlyMap<string, JournalEntry | 'unreadable'>,
  onSettled: (count: number) => void,
): Promise<JobOutcome[]> {
  const outcomes: JobOutcome[] = [];
  for (const job of jobs) {
    outcomes.push(await settleEnqueueEntry(ctx, job, entries.get(job.id)));
    onSettled(1);
  }
  return outcomes;
}

async function settleEnqueueEntry(
  ctx: RunContext,
  job: ReplayBatchJob,
  entry: JournalEntry | 'unreadable' | undefined,
): Promise<JobOutcome> {
  // An entry we cannot read might have said `moving` or `replayed`: never guess "not added".
  if (entry === 'unreadable')
    return record(ctx, job.id, { status: 'skipped', reason: SkipReason.UnreadableJournal });
  if (entry?.status === 'replayed' || entry?.status === 'skipped') {
    return { jobId: job.id, status: entry.status, ...(entry.reason ? { reason: entry.reason } : {}) };
  }
  await holdLease(ctx);
  return settleEnqueue(ctx, job, entry);
}

/**
 * Bring one job of an `enqueue` batch to `replayed` (added by this batch) or
 * `skipped`, adding it at most once over every run of the batch.
 *
 * Recovery of a `moving` entry (a crash between the write before the add and
 * the write after it) asks Redis: the job there with this entry's `timestamp`
 * was added by the crashed run (replayed, not added again); a job there with
 * another timestamp is someone else's (skipped); no job and no `added` event
 * means the add never ran, so it runs now, checks included. BullMQ's add of an
 * existing id changes nothing, so even a wrong answer here could not add twice.
 */
export async function settleEnqueue(
  ctx: RunContext,
  job: ReplayBatchJob,
  entry: Exclude<JournalEntry, { status: 'replayed' | 'skipped' }> | undefined,
): Promise<JobOutcome> {
  // The batch schema requires it; a batch that slipped past it adds nothing.
  if (!job.enqueue) return record(ctx, job.id, { status: 'skipped', reason: 'no payload to enqueue' });
  if (entry?.status === 'moving') {
    const found = await ownership(ctx, job.id, entry.at);
    ctx.log.info({ jobId: job.id, found }, 'enqueue recovery: what the crashed run left');
    if (found === 'ours')
      return record(ctx, job.id, { status: 'replayed', reason: ReplayedReason.EnqueueRecovered });
    if (found === 'added-then-removed')
      return record(ctx, job.id, { status: 'replayed', reason: ReplayedReason.EnqueueRecoveredFromEvents });
    if (found === 'another')
      return record(ctx, job.id, { status: 'skipped', reason: SkipReason.AlreadyExists });
  }
  return addJob(ctx, job, job.enqueue);
}

async function addJob(ctx: RunContext, job: ReplayBatchJob, spec: EnqueueSpec): Promise<JobOutcome> {
  // The payload must be the one the approver saw, byte for byte.
  if (payloadSha256(spec.data) !== job.payloadSha256)
    return record(ctx, job.id, { status: 'skipped', reason: SkipReason.PayloadChanged });
  const data = parseObject(spec.data);
  if (!data) return record(ctx, job.id, { status: 'skipped', reason: 'payload is not a JSON object' });
  // Any state counts (waiting, active, completed, failed…): an id already used is never added again.
  if ((await ctx.redis.exists(ctx.key(job.id))) === 1)
    return record(ctx, job.id, { status: 'skipped', reason: SkipReason.AlreadyExists });

  // Again right before the add: the fence that matters is the last one before it.
  await holdLease(ctx);
  const at = Date.now();
  await ctx.journal.write(ctx.batchId, job.id, { status: 'moving', at });
  // BullMQ's own add, one script. `timestamp` is what BullMQ writes anyway
  // (Date.now() when absent); taking it from the journal entry lets recovery and
  // the check below recognise the job as this run's. A failure here (timeout,
  // dropped connection) leaves the entry `moving` for recovery to settle.
  await ctx.queue.add(spec.name, data, { ...ADD_OPTIONS, jobId: job.id, timestamp: at });
  // Between the EXISTS above and the add, another batch may have added the same
  // id: BullMQ's add was then a no-op, and the job is not ours to count.
  if ((await ownership(ctx, job.id, at)) === 'another')
    return record(ctx, job.id, { status: 'skipped', reason: SkipReason.AlreadyExists });
  return record(ctx, job.id, { status: 'replayed', reason: ReplayedReason.Enqueued });
}
