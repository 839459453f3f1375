/**
 * The executor in a process of its own, so the crash test can SIGKILL it: no
 * `finally`, no 'exit' handler, no flushed buffer survives, as in a real crash.
 * Started by spawn-child.ts; reports on stdout, one line per settled job.
 *
 * Env: REDIS_URL, STATE_PREFIX, MODE (`execute` a BATCH_FILE, or `reconcile`
 * what the journal says is unfinished, as a restarted bot does), LEASE_MS,
 * STEP_DELAY_MS (slows each journal write so the parent's kill lands mid-batch),
 * CRASH_AT (enqueue batches, one job at a time: `after-moving:K`: kill itself
 * right after the K-th `moving` write, before that add; `before-replayed:K`:
 * right after the K-th add, before its `replayed` write. Replay batches, in
 * chunks: `before-copy:K`: right after the K-th chunk script moved its jobs,
 * before the journal copy of its verdicts; `after-copy:K`: right after the
 * K-th copy, before the next chunk's script), CHUNK_SIZE (jobs per chunk script).
 */
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { z } from 'zod';
import { silentLogger } from '../../../src/logger';
import { executeBatch } from '../../../src/runbook/replay/executor';
import { RedisBatchJournal, type JournalProbe } from '../../../src/runbook/replay/journal';
import { reconcileUnfinished } from '../../../src/runbook/replay/reconcile';
import { replayBatchSchema, type BatchJournal, type JournalEntry } from '../../../src/runbook/replay/types';

const env = z
  .object({
    REDIS_URL: z.string(),
    STATE_PREFIX: z.string().min(6),
    MODE: z.enum(['execute', 'reconcile']),
    BATCH_FILE: z.string().optional(),
    LEASE_MS: z.coerce.number().int().positive(),
    STEP_DELAY_MS: z.coerce.number().int().nonnegative().default(0),
    CRASH_AT: z
      .string()
      .regex(/^(after-moving|before-replayed|before-copy|after-copy):\d+$/)
      .optional(),
    CHUNK_SIZE: z.coerce.number().int().positive().optional(),
  })
  .parse(process.env);

const [crashWhen, crashCount] = env.CRASH_AT?.split(':') ?? [];
let seen = 0;

function crashNow(): never {
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable: SIGKILL');
}

/** The real journal, with a crash switch at an exact step and an optional pace. */
function crashingJournal(inner: RedisBatchJournal): BatchJournal & JournalProbe {
  return {
    begin: (batch) => inner.begin(batch),
    claim: (id, owner, ttl) => inner.claim(id, owner, ttl),
    renew: (id, owner, ttl) => inner.renew(id, owner, ttl),
    release: (id, owner) => inner.release(id, owner),
    entries: (id) => inner.entries(id),
    finish: (id) => inner.finish(id),
    listUnfinished: () => inner.listUnfinished(),
    status: (id) => inner.status(id),
    ledgerKey: (id) => inner.ledgerKey(id),
    writeMany: async (id: string, entries: ReadonlyMap<string, JournalEntry>) => {
      if (env.STEP_DELAY_MS > 0) await new Promise((resolve) => setTimeout(resolve, env.STEP_DELAY_MS));
      const counts = crashWhen === 'before-copy' || crashWhen === 'after-copy';
      if (counts) seen += 1;
      const due = counts && seen === Number(crashCount);
      if (due && crashWhen === 'before-copy') crashNow();
      await inner.writeMany(id, entries);
      if (due) crashNow();
    },
    write: async (id: string, jobId: string, entry: JournalEntry) => {
      if (env.STEP_DELAY_MS > 0) await new Promise((resolve) => setTimeout(resolve, env.STEP_DELAY_MS));
      const counts =
        (crashWhen === 'after-moving' && entry.status === 'moving') ||
        (crashWhen === 'before-replayed' && entry.status === 'replayed');
      if (counts) seen += 1;
      const due = counts && seen === Number(crashCount);
      if (due && crashWhen === 'before-replayed') crashNow();
      await inner.write(id, jobId, entry);
      if (due) crashNow();
    },
  };
}

async function main(): Promise<void> {
  const connection = new Redis(env.REDIS_URL, { maxRetriesPerRequest: 2 });
  connection.on('error', () => undefined);
  const state = new Redis(env.REDIS_URL, { maxRetriesPerRequest: 2 });
  state.on('error', () => undefined);
  const journal = crashingJournal(new RedisBatchJournal(state, env.STATE_PREFIX, silentLogger));
  const report = (done: number, total: number): void => {
    process.stdout.write(`progress ${done} ${total}\n`);
  };
  try {
    if (env.MODE === 'execute') {
      const batch = replayBatchSchema.parse(JSON.parse(readFileSync(env.BATCH_FILE ?? '', 'utf8')));
      await executeBatch({
        batch,
        connection,
        journal,
        logger: silentLogger,
        leaseMs: env.LEASE_MS,
        onProgress: report,
        ...(env.CHUNK_SIZE !== undefined ? { chunkSize: env.CHUNK_SIZE } : {}),
      });
    } else {
      const results = await reconcileUnfinished({
        connection,
        journal,
        logger: silentLogger,
        leaseMs: env.LEASE_MS,
        ...(env.CHUNK_SIZE !== undefined ? { chunkSize: env.CHUNK_SIZE } : {}),
        onProgress: (_batch, done, total) => report(done, total),
      });
      const failed = results.filter((r) => r.status !== 'finished');
      if (failed.length > 0) throw new Error(`not reconciled: ${failed.map((r) => r.status).join(', ')}`);
    }
    process.stdout.write('finished\n');
  } finally {
    await connection.quit();
    await state.quit();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
