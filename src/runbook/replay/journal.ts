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
}

export function journalKeys(statePrefix: string, batchId: string): JournalKeys {
  const base = `${statePrefix}:journal:${batchId}`;
  return { entries: base, meta: `${base}:meta`, lease: `${base}:lease` };
}

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

/** The journal of replay batches in the bot's own Redis state, under `<statePrefix>:journal:`. */
export class RedisBatchJournal implements BatchJournal {
  private readonly renewLease = LuaScript.load('renew-lease-1.lua', REPLAY_LUA_DIRS);
  private readonly releaseLease = LuaScript.load('release-lease-1.lua', REPLAY_LUA_DIRS);

  constructor(
    private readonly redis: Redis,
    private readonly statePrefix: string,
    private readonly logger: Logger,
  ) {}

  keys(batchId: string): JournalKeys {
    return journalKeys(this.statePrefix, batchId);
  }

  async begin(batch: ReplayBatch): Promise<void> {
    const stored = canonicalBatch(batch);
    const keys = this.keys(batch.id);
    const state = await this.redis.hget(keys.meta, 'state');
    if (state !== 'done') {
      // HSETNX throughout: creating twice (a retried start, recovery) keeps every
      // status already written, and MULTI makes the journal appear whole or not at all.
      const multi = this.redis
        .multi()
        .hsetnx(keys.meta, 'batch', stored)
        .hsetnx(keys.meta, 'state', 'running')
        .hsetnx(keys.meta, 'createdAt', String(Date.now()));
      const pending = JSON.stringify({ status: 'pending', at: Date.now() } satisfies JournalEntry);
      for (const job of batch.jobs) multi.hsetnx(keys.entries, job.id, pending);
      multi.sadd(unfinishedIndexKey(this.statePrefix), batch.id);
      await execReplies(multi);
    }
    // Same id, other jobs: a bug or a tampered request; never mix two batches in one journal.
    const existing = await this.redis.hget(keys.meta, 'batch');
    if (existing !== stored) throw new JournalMismatchError(batch.id);
  }

  async claim(batchId: string, owner: string, ttlMs: number): Promise<boolean> {
    const keys = this.keys(batchId);
    const taken = await this.redis.set(keys.lease, owner, 'PX', ttlMs, 'NX');
    if (taken !== 'OK') return false;
    await this.redis.hset(keys.meta, 'owner', owner);
    return true;
  }

  async renew(batchId: string, owner: string, ttlMs: number): Promise<boolean> {
    return (await this.renewLease.run(this.redis, [this.keys(batchId).lease], [owner, ttlMs])) === 1;
  }

  async release(batchId: string, owner: string): Promise<void> {
    await this.releaseLease.run(this.redis, [this.keys(batchId).lease], [owner]);
  }

  async entries(batchId: string): Promise<ReadonlyMap<string, JournalEntry | 'unreadable'>> {
    const all = await this.redis.hgetall(this.keys(batchId).entries);
    return new Map(Object.entries(all).map(([jobId, raw]) => [jobId, parseEntry(raw)]));
  }

  async write(batchId: string, jobId: string, entry: JournalEntry): Promise<void> {
    await this.redis.hset(this.keys(batchId).entries, jobId, JSON.stringify(journalEntrySchema.parse(entry)));
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
      if (state === 'done') continue;
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
