import { createHash } from 'node:crypto';
import { payloadSha256 } from '../../approvals/batch-manifest';
import { LuaScript } from '../../approvals/lua-script';
import { attemptsAllowedFrom } from '../../queues/job-summary';
import { asString } from '../../queues/redis-replies';
import { REPLAY_LUA_DIRS } from './journal';
import { FINISHED_JOURNAL_TTL_SECONDS } from './journal';
import { Verdict } from './move-ledger';
import type { RunContext } from './run-context';
import type { ReplayBatchJob } from './types';

/**
 * Jobs per chunk script. Each job costs the script about ten Redis calls
 * (~10 µs), so 100 jobs hold Redis for about 1 ms: far below the 5 ms a single
 * call of ours may block Delphi's workers, and large enough that the round
 * trips around it are a small share of the time.
 */
export const DEFAULT_CHUNK_SIZE = 100;
/** One script call's ARGV grows with the chunk; above this it would block Redis too long. */
export const MAX_CHUNK_SIZE = 500;

const chunkScript = LuaScript.load('replay-chunk-9.lua', REPLAY_LUA_DIRS);
const readScript = LuaScript.load('read-chunk-1.lua', REPLAY_LUA_DIRS);

/** One job as the read script returns it (lua/read-chunk-1.lua). */
export interface JobRead {
  readonly data: string | null;
  readonly opts: string | null;
  readonly finishedOn: string | null;
  readonly atm: string | null;
  readonly attemptsMade: string | null;
}

const READ_WIDTH = 5;

/** One job's verdict from the chunk script; `earlier`: the ledger held it before this call. */
export interface ChunkVerdict {
  readonly jobId: string;
  readonly verdict: string;
  readonly earlier: boolean;
}

function intOr(value: string | null, fallback: number): number {
  if (value === null || value === '') return fallback;
  const parsed = Number.parseInt(value, 10);
  return Number.isFinite(parsed) ? parsed : fallback;
}

/**
 * `opts` as BullMQ's Job.fromId parses it; undefined when it cannot (the job
 * is left where it is, as the one-at-a-time engine did). `data` needs no parse
 * here: its bytes are the ones the plan hashed and checked.
 */
function parsedOpts(opts: string | null): { lifo: boolean; attempts: number } | undefined {
  try {
    const parsed: unknown = JSON.parse(opts ?? '{}');
    if (typeof parsed !== 'object' || parsed === null) return { lifo: false, attempts: 1 };
    const { lifo, attempts } = parsed as { lifo?: unknown; attempts?: unknown };
    return {
      lifo: lifo === true,
      attempts:
        typeof attempts === 'number' && Number.isFinite(attempts) ? Math.max(1, Math.floor(attempts)) : 1,
    };
  } catch {
    return undefined;
  }
}

/**
 * The six chunk-script arguments of one job. What Redis's Lua cannot check is
 * checked here, from the read: the SHA-256 the approval bound the payload to,
 * the attempt count against `opts.attempts`, and whether BullMQ could load the
 * job. The script then re-checks, atomically with the move, that the job is
 * still in `failed` with the frozen `finishedOn` (or the one read here, for a
 * manifest without it), the same `atm`, and the very bytes hashed here (their
 * SHA-1: a payload that is not valid UTF-8 reads back altered, fails this
 * comparison and is skipped, never moved).
 */
function jobArgs(job: ReplayBatchJob, read: JobRead): string[] {
  const expectedFinishedOn = job.failedAt !== undefined ? String(job.failedAt) : (read.finishedOn ?? '');
  const opts = parsedOpts(read.opts);
  let verdict = '';
  // The same order as the one-at-a-time engine: payload, then attempts, then loadability.
  if (payloadSha256(read.data) !== job.payloadSha256) verdict = Verdict.PayloadChanged;
  // A failed job with attempts left failed early (e.g. UnrecoverableError): not given up.
  else if (intOr(read.atm, intOr(read.attemptsMade, 0)) < (opts?.attempts ?? attemptsAllowedFrom(read.opts)))
    verdict = Verdict.AttemptsLeft;
  else if (!opts) verdict = Verdict.Unloadable;
  const sha1 = read.data === null ? '-' : createHash('sha1').update(read.data, 'utf8').digest('hex');
  return [job.id, verdict, expectedFinishedOn, sha1, read.atm ?? '', opts?.lifo ? 'RPUSH' : 'LPUSH'];
}

/** The chunk's jobs in one read-only script call (lua/read-chunk-1.lua). */
export async function readChunk(ctx: RunContext, jobs: readonly ReplayBatchJob[]): Promise<JobRead[]> {
  const reply = await readScript.run(
    ctx.redis,
    [ctx.key('failed')],
    [ctx.key(''), ...jobs.map((job) => job.id)],
  );
  const flat = Array.isArray(reply) ? (reply as unknown[]) : [];
  const at = (i: number): string | null => asString(flat[i]);
  return jobs.map((_, j) => {
    const base = j * READ_WIDTH;
    return {
      data: at(base),
      opts: at(base + 1),
      finishedOn: at(base + 2),
      atm: at(base + 3),
      attemptsMade: at(base + 4),
    };
  });
}

/**
 * The chunk script's arguments for `jobs` and their reads: the CPU part of a
 * chunk (hashing every payload), kept apart from the call so that it can run
 * while the previous chunk's script is in Redis.
 */
export function chunkArgs(
  ctx: RunContext,
  jobs: readonly ReplayBatchJob[],
  reads: readonly JobRead[],
): string[] {
  if (jobs.length > MAX_CHUNK_SIZE) throw new Error(`replay chunk of ${jobs.length} jobs is too large`);
  const args: string[] = [ctx.key(''), String(FINISHED_JOURNAL_TTL_SECONDS)];
  jobs.forEach((job, i) => {
    const read = reads[i];
    if (!read) throw new Error(`replay chunk: no read for job ${job.id}`);
    args.push(...jobArgs(job, read));
  });
  return args;
}

/**
 * Check and move one chunk with the chunk script (lua/replay-chunk-9.lua): one
 * atomic Redis call that moves exactly the jobs still as approved, the way
 * `Job.retry('failed')` does, and records every verdict in the batch's move
 * ledger (move-ledger.ts). A job the ledger already held is neither checked
 * nor moved: its earlier verdict comes back with `earlier`. `args` come from
 * `chunkArgs` for the same jobs.
 *
 * When the call fails (a timeout, a dropped connection) the chunk may have run
 * or not: the error propagates, the batch stops, and the ledger has the answer.
 */
export async function runChunk(
  ctx: RunContext,
  jobs: readonly ReplayBatchJob[],
  args: readonly string[],
): Promise<ChunkVerdict[]> {
  if (jobs.length === 0) return [];
  const keys = [
    ctx.key('failed'),
    ctx.key('events'),
    ctx.key('wait'),
    ctx.key('meta'),
    ctx.key('active'),
    ctx.key('marker'),
    ctx.key('prioritized'),
    ctx.key('pc'),
    ctx.ledgerKey,
  ];
  const reply = await chunkScript.run(ctx.redis, keys, [...args]);
  const verdicts = Array.isArray(reply) ? (reply as unknown[]).map((v) => asString(v) ?? '') : [];
  if (verdicts.length !== jobs.length) {
    // Should never happen; the ledger is still exact, and recovery reads it.
    throw new Error(`replay chunk script answered ${verdicts.length} verdicts for ${jobs.length} jobs`);
  }
  return jobs.map((job, i) => {
    const verdict = verdicts[i]!;
    const earlier = verdict.startsWith('was:');
    return { jobId: job.id, verdict: earlier ? verdict.slice(4) : verdict, earlier };
  });
}
