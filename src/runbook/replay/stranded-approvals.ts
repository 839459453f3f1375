import type { ApprovalStore } from '../../approvals/approval-store';
import type { ApprovalRecord } from '../../approvals/approval-types';
import type { Logger } from '../../logger';
import type { JournalProbe } from './journal';
import { outcomeSummary } from './run-approved-batch';
import type { BatchJournal, JobOutcome } from './types';

/** The thread's line for a batch whose journal was done when recovery closed it. */
export const FINISHED_BY_RECOVERY = 'ran to the end and was closed by recovery from its journal';

export interface StrandedDeps {
  readonly store: Pick<
    ApprovalStore,
    'unsettled' | 'forgetUnsettled' | 'get' | 'claimForExecution' | 'finish'
  >;
  readonly journal: Pick<BatchJournal, 'entries' | 'listUnfinished'> & JournalProbe;
  readonly logger: Logger;
  readonly owner: string;
  readonly clock: () => number;
  /** An approval older than this when the bot comes back is not acted on: the situation may have changed. */
  readonly approvalTtlMs: number;
  /**
   * A claim younger than this with no journal yet may be a live run checking
   * its preconditions (another replica): left alone, looked at again later.
   */
  readonly claimGraceMs: number;
}

export interface StrandedApprovals {
  /** Approved a moment before the crash: still what the approver meant, so run them now. */
  readonly toRun: readonly ApprovalRecord[];
  /** Closed here, with the line for the thread: lapsed approvals, runs that stopped before or after their journal. */
  readonly closed: readonly { readonly record: ApprovalRecord; readonly line: string }[];
  /** Claimed a moment ago with no journal yet: maybe alive elsewhere; ask again later. */
  readonly busy: number;
}

/**
 * A bot that dies after an approval but outside a running journal leaves the
 * batch where journal recovery cannot see it: `approved` (died before the
 * claim), or `executing` (died between the claim and the journal's first
 * write, or between the journal's last write and closing the batch). The
 * store keeps every approved, unfinished id; at start each is settled:
 *
 * - approved, fresh: run (through the claim, so two replicas run it once, and
 *   through the preconditions right before execution); approved, lapsed: closed;
 * - executing with a journal still running (listed, or begun since the list
 *   was read, or leased): journal recovery finishes it, here it is busy;
 * - executing with a finished journal: closed as done, from the journal;
 * - executing with no journal (or one whose begin never finished: every entry
 *   `pending`, not listed), claimed before the grace: closed as failed,
 *   nothing moved (nothing moves without a journal entry first).
 */
export async function findStrandedApprovals(deps: StrandedDeps): Promise<StrandedApprovals> {
  const toRun: ApprovalRecord[] = [];
  const closed: { record: ApprovalRecord; line: string }[] = [];
  let busy = 0;
  const running = new Set((await deps.journal.listUnfinished()).map((j) => j.batch.id));
  for (const batchId of await deps.store.unsettled()) {
    const record = await deps.store.get(batchId).catch((err: unknown) => {
      deps.logger.error({ err, batchId }, 'unsettled batch unreadable: left for a person to look at');
      return null;
    });
    if (record === null) continue;
    if (!record || (record.state !== 'approved' && record.state !== 'executing')) {
      await deps.store.forgetUnsettled(batchId);
      continue;
    }
    if (record.state === 'approved') {
      const age = deps.clock() - (record.decidedAt ?? 0);
      if (age <= deps.approvalTtlMs) {
        toRun.push(record);
        continue;
      }
      // Claim first so only one replica closes it; then end it without moving anything.
      if ((await deps.store.claimForExecution(batchId, deps.owner)).code !== 'claimed') continue;
      const line = `was approved, but the bot stopped before running it and came back ${Math.round(age / 60_000)} min later, too late to act on that approval: nothing was replayed. Plan it again.`;
      await deps.store.finish(batchId, 'failed', `not run: ${line}`);
      closed.push({ record, line });
      continue;
    }
    if (running.has(batchId)) continue;
    const entries = await deps.journal.entries(batchId);
    // Only `pending` entries and not listed: a begin still writing (a live run, another replica's or
    // this one's) or one that died mid-way. Either way nothing moved: treated as no journal yet.
    const moved = [...entries.values()].some((entry) => entry === 'unreadable' || entry.status !== 'pending');
    if (!moved && deps.clock() - (record.claimedAt ?? 0) < deps.claimGraceMs) {
      busy += 1;
      continue;
    }
    // About to close it. The list above was read at the start of the pass: a run elsewhere may have
    // begun since (listed now, entries being copied). Its journal decides, not the stale list.
    const journal = await deps.journal.status(batchId);
    if (journal.state === 'running' || journal.leasedBy !== null) {
      busy += 1;
      continue;
    }
    if (journal.state === 'done' || moved) {
      // Done is final: read again, the entries above may predate the run's last copy. No meta but
      // settled entries: a journal long expired; nothing runs it again, so it is closed from them.
      const settled = journal.state === 'done' ? await deps.journal.entries(batchId) : entries;
      const summary = outcomeSummary(outcomesOf(settled));
      // Told only by the one that closed it: another replica's sweep may be closing it too. Worded to
      // be true both when its run died before closing it and when a live run was a moment from it.
      const finish = await deps.store.finish(batchId, 'done', `${summary} (closed by recovery)`);
      if (finish.code === 'finished') closed.push({ record, line: `${FINISHED_BY_RECOVERY}: ${summary}.` });
      continue;
    }
    const line =
      'was approved, but the bot stopped before moving any job: nothing was replayed. Plan it again.';
    if ((await deps.store.finish(batchId, 'failed', `not run: ${line}`)).code === 'finished')
      closed.push({ record, line });
  }
  if (toRun.length + closed.length + busy > 0) {
    deps.logger.warn(
      { toRun: toRun.length, closed: closed.length, busy },
      'unsettled batches found at start',
    );
  }
  return { toRun, closed, busy };
}

function outcomesOf(entries: Awaited<ReturnType<BatchJournal['entries']>>): JobOutcome[] {
  return [...entries].map(([jobId, entry]) =>
    entry !== 'unreadable' && (entry.status === 'replayed' || entry.status === 'skipped')
      ? { jobId, status: entry.status, ...(entry.reason ? { reason: entry.reason } : {}) }
      : { jobId, status: 'skipped', reason: 'not settled in the journal' },
  );
}
