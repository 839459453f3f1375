import type { Redis } from 'ioredis';
import { silentLogger } from '../../src/logger';
import { RedisBatchJournal } from '../../src/runbook/replay/journal';
import type { JournalEntry } from '../../src/runbook/replay/types';
import { movesOutOfFailed } from '../lib/move-events';
import type { SeededIncident } from './seed';

/**
 * One incident checked against Redis, not against what the bot said: BullMQ's
 * own events stream (one `waiting` event with `prev: failed` per job the
 * replay moved: the chunk script writes it as Job.retry does), each batch's
 * manifest, state and journal, and where every seeded job is now.
 */

export interface BatchTruth {
  readonly batchId: string;
  readonly state: string;
  readonly jobs: readonly string[];
  /** Journal entries by status (`replayed`, `skipped`, …). */
  readonly journal: Readonly<Record<string, number>>;
}

export interface IncidentTruth {
  readonly batches: readonly BatchTruth[];
  /** Jobs the journals say were replayed (summed over the incident's batches). */
  readonly replayed: number;
  /** `waiting` events with prev `failed` for this incident's jobs. */
  readonly moves: number;
  /**
   * Jobs an approved batch held that are neither moved-and-journaled nor still
   * in `failed`, plus given-up jobs no batch held that left `failed`: each one
   * a job the run cannot account for.
   */
  readonly lost: readonly string[];
  /** Jobs moved more than once, journaled replayed by two batches, or delivered twice. */
  readonly duplicated: readonly string[];
  /** Jobs that moved though no approved batch held them (denied, expired, never-replay). */
  readonly movedUnapproved: readonly string[];
  /** Never-replay jobs no longer where they were (delayed, or failed with attempts left / Stripe 4xx). */
  readonly neverReplayDisturbed: readonly string[];
  /** Replayed webhook jobs the tenant has not received (yet): informational. */
  readonly undelivered: number;
}

/** States of a batch that an approver approved. */
const APPROVED_STATES = new Set(['approved', 'executing', 'done', 'failed']);

interface ReadBatch {
  readonly truth: BatchTruth;
  readonly entries: ReadonlyMap<string, JournalEntry | 'unreadable'>;
}

async function readBatch(
  redis: Redis,
  journal: RedisBatchJournal,
  statePrefix: string,
  batchId: string,
): Promise<ReadBatch> {
  const [state, manifest] = await redis.hmget(`${statePrefix}:batch:${batchId}`, 'state', 'manifest');
  const jobs = (JSON.parse(manifest ?? '{"jobs":[]}') as { jobs: { id: string }[] }).jobs.map((j) => j.id);
  const entries = await journal.entries(batchId);
  const counts: Record<string, number> = {};
  for (const entry of entries.values()) {
    const status = entry === 'unreadable' ? entry : entry.status;
    counts[status] = (counts[status] ?? 0) + 1;
  }
  return { truth: { batchId, state: state ?? 'missing', jobs, journal: counts }, entries };
}

export interface TruthInput {
  readonly redis: Redis;
  readonly queuePrefix: string;
  readonly statePrefix: string;
  readonly seeded: SeededIncident;
  readonly batchIds: readonly string[];
  /** The events stream's newest id before the incident began. */
  readonly eventsMark: string;
  /** Deliveries the tenant stand-in counted for a conversation id (webhooks). */
  readonly deliveries?: (conversationId: string) => number;
}

export async function checkIncident(input: TruthInput): Promise<IncidentTruth> {
  const { redis, seeded, statePrefix } = input;
  const base = `${input.queuePrefix}:${seeded.queue}`;
  const moves = await movesOutOfFailed(redis, input.queuePrefix, seeded.queue, input.eventsMark);
  const journal = new RedisBatchJournal(redis, statePrefix, silentLogger);
  const read = await Promise.all(input.batchIds.map((id) => readBatch(redis, journal, statePrefix, id)));
  const batches = read.map((r) => r.truth);
  const approvedJobs = new Set<string>();
  const journaledReplayed = new Map<string, number>();
  const journaledSkipped = new Set<string>();
  const movedUnapproved: string[] = [];
  for (const { truth: batch, entries } of read) {
    if (!APPROVED_STATES.has(batch.state)) {
      // A denied, withdrawn or expired batch shares job ids with the one planned after it:
      // its own journal is what shows it never ran.
      if (Object.keys(batch.journal).length > 0)
        movedUnapproved.push(`${batch.batchId} (${batch.state}, journaled)`);
      continue;
    }
    for (const id of batch.jobs) approvedJobs.add(id);
    for (const [id, entry] of entries) {
      const status = entry === 'unreadable' ? undefined : entry.status;
      if (status === 'replayed') journaledReplayed.set(id, (journaledReplayed.get(id) ?? 0) + 1);
      else if (status === 'skipped') journaledSkipped.add(id);
    }
  }

  const all = [...seeded.givenUp, ...seeded.neverReplay.delayed, ...seeded.neverReplay.failed];
  const where = redis.pipeline();
  for (const id of all) {
    where.zscore(`${base}:failed`, id);
    where.zscore(`${base}:delayed`, id);
    where.exists(`${base}:${id}`);
  }
  const replies = (await where.exec()) ?? [];
  const place = new Map<string, { failed: boolean; delayed: boolean; exists: boolean }>();
  all.forEach((id, i) => {
    place.set(id, {
      failed: replies[i * 3]?.[1] !== null,
      delayed: replies[i * 3 + 1]?.[1] !== null,
      exists: replies[i * 3 + 2]?.[1] === 1,
    });
  });

  const lost: string[] = [];
  const duplicated = new Set<string>();
  let undelivered = 0;
  for (const id of seeded.givenUp) {
    const at = place.get(id)!;
    const moved = moves.get(id) ?? 0;
    const replayed = journaledReplayed.get(id) ?? 0;
    if (moved > 1 || replayed > 1) duplicated.add(id);
    const conversation = seeded.conversations.get(id);
    const delivered =
      conversation !== undefined && input.deliveries ? input.deliveries(conversation) : undefined;
    if (delivered !== undefined && delivered > 1) duplicated.add(id);
    if (!approvedJobs.has(id)) {
      if (moved > 0) movedUnapproved.push(id);
      else if (!at.failed || !at.exists) lost.push(id);
      continue;
    }
    if (!at.exists) lost.push(id);
    else if (replayed > 0 && moved === 0) lost.push(id);
    else if (replayed === 0 && moved > 0) lost.push(id);
    else if (replayed === 0 && !at.failed) lost.push(id);
    if (replayed > 0 && delivered === 0) undelivered++;
  }
  const neverReplayDisturbed: string[] = [];
  for (const id of seeded.neverReplay.delayed) {
    if ((moves.get(id) ?? 0) > 0) movedUnapproved.push(id);
    if (!place.get(id)!.delayed) neverReplayDisturbed.push(id);
  }
  for (const id of seeded.neverReplay.failed) {
    if ((moves.get(id) ?? 0) > 0) movedUnapproved.push(id);
    if (!place.get(id)!.failed) neverReplayDisturbed.push(id);
  }
  const seededIds = new Set(all);
  // A move of a job this incident never seeded would be someone else's job moved by our batch.
  for (const id of moves.keys()) if (!seededIds.has(id)) movedUnapproved.push(id);

  return {
    batches,
    replayed: [...journaledReplayed.values()].reduce((a, b) => a + b, 0),
    moves: [...moves.values()].reduce((a, b) => a + b, 0),
    lost,
    duplicated: [...duplicated],
    movedUnapproved,
    neverReplayDisturbed,
    undelivered,
  };
}
