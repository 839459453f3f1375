import { findMove } from './move-evidence';
import { outcomeOf, readLedger } from './move-ledger';
import { chunkArgs, readChunk, runChunk, type ChunkVerdict } from './replay-chunk';
import { holdLease, type RunContext } from './run-context';
import { ReplayedReason, SkipReason, type JobOutcome, type JournalEntry, type ReplayBatchJob } from './types';

export type { RunContext } from './run-context';

type Entries = ReadonlyMap<string, JournalEntry | 'unreadable'>;

/**
 * A replayed job runs again with its attempt count where the worker left it
 * (`atm` = attempts), not reset to 0, exactly as
 * `Job.retry('failed', { resetAttemptsMade: false, resetAttemptsStarted: false })`:
 * - a replay is one supervised attempt. If it fails, BullMQ sees no attempts
 *   left and puts it straight back in `failed` (given up again), where the
 *   verification sees it at once and only another approved batch can touch it.
 *   With `resetAttemptsMade` a failing canary would go back to `delayed` and hit
 *   the upstream `attempts` more times on the queue's backoff, unsupervised;
 *   for billing, "replays that hit a 4xx from Stripe will not heal themselves";
 * - `atm` above `attempts` stays in the job as the trace of a manual replay.
 * `ats` is not reset either (move-evidence.ts relies on every run bumping it).
 */
function entryOf(outcome: JobOutcome, at: number): JournalEntry {
  return outcome.status === 'replayed'
    ? { status: 'replayed', at, ...(outcome.reason ? { reason: outcome.reason } : {}) }
    : { status: 'skipped', at, reason: outcome.reason ?? 'skipped' };
}

/**
 * Bring every job of a replay batch to `replayed` or `skipped`, moving each at
 * most once over every run of the batch, crashed ones included:
 *
 * 1. `replayed` / `skipped` in the journal: settled; left alone. An unreadable
 *    entry is skipped (it might have said `replayed`: never guess "not moved").
 * 2. Any other job with a verdict in the move ledger: an earlier run's chunk
 *    script settled it and the crash came before the journal copy. Copied.
 * 3. A `moving` entry (written by the one-at-a-time engine this one replaced,
 *    for a journal left unfinished across the upgrade): Redis decides, as it
 *    did then (move-evidence.ts); one without its mark is skipped.
 * 4. The rest, in chunks: one chunk script each (replay-chunk.ts), which checks
 *    and moves atomically and writes the ledger; its verdicts are then copied
 *    into the journal, and progress is reported.
 *
 * `onSettled(n)`: n more jobs are settled and journaled. `fresh`: this run
 * created the journal, so no job can be `moving` (step 3) and the ledger is
 * not read ahead (step 2): should another run have moved some in between, the
 * chunk script answers their earlier verdict instead of moving them.
 */
export async function replayJobs(
  ctx: RunContext,
  jobs: readonly ReplayBatchJob[],
  entries: Entries,
  onSettled: (count: number) => void,
  options: { readonly fresh?: boolean } = {},
): Promise<JobOutcome[]> {
  const outcomes = new Map<string, JobOutcome>();
  const copy = new Map<string, JournalEntry>();
  const open: ReplayBatchJob[] = [];
  for (const job of jobs) {
    const entry = entries.get(job.id);
    if (entry === 'unreadable') {
      const outcome: JobOutcome = { jobId: job.id, status: 'skipped', reason: SkipReason.UnreadableJournal };
      outcomes.set(job.id, outcome);
      copy.set(job.id, entryOf(outcome, Date.now()));
    } else if (entry?.status === 'replayed' || entry?.status === 'skipped') {
      outcomes.set(job.id, {
        jobId: job.id,
        status: entry.status,
        ...(entry.reason ? { reason: entry.reason } : {}),
      });
    } else {
      open.push(job);
    }
  }

  const toMove: ReplayBatchJob[] = [];
  if (options.fresh) {
    toMove.push(...open);
  } else if (open.length > 0) {
    await holdLease(ctx);
    const ledger = await readLedger(
      ctx.redis,
      ctx.ledgerKey,
      open.map((job) => job.id),
    );
    for (const job of open) {
      const verdict = ledger.get(job.id);
      const entry = entries.get(job.id);
      if (verdict !== undefined) {
        const outcome = outcomeOf(job.id, verdict, true);
        ctx.log.info({ jobId: job.id, verdict }, 'replay recovery: the move ledger had settled the job');
        outcomes.set(job.id, outcome);
        copy.set(job.id, entryOf(outcome, Date.now()));
      } else if (entry !== undefined && entry !== 'unreadable' && entry.status === 'moving') {
        const outcome = await settleLegacyMoving(ctx, job, entry);
        if (outcome) {
          outcomes.set(job.id, outcome);
          copy.set(job.id, entryOf(outcome, Date.now()));
        } else {
          toMove.push(job);
        }
      } else {
        toMove.push(job);
      }
    }
  }
  if (copy.size > 0) await ctx.journal.writeMany(ctx.batchId, copy);
  onSettled(outcomes.size);

  await moveInChunks(
    ctx,
    toMove,
    (verdicts) => {
      for (const { jobId, verdict, earlier } of verdicts)
        outcomes.set(jobId, outcomeOf(jobId, verdict, earlier));
    },
    onSettled,
  );

  return jobs.map(
    (job) =>
      outcomes.get(job.id) ?? { jobId: job.id, status: 'skipped', reason: SkipReason.UnreadableJournal },
  );
}

/**
 * A `moving` entry of the previous engine: undefined when provably not moved
 * (the caller moves it now, every check included), else its outcome.
 */
async function settleLegacyMoving(
  ctx: RunContext,
  job: ReplayBatchJob,
  entry: Extract<JournalEntry, { status: 'moving' }>,
): Promise<JobOutcome | undefined> {
  // Without the mark nothing can tell "moved" from "not moved": fail closed, as for an unreadable entry.
  if (!entry.mark) return { jobId: job.id, status: 'skipped', reason: SkipReason.UnreadableJournal };
  const evidence = await findMove(ctx.redis, ctx.key, job.id, entry.mark, entry.at);
  if (evidence.moved) {
    const reason = evidence.via === 'events' ? ReplayedReason.RecoveredFromEvents : ReplayedReason.Recovered;
    ctx.log.info({ jobId: job.id, via: evidence.via }, 'replay recovery: move had happened');
    return { jobId: job.id, status: 'replayed', reason };
  }
  if (evidence.gone) return { jobId: job.id, status: 'skipped', reason: SkipReason.Gone };
  ctx.log.info({ jobId: job.id }, 'replay recovery: move had not happened; moving now');
  return undefined;
}

/** Swallows a rejection until the promise is awaited, so a failure elsewhere first is not "unhandled". */
function later<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/**
 * The chunks one after another, with Redis and Node working at the same time:
 * reads run two chunks ahead, and the next chunk's checks (hashing its
 * payloads) are computed while this chunk's script runs in Redis. Only one
 * chunk script is ever in flight, and each starts after the previous chunk's
 * journal copy was acknowledged, so a job the journal still calls `pending`
 * has not moved unless its own chunk was the last one sent. A read made early
 * cannot move a job wrongly: the script re-checks every job against Redis and
 * its ledger in the same atomic step. The lease is renewed once a third of it
 * has passed: it keeps a second run from starting; exactly-once is the
 * ledger's job.
 */
async function moveInChunks(
  ctx: RunContext,
  jobs: readonly ReplayBatchJob[],
  onVerdicts: (verdicts: readonly ChunkVerdict[]) => void,
  onSettled: (count: number) => void,
): Promise<void> {
  const chunks: ReplayBatchJob[][] = [];
  for (let start = 0; start < jobs.length; start += ctx.chunkSize) {
    chunks.push(jobs.slice(start, start + ctx.chunkSize));
  }
  if (chunks.length === 0) return;
  await holdLease(ctx);
  let renewedAt = performance.now();
  const reads = chunks.map((chunk, k) => (k < READ_AHEAD ? later(readChunk(ctx, chunk)) : undefined));
  let args = chunkArgs(ctx, chunks[0]!, await reads[0]!);
  for (let k = 0; k < chunks.length; k++) {
    const chunk = chunks[k]!;
    if (performance.now() - renewedAt > ctx.leaseMs / 3) {
      await holdLease(ctx);
      renewedAt = performance.now();
    }
    const moving = later(runChunk(ctx, chunk, args));
    const ahead = chunks[k + READ_AHEAD];
    if (ahead) reads[k + READ_AHEAD] = later(readChunk(ctx, ahead));
    const following = chunks[k + 1];
    if (following) args = chunkArgs(ctx, following, await reads[k + 1]!);
    const verdicts = await moving;
    onVerdicts(verdicts);
    const at = Date.now();
    const copy = new Map(
      verdicts.map((v) => [v.jobId, entryOf(outcomeOf(v.jobId, v.verdict, v.earlier), at)]),
    );
    const moved = verdicts.filter((v) => v.verdict === 'moved' && !v.earlier).length;
    ctx.log.debug({ chunk: k, jobs: chunk.length, moved }, 'replay chunk settled');
    await ctx.journal.writeMany(ctx.batchId, copy);
    onSettled(chunk.length);
  }
}

/** Chunks read ahead of the one moving: enough that the next chunk's read is back before its turn. */
const READ_AHEAD = 2;
