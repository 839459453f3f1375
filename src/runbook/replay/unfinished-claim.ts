import type { JournalProbe } from './journal';
import type { BatchJournal } from './types';

/**
 * The journal recovery runs batches through: its claim succeeds only while
 * the batch is still unfinished. Recovery lists unfinished journals first and
 * claims each later; a run elsewhere (another replica, or this process's own
 * click) can finish the batch and release its lease in between, and a claim
 * taken then would run the finished batch again: no job moves twice (the
 * journal says every job is settled), but the batch is closed and reported a
 * second time. A run finishes its journal before it releases its lease, so
 * once the lease is held the journal's state is final: look again then.
 */
export function claimWhileUnfinished(journal: BatchJournal & JournalProbe): BatchJournal {
  return {
    begin: (batch) => journal.begin(batch),
    claim: async (batchId, owner, ttlMs) => {
      if (!(await journal.claim(batchId, owner, ttlMs))) return false;
      // This one batch's state (one HGET), not the whole list again: that parsed every
      // unfinished batch once per batch claimed, a pass quadratic in the batches listed.
      if ((await journal.status(batchId)).state === 'running') return true;
      await journal.release(batchId, owner);
      return false;
    },
    renew: (batchId, owner, ttlMs) => journal.renew(batchId, owner, ttlMs),
    release: (batchId, owner) => journal.release(batchId, owner),
    entries: (batchId) => journal.entries(batchId),
    write: (batchId, jobId, entry) => journal.write(batchId, jobId, entry),
    writeMany: (batchId, entries) => journal.writeMany(batchId, entries),
    ledgerKey: (batchId) => journal.ledgerKey(batchId),
    finish: (batchId) => journal.finish(batchId),
    listUnfinished: () => journal.listUnfinished(),
  };
}
