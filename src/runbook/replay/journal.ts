import path from 'node:path';
import type { Redis } from 'ioredis';
import { LuaScript } from '../../approvals/lua-script';
import type { Logger } from '../../logger';
import { execReplies } from '../../queues/redis-replies';
import {
  journalEntrySchema,
  replayBatchSchema,
  type BatchJournal,
  type JournalEntry,
  type ReplayBatch,
  type UnfinishedJournal,
} from './types';
import { JournalMismatchError } from './errors';

/**
 * A finished journal is the batch's record (who asked is in the audit stream;
 * what happened to each job is here). Kept long after the incident, dropped
 * eventually; a running journal never expires, or recovery would lose it.
 */
export const FINISHED_JOURNAL_TTL_SECONDS = 90 * 24 * 3600;

/** `tsc` copies no `.lua`: next to this module, else in the source tree (from `dist/`). */
export const REPLAY_LUA_DIRS: readonly string[] = [
  path.join(__dirname, 'lua'),
  path.resolve(__dirname, '..', '..', '..', '..', 'src', 'runbook', 'replay', 'lua'),
];

export interface JournalKeys {
  /** Hash: job id -> JSON JournalEntry. */
  readonly entries: string;
  /** Hash: batch (JSON), state (`running` | `done`), owner, createdAt, finishedAt. */
  readonly meta: string;
  /** String with a TTL: the owner token of the run allowed to move this batch's jobs. */
  readonly lease: string;
  /**
   * Hash on Delphi's Redis (not the state Redis, when they differ): job id ->
   * verdict, written by the chunk script in the same atomic step as the moves
   * (move-ledger.ts). Expires with the finished journal.
   */
  readonly moves: string;
}

export function journalKeys(statePrefix: string, batchId: string): JournalKeys {
  const base = `${statePrefix}:journal:${batchId}`;
  return { entries: base, meta: `${base}:meta`, lease: `${base}:lease`, moves: `${base}:moves` };
}

/**
 * Entries per call when writing or reading a whole batch's entries:
 * one HGETALL or one MULTI over 10,000 entries would hold Redis for milliseconds.
 */
const ENTRY_SLICE = 500;

/** Set of batch ids whose journal is not done: recovery reads it instead of SCANning. */
export function unfinishedIndexKey(statePrefix: string): string {
  return `${statePrefix}:journals:unfinished`;
}

function parseEntry(raw: string): JournalEntry | 'unreadable' {
  try {
    const parsed = journalEntrySchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

function parseBatch(raw: string | null | undefined): ReplayBatch | undefined {
  if (!raw) return undefined;
  try {
    const parsed = replayBatchSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The batch as stored: zod's output order, so the same batch always gives the
 * same text. `kind: 'replay'` is written as no kind, as journals were before
 * `enqueue` existed, so both spellings of a replay batch match a stored one.
 */
function canonicalBatch(batch: ReplayBatch): string {
  const parsed = replayBatchSchema.parse(batch);
  return JSON.stringify(parsed.kind === 'replay' ? { ...parsed, kind: undefined } : parsed);
}

/** Where a batch's journal stands, read without parsing it. */
export interface JournalStatus {
  /** `null`: no meta (never begun, a begin that died before its meta, or expired). */
  readonly state: 'running' | 'done' | null;
  /** The owner token holding the lease, if any: a run that is (or was a moment ago) moving its jobs. */
  readonly leasedBy: string | null;
}

/** The cheap look recovery takes at one batch before deciding to touch it. */
export interface JournalProbe {
  status(batchId: string): Promise<JournalStatus>;
}

/** The journal of replay batches in the bot's own Redis state, under `<statePrefix>:journal:`. */
export class RedisBatchJournal implements BatchJournal, JournalProbe {
  private readonly renewLease = LuaScript.load('renew-lease-1.lua', REPLAY_LUA_DIRS);
  private readonly releaseLease = LuaScript.load('release-lease-1.lua', REPLAY_LUA_DIRS);
  private readonly markPending = LuaScript.load('journal-pending-1.lua', REPLAY_LUA_DIRS);
  private readonly listRunning = LuaScript.load('journal-begin-2.lua', REPLAY_LUA_DIRS);
  private readonly unlist = LuaScript.load('journal-unlist-2.lua', REPLAY_LUA_DIRS);
  private readonly claimLease = LuaScript.load('journal-claim-2.lua', REPLAY_LUA_DIRS);

  constructor(
    private readonly redis: Redis,
    private readonly statePrefix: string,
    private readonly logger: Logger,
  ) {}

  keys(batchId: string): JournalKeys {
    return journalKeys(this.statePrefix, batchId);
  }

  async begin(batch: ReplayBatch): Promise<boolean> {
    const stored = canonicalBatch(batch);
    const keys = this.keys(batch.id);
    const [state, existing] = await this.redis.hmget(keys.meta, 'state', 'batch');
    // Same id, other jobs: a bug or a tampered request; never mix two batches in one journal.
    if (existing !== null && existing !== undefined && existing !== stored) {
      throw new JournalMismatchError(batch.id);
    }
    if (state === 'done') return false;
    // HSETNX throughout: creating twice (a retried start, recovery) keeps every
    // status already written. The entries go first, in slices (one script each), and
    // the meta (which lists the journal as unfinished) last, in one script gated on
    // the state: a crash in between leaves entries nobody lists, completed by the
    // next begin; a finish in between (another replica) keeps the batch off the list.
    const pending = JSON.stringify({ status: 'pending', at: Date.now() } satisfies JournalEntry);
    for (let start = 0; start < batch.jobs.length; start += ENTRY_SLICE) {
      const ids = batch.jobs.slice(start, start + ENTRY_SLICE).map((job) => job.id);
      await this.markPending.run(this.redis, [keys.entries], [pending, ...ids]);
    }
    const listed = await this.listRunning.run(
      this.redis,
      [keys.meta, unfinishedIndexKey(this.statePrefix)],
      [stored, Date.now(), batch.id],
    );
    // Checked again in the script: a concurrent begin for other jobs under this id loses there.
    if (listed === -1) throw new JournalMismatchError(batch.id);
    return listed === 1;
  }

  /** The journal's state and lease holder, one round trip: what a sweep checks before any work. */
  async status(batchId: string): Promise<JournalStatus> {
    const keys = this.keys(batchId);
    const replies = await this.redis.pipeline().hget(keys.meta, 'state').get(keys.lease).exec();
    const [state, leasedBy] = (replies ?? []).map(([err, value]) => {
      if (err) throw err;
      return typeof value === 'string' ? value : null;
    });
    return {
      state: state === 'running' || state === 'done' ? state : null,
      leasedBy: leasedBy ?? null,
    };
  }

  async claim(batchId: string, owner: string, ttlMs: number): Promise<boolean> {
    const keys = this.keys(batchId);
    // One script: the owner is written only onto a meta that exists (journal-claim-2.lua says why).
    return (await this.claimLease.run(this.redis, [keys.lease, keys.meta], [owner, ttlMs])) === 1;
  }

  async renew(batchId: string, owner: string, ttlMs: number): Promise<boolean> {
    return (await this.renewLease.run(this.redis, [this.keys(batchId).lease], [owner, ttlMs])) === 1;
  }

  async release(batchId: string, owner: string): Promise<void> {
    await this.releaseLease.run(this.redis, [this.keys(batchId).lease], [owner]);
  }

  async entries(batchId: string): Promise<ReadonlyMap<string, JournalEntry | 'unreadable'>> {
    const found = new Map<string, JournalEntry | 'unreadable'>();
    let cursor = '0';
    do {
      const [next, flat] = await this.redis.hscan(this.keys(batchId).entries, cursor, 'COUNT', ENTRY_SLICE);
      cursor = next;
      for (let i = 0; i + 1 < flat.length; i += 2) found.set(flat[i]!, parseEntry(flat[i + 1]!));
    } while (cursor !== '0');
    return found;
  }

  async write(batchId: string, jobId: string, entry: JournalEntry): Promise<void> {
    await this.redis.hset(this.keys(batchId).entries, jobId, JSON.stringify(journalEntrySchema.parse(entry)));
  }

  async writeMany(batchId: string, entries: ReadonlyMap<string, JournalEntry>): Promise<void> {
    const all = [...entries];
    for (let start = 0; start < all.length; start += ENTRY_SLICE) {
      const fields = all
        .slice(start, start + ENTRY_SLICE)
        // Typed entries the executor built itself: parsing 10,000 of them again per batch cost more than the write.
        .flatMap(([jobId, entry]) => [jobId, JSON.stringify(entry)]);
      await this.redis.hset(this.keys(batchId).entries, ...fields);
    }
  }

  ledgerKey(batchId: string): string {
    return this.keys(batchId).moves;
  }

  async finish(batchId: string): Promise<void> {
    const keys = this.keys(batchId);
    await execReplies(
      this.redis
        .multi()
        .hset(keys.meta, 'state', 'done')
        .hsetnx(keys.meta, 'finishedAt', String(Date.now()))
        .srem(unfinishedIndexKey(this.statePrefix), batchId)
        .expire(keys.meta, FINISHED_JOURNAL_TTL_SECONDS)
        .expire(keys.entries, FINISHED_JOURNAL_TTL_SECONDS),
    );
  }

  async listUnfinished(): Promise<UnfinishedJournal[]> {
    const ids = await this.redis.smembers(unfinishedIndexKey(this.statePrefix));
    const found: UnfinishedJournal[] = [];
    for (const batchId of ids) {
      const [state, rawBatch, owner, createdAt] = await this.redis.hmget(
        this.keys(batchId).meta,
        'state',
        'batch',
        'owner',
        'createdAt',
      );
      if (state === 'done' || (state === null && rawBatch === null)) {
        // Done or gone, yet listed (a begin that raced a finish, before begin was one script):
        // taken off, so no sweep looks at it again.
        await this.unlist.run(
          this.redis,
          [this.keys(batchId).meta, unfinishedIndexKey(this.statePrefix)],
          [batchId],
        );
        continue;
      }
      const batch = parseBatch(rawBatch);
      if (!batch) {
        // Without the batch nobody knows which jobs to check: say so, loudly, once per start.
        this.logger.error({ batchId }, 'unfinished replay journal has no readable batch: reconcile by hand');
        continue;
      }
      found.push({ batch, owner: owner ?? null, createdAt: Number(createdAt ?? 0) });
    }
    return found.sort((a, b) => a.createdAt - b.createdAt);
  }
}
