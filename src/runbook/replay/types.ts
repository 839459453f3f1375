import { z } from 'zod';
import { enqueueSpecSchema, type EnqueueSpec, type ManifestKind } from '../../approvals/batch-manifest';

/** A BullMQ custom job id: BullMQ refuses `:` and integer ids, and a refusal mid-batch would stall it. */
const ENQUEUE_JOB_ID = /^(?!\d+$)[A-Za-z0-9._-]{1,256}$/;

/**
 * An approved batch, as the approvals module hands it over: the frozen list of
 * job ids with the SHA-256 of each stored payload at plan time (for `enqueue`,
 * of the payload to add, which travels with the job). Parsed at the executor's
 * door, because it also comes back out of Redis on recovery.
 */
export const replayBatchSchema = z
  .object({
    /** Part of Redis keys: no `:`, no spaces. */
    id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'not a batch id'),
    /**
     * Absent means `replay`: journals written before `enqueue` existed have
     * none, and must read back as the very same text (journal.ts compares it).
     */
    kind: z.enum(['replay', 'enqueue']).optional(),
    queuePrefix: z.string().min(1).max(200),
    queue: z.string().min(1).max(200),
    jobs: z
      .array(
        z.object({
          id: z.string().min(1).max(256),
          payloadSha256: z.string().regex(/^[0-9a-f]{64}$/, 'not a lowercase SHA-256 hex digest'),
          enqueue: enqueueSpecSchema.optional(),
          /** The job's `finishedOn` at plan time (see ManifestJob.failedAt). */
          failedAt: z.number().int().nonnegative().optional(),
        }),
      )
      .min(1),
  })
  .superRefine((batch, ctx) => {
    // One journal field per job id: a job listed twice would be a second move.
    const seen = new Set<string>();
    const enqueue = batch.kind === 'enqueue';
    batch.jobs.forEach((job, index) => {
      if (seen.has(job.id)) {
        ctx.addIssue({ code: 'custom', path: ['jobs', index, 'id'], message: `job ${job.id} listed twice` });
      }
      seen.add(job.id);
      // A replay never adds a job, and an enqueue always knows exactly what it adds.
      if (enqueue !== (job.enqueue !== undefined)) {
        const message = enqueue ? 'an enqueue job needs its name and payload' : 'a replay job adds nothing';
        ctx.addIssue({ code: 'custom', path: ['jobs', index, 'enqueue'], message });
      }
      if (enqueue && !ENQUEUE_JOB_ID.test(job.id)) {
        ctx.addIssue({ code: 'custom', path: ['jobs', index, 'id'], message: 'not a BullMQ custom job id' });
      }
    });
  });

export type BatchKind = ManifestKind;

export interface ReplayBatchJob {
  readonly id: string;
  readonly payloadSha256: string;
  /** Only in an `enqueue` batch: the job to add under `id`. */
  readonly enqueue?: EnqueueSpec;
  /** Replays: the job's `finishedOn` at plan time; a job that failed again since is skipped. */
  readonly failedAt?: number;
}

export interface ReplayBatch {
  readonly id: string;
  /** Absent means `replay`. */
  readonly kind?: BatchKind;
  readonly queuePrefix: string;
  readonly queue: string;
  readonly jobs: readonly ReplayBatchJob[];
}

export function batchKind(batch: Pick<ReplayBatch, 'kind'>): BatchKind {
  return batch.kind ?? 'replay';
}

export interface JobOutcome {
  readonly jobId: string;
  readonly status: 'replayed' | 'skipped';
  readonly reason?: string;
}

/** Why a job of an approved batch was not moved; shown in the thread as is. */
export const SkipReason = {
  NotFailed: 'no longer failed',
  FailedAgain: 'failed again since the plan',
  Gone: 'no longer exists',
  PayloadChanged: 'payload changed since the plan',
  AttemptsLeft: 'still has attempts left',
  Unloadable: 'BullMQ cannot load the job',
  UnreadableJournal: 'journal entry unreadable: not moved, to never move a job twice',
  /** Enqueue: a job with this id, in any state, is in the queue and this batch did not add it. */
  AlreadyExists: 'already exists',
} as const;

/** Why a job counts as replayed although this run did not move it. */
export const ReplayedReason = {
  Recovered: 'moved before a restart (confirmed in Redis)',
  RecoveredFromEvents: 'moved before a restart, then removed (confirmed by the events stream)',
  /** Enqueue: this batch added the job. */
  Enqueued: 'enqueued',
  EnqueueRecovered: 'enqueued before a restart (confirmed in Redis)',
  EnqueueRecoveredFromEvents: 'enqueued before a restart, then removed (confirmed by the events stream)',
} as const;

/**
 * The job-hash fields a failure leaves behind, raw. BullMQ's move (reprocessJob)
 * deletes `finishedOn` and `processedOn`, and every later run bumps `ats`
 * (and `atm`, or `attemptsMade` on BullMQ < 5) and writes new timestamps; see
 * move-evidence.ts for why this tells "moved" from "not moved".
 */
export const failureMarkSchema = z.object({
  timestamp: z.string().nullable(),
  processedOn: z.string().nullable(),
  finishedOn: z.string().nullable(),
  ats: z.string().nullable(),
  atm: z.string().nullable(),
  attemptsMade: z.string().nullable(),
});

export type FailureMark = z.infer<typeof failureMarkSchema>;

const at = z.number(); // epoch ms of the write, by the writer's clock

/**
 * One job's line in the journal. A replay's `moving` must carry the mark
 * recovery compares against (one without is settled like an unreadable entry,
 * failing closed); an enqueue's has none: its `at` is also the `timestamp` of the job it
 * adds, which is how recovery recognises that job as this batch's own.
 */
export const journalEntrySchema = z.discriminatedUnion('status', [
  z.object({ status: z.literal('pending'), at }),
  z.object({ status: z.literal('moving'), at, mark: failureMarkSchema.optional() }),
  z.object({ status: z.literal('replayed'), at, reason: z.string().optional() }),
  z.object({ status: z.literal('skipped'), at, reason: z.string() }),
]);

export type JournalEntry = z.infer<typeof journalEntrySchema>;
export type JournalStatus = JournalEntry['status'];

export interface UnfinishedJournal {
  readonly batch: ReplayBatch;
  readonly owner: string | null;
  readonly createdAt: number;
}

/**
 * Where a batch's progress survives a crash (a port: tests wrap it to crash at
 * an exact step). Every write is acknowledged by Redis before the executor
 * takes its next step.
 */
export interface BatchJournal {
  /**
   * Creates the journal with every job `pending`; a no-op when it exists for
   * the same batch. True only for the one call that created it: no run of the
   * batch can have moved anything before that (moves come after a claim,
   * claims after begin), so that run has nothing to read back.
   */
  begin(batch: ReplayBatch): Promise<boolean>;
  /** Exclusive right to execute the batch, for `ttlMs`; false when someone else holds it. */
  claim(batchId: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Extends the claim; false when it was lost (expired and taken). */
  renew(batchId: string, owner: string, ttlMs: number): Promise<boolean>;
  release(batchId: string, owner: string): Promise<void>;
  /** An entry that does not parse comes back as `'unreadable'`: the caller fails closed. */
  entries(batchId: string): Promise<ReadonlyMap<string, JournalEntry | 'unreadable'>>;
  write(batchId: string, jobId: string, entry: JournalEntry): Promise<void>;
  /** Several jobs' entries in one write (a replay chunk's outcomes). */
  writeMany(batchId: string, entries: ReadonlyMap<string, JournalEntry>): Promise<void>;
  /**
   * The batch's move ledger: a hash on Delphi's Redis (job id -> verdict) that
   * the chunk script writes in the same atomic step as its moves (move-ledger.ts).
   */
  ledgerKey(batchId: string): string;
  finish(batchId: string): Promise<void>;
  listUnfinished(): Promise<UnfinishedJournal[]>;
}

/** Ids of the jobs a journal says were replayed; unreadable entries are counted apart (fail closed where it matters). */
export function replayedIn(entries: ReadonlyMap<string, JournalEntry | 'unreadable'>): {
  readonly ids: string[];
  readonly unreadable: number;
} {
  const ids: string[] = [];
  let unreadable = 0;
  for (const [id, entry] of entries) {
    if (entry === 'unreadable') unreadable += 1;
    else if (entry.status === 'replayed') ids.push(id);
  }
  return { ids, unreadable };
}
