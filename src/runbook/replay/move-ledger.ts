import type { Redis } from 'ioredis';
import { asNullableStrings } from '../../queues/redis-replies';
import { ReplayedReason, SkipReason, type JobOutcome } from './types';

/**
 * A replay batch's move ledger: `<statePrefix>:journal:<batchId>:moves` on
 * Delphi's Redis, job id -> verdict. Only the chunk script
 * (lua/replay-chunk-9.lua) writes it, in the same atomic step as the moves it
 * records, and it never overwrites a verdict. So, for every job:
 *
 * - a verdict in the ledger is exactly what happened (`moved`, or why not);
 * - no verdict means no chunk script ever reached the job, so it did not move.
 *
 * That makes the batch journal exact without a write before and after each
 * move: the journal's own entries are a copy of the ledger, made after each
 * chunk; a crash between a chunk and its copy is settled from the ledger
 * (reconcile), and a second run of a chunk moves nothing the ledger holds.
 */
export const Verdict = {
  Moved: 'moved',
  Gone: 'gone',
  NotFailed: 'not-failed',
  FailedAgain: 'failed-again',
  PayloadChanged: 'payload-changed',
  AttemptsLeft: 'attempts-left',
  Unloadable: 'unloadable',
} as const;

export type Verdict = (typeof Verdict)[keyof typeof Verdict];

const SKIP_REASONS: Readonly<Record<Exclude<Verdict, 'moved'>, string>> = {
  [Verdict.Gone]: SkipReason.Gone,
  [Verdict.NotFailed]: SkipReason.NotFailed,
  [Verdict.FailedAgain]: SkipReason.FailedAgain,
  [Verdict.PayloadChanged]: SkipReason.PayloadChanged,
  [Verdict.AttemptsLeft]: SkipReason.AttemptsLeft,
  [Verdict.Unloadable]: SkipReason.Unloadable,
};

const UNKNOWN_VERDICT = 'unknown move-ledger verdict: not moved again';

/**
 * A verdict as the batch's outcome. `earlier`: written by a run before this
 * one (a crash came between the chunk and the journal copy).
 */
export function outcomeOf(jobId: string, verdict: string, earlier: boolean): JobOutcome {
  if (verdict === Verdict.Moved) {
    return { jobId, status: 'replayed', ...(earlier ? { reason: ReplayedReason.Recovered } : {}) };
  }
  const reason = (SKIP_REASONS as Record<string, string | undefined>)[verdict] ?? UNKNOWN_VERDICT;
  return { jobId, status: 'skipped', reason };
}

/** Ledger verdicts for `jobIds`, read in slices (plain HMGET, never a write). */
export async function readLedger(
  redis: Redis,
  ledgerKey: string,
  jobIds: readonly string[],
  slice = 1_000,
): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (let start = 0; start < jobIds.length; start += slice) {
    const ids = jobIds.slice(start, start + slice);
    const values = asNullableStrings(await redis.hmget(ledgerKey, ...ids));
    ids.forEach((id, i) => {
      const value = values[i];
      if (value !== null && value !== undefined) found.set(id, value);
    });
  }
  return found;
}
