/**
 * Issue 7, the replay part: journaled selective replay of N given-up jobs
 * (default 10,000, BENCH_REPLAY_JOBS) against BullMQ's `Queue.retryJobs` on an
 * identical copy, in the same run, on a private redis-server; plus the longest
 * single Redis call each made (SLOWLOG, see lib/slowest-call.ts).
 *
 * Goal: ours ≥ 25 % of retryJobs' rate, and no single Redis call of ours
 * longer than 5 ms. Build and run: `npx tsc -p tsconfig.bench.json`, copy the
 * lua folders as `npm run build` does, then `node dist/bench/replay.bench.js`.
 */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { payloadSha256 } from '../src/approvals/batch-manifest';
import { silentLogger } from '../src/logger';
import { asNullableStrings } from '../src/queues/redis-replies';
import { executeBatch } from '../src/runbook/replay/executor';
import { RedisBatchJournal } from '../src/runbook/replay/journal';
import { DEFAULT_CHUNK_SIZE } from '../src/runbook/replay/replay-chunk';
import type { JobOutcome, ReplayBatch } from '../src/runbook/replay/types';
import { webhooksWorkflow } from '../src/workflows/webhooks';
import { startPrivateRedis } from './lib/private-redis';
import { figure, round, startBench, type BenchReport } from './lib/report';
import { seedBacklog } from './lib/seed-backlog';
import { startSlowestCall, type SlowestCall } from './lib/slowest-call';

export const GOALS = {
  /** Our rate as a share of retryJobs'. */
  minRatio: 0.25,
  /** Longest single Redis call of ours, µs. */
  maxCallMicros: 5_000,
} as const;

const DEFAULT_JOBS = 10_000;
const QUEUE = webhooksWorkflow.queue;
const STATE_PREFIX = 'stuckjobs-bench';
const SLICE = 1_000;

export interface ReplayBenchOptions {
  /** Given-up jobs in each copy; default BENCH_REPLAY_JOBS or 10,000. */
  readonly jobs?: number;
  /** Jobs per chunk script; default the engine's. */
  readonly chunkSize?: number;
  readonly resultsDir?: string;
  readonly write?: boolean;
  readonly print?: boolean;
}

export interface SideResult {
  readonly ms: number;
  readonly jobsPerSecond: number;
  readonly slowest: SlowestCall;
}

export interface CopyCheck {
  readonly failed: number;
  readonly wait: number;
  /** Jobs with exactly one `waiting` (prev `failed`) event, out of the seeded ones. */
  readonly movedOnce: number;
  /** Seeded jobs with no such event, or more than one. */
  readonly notOnce: number;
}

export interface ReplayBenchResult {
  readonly report: BenchReport;
  readonly jobs: number;
  readonly chunkSize: number;
  readonly ours: SideResult;
  readonly retryJobs: SideResult;
  readonly ratio: number;
  readonly checks: {
    readonly ours: CopyCheck;
    readonly retryJobs: CopyCheck;
    readonly journalReplayed: number;
  };
  /** Both copies: every seeded job moved exactly once, none left failed, journal says so. */
  readonly movedExactlyOnce: boolean;
  readonly goalMet: boolean;
}

function jobsFromEnv(): number {
  const raw = process.env.BENCH_REPLAY_JOBS;
  const parsed = raw === undefined ? DEFAULT_JOBS : Number(raw);
  if (!Number.isInteger(parsed) || parsed < 1)
    throw new Error(`BENCH_REPLAY_JOBS must be a positive integer`);
  return parsed;
}

/** The approved batch, as a plan freezes it: every seeded id, its payload hash and its finishedOn. */
async function planBatch(
  redis: Redis,
  queuePrefix: string,
  batchId: string,
  ids: readonly string[],
): Promise<ReplayBatch> {
  const jobs: ReplayBatch['jobs'][number][] = [];
  for (let start = 0; start < ids.length; start += SLICE) {
    const pipeline = redis.pipeline();
    const slice = ids.slice(start, start + SLICE);
    for (const id of slice) pipeline.hmget(`${queuePrefix}:${QUEUE}:${id}`, 'data', 'finishedOn');
    const replies = (await pipeline.exec()) ?? [];
    slice.forEach((id, i) => {
      const [data, finishedOn] = asNullableStrings(replies[i]?.[1]);
      jobs.push({ id, payloadSha256: payloadSha256(data ?? null), failedAt: Number(finishedOn) });
    });
  }
  return { id: batchId, queuePrefix, queue: QUEUE, jobs };
}

/** Counts per state and, from the events stream, how many times each seeded job left `failed`. */
async function checkCopy(redis: Redis, prefix: string, ids: readonly string[]): Promise<CopyCheck> {
  const key = (suffix: string): string => `${prefix}:${QUEUE}:${suffix}`;
  const moves = new Map<string, number>();
  let start = '-';
  for (;;) {
    const page = await redis.xrange(key('events'), start, '+', 'COUNT', 5_000);
    for (const [, fields] of page) {
      const value = (name: string): string | undefined => {
        const at = fields.indexOf(name);
        return at >= 0 && at % 2 === 0 ? fields[at + 1] : undefined;
      };
      const jobId = value('jobId');
      if (value('event') === 'waiting' && value('prev') === 'failed' && jobId !== undefined) {
        moves.set(jobId, (moves.get(jobId) ?? 0) + 1);
      }
    }
    if (page.length < 5_000) break;
    start = `(${page[page.length - 1]![0]}`;
  }
  const movedOnce = ids.filter((id) => moves.get(id) === 1).length;
  const seeded = new Set(ids);
  const strangers = [...moves.keys()].filter((id) => !seeded.has(id)).length;
  return {
    failed: await redis.zcard(key('failed')),
    wait: await redis.llen(key('wait')),
    movedOnce,
    notOnce: ids.length - movedOnce + strangers,
  };
}

/** Wall time of `work`, and (`probe`) the longest single Redis call it made. */
async function timed<T>(
  redis: Redis,
  work: () => Promise<T>,
  probe: boolean,
): Promise<{ value: T; ms: number; slowest?: SlowestCall }> {
  const slowlog = probe ? await startSlowestCall(redis) : undefined;
  const started = performance.now();
  // Stopped even when the work fails, so the server's slowlog config is restored.
  const value = await work().catch(async (err: unknown) => {
    await slowlog?.stop();
    throw err;
  });
  const ms = performance.now() - started;
  return { value, ms, ...(slowlog ? { slowest: await slowlog.stop() } : {}) };
}

const perSecond = (jobs: number, ms: number): number => Math.round(jobs / (ms / 1000));
const met = (ok: boolean): string => (ok ? 'met' : 'NOT met');

interface PairRun {
  readonly ours: { readonly ms: number; readonly slowest?: SlowestCall };
  readonly retryJobs: { readonly ms: number; readonly slowest?: SlowestCall };
  readonly checks: ReplayBenchResult['checks'];
  readonly exact: boolean;
}

/**
 * One pair of identical copies: seeded, planned, replayed by ours and by
 * retryJobs, then checked. `probe`: log every Redis command (SLOWLOG at 0 µs),
 * which slows both sides, so the rates come from a pass without it.
 */
async function runPair(
  redis: Redis,
  pass: string,
  jobs: number,
  chunkSize: number,
  probe: boolean,
): Promise<PairRun> {
  const oursPrefix = `bench-ours-${pass}`;
  const peerPrefix = `bench-peer-${pass}`;
  const split = { webhooks: 1, recordings: 0, billing: 0 };
  const now = Date.now();
  for (const queuePrefix of [oursPrefix, peerPrefix]) {
    await seedBacklog(redis, { queuePrefix, jobs, split, now });
    // An events stream long enough to count every move afterwards (the same in both copies).
    await redis.hset(`${queuePrefix}:${QUEUE}:meta`, 'opts.maxLenEvents', String(jobs + 10_000));
  }
  const ids = Array.from({ length: jobs }, (_, i) => String(i + 1));
  const batch = await planBatch(redis, oursPrefix, `bench-replay-${pass}`, ids);

  // Ours: the executor with the approved batch, journal in the same Redis (as the default config has it).
  const journal = new RedisBatchJournal(redis, `${STATE_PREFIX}-${pass}`, silentLogger);
  const ours = await timed(
    redis,
    () => executeBatch({ batch, connection: redis, journal, logger: silentLogger, chunkSize }),
    probe,
  );
  // The peer: BullMQ's own bulk retry of the whole failed set, 1,000 per call by default.
  const queue = new Queue(QUEUE, { connection: redis, prefix: peerPrefix, skipMetasUpdate: true });
  queue.on('error', (err: Error) => console.error('bench queue error', err));
  const peer = await timed(redis, () => queue.retryJobs({ state: 'failed' }), probe).finally(() =>
    queue.close(),
  );

  const outcomes: JobOutcome[] = ours.value;
  const journalReplayed = [...(await journal.entries(batch.id)).values()].filter(
    (entry) => entry !== 'unreadable' && entry.status === 'replayed',
  ).length;
  const checks = {
    ours: await checkCopy(redis, oursPrefix, ids),
    retryJobs: await checkCopy(redis, peerPrefix, ids),
    journalReplayed,
  };
  const exactCopy = (c: CopyCheck): boolean =>
    c.failed === 0 && c.wait === jobs && c.movedOnce === jobs && c.notOnce === 0;
  const exact =
    exactCopy(checks.ours) &&
    exactCopy(checks.retryJobs) &&
    journalReplayed === jobs &&
    outcomes.length === jobs &&
    outcomes.every((o) => o.status === 'replayed');
  return {
    ours: { ms: ours.ms, ...(ours.slowest ? { slowest: ours.slowest } : {}) },
    retryJobs: { ms: peer.ms, ...(peer.slowest ? { slowest: peer.slowest } : {}) },
    checks,
    exact,
  };
}

const NOTHING: SlowestCall = { micros: 0, command: '', args: [], commands: 0, complete: false };

export async function runReplayBench(options: ReplayBenchOptions = {}): Promise<ReplayBenchResult> {
  const jobs = options.jobs ?? jobsFromEnv();
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const bench = startBench('replay');
  const server = await startPrivateRedis();
  const redis = server.client;
  try {
    // Pass 1, rates: nothing logged. Pass 2, longest calls: every command logged, on fresh copies.
    const rate = await runPair(redis, 'rate', jobs, chunkSize, false);
    const calls = await runPair(redis, 'calls', jobs, chunkSize, true);

    const oursSide: SideResult = {
      ms: round(rate.ours.ms),
      jobsPerSecond: perSecond(jobs, rate.ours.ms),
      slowest: calls.ours.slowest ?? NOTHING,
    };
    const peerSide: SideResult = {
      ms: round(rate.retryJobs.ms),
      jobsPerSecond: perSecond(jobs, rate.retryJobs.ms),
      slowest: calls.retryJobs.slowest ?? NOTHING,
    };
    const movedExactlyOnce = rate.exact && calls.exact;
    const ratio = round(oursSide.jobsPerSecond / peerSide.jobsPerSecond, 3);
    const callOk = oursSide.slowest.micros <= GOALS.maxCallMicros && oursSide.slowest.complete;
    const goalMet = ratio >= GOALS.minRatio && callOk && movedExactlyOnce;
    const describe = (s: SlowestCall): string =>
      `${s.command}${s.args[0] ? ` ${s.args[0].slice(0, 12)}` : ''} (${s.commands} calls logged${s.complete ? '' : ', log full'})`;

    bench.add(
      figure(`journaled selective replay, ${jobs} jobs`, oursSide.jobsPerSecond, 'jobs/s', {
        name: 'Queue.retryJobs',
        value: peerSide.jobsPerSecond,
      }),
      figure('replay wall time', oursSide.ms, 'ms', { name: 'Queue.retryJobs', value: peerSide.ms }),
      figure(
        'rate with every command logged (pass 2)',
        perSecond(jobs, calls.ours.ms),
        'jobs/s',
        { name: 'Queue.retryJobs', value: perSecond(jobs, calls.retryJobs.ms) },
        'SLOWLOG at 0 µs slows both sides',
      ),
      figure(
        'longest single Redis call',
        oursSide.slowest.micros,
        'µs',
        { name: `Queue.retryJobs: ${describe(peerSide.slowest)}`, value: peerSide.slowest.micros },
        `ours: ${describe(oursSide.slowest)}`,
      ),
      figure(
        `goal: rate ≥ ${GOALS.minRatio * 100} % of retryJobs`,
        ratio,
        'ratio',
        undefined,
        met(ratio >= GOALS.minRatio),
      ),
      figure(
        `goal: longest call ≤ ${GOALS.maxCallMicros} µs`,
        oursSide.slowest.micros,
        'µs',
        undefined,
        met(callOk),
      ),
      figure(
        'moved exactly once (all four copies, and the journals)',
        movedExactlyOnce ? 1 : 0,
        'bool',
        undefined,
        `pass 1: ours ${JSON.stringify(rate.checks.ours)}, retryJobs ${JSON.stringify(rate.checks.retryJobs)}, journal replayed ${rate.checks.journalReplayed}`,
      ),
    );
    const checks = calls.checks;
    const report = await bench.finish(redis, {
      ...(options.resultsDir ? { dir: options.resultsDir } : {}),
      ...(options.write !== undefined ? { write: options.write } : {}),
      ...(options.print !== undefined ? { print: options.print } : {}),
      details: {
        jobs,
        chunkSize,
        goals: GOALS,
        ours: oursSide,
        retryJobs: peerSide,
        ratio,
        passes: { rate, calls },
      },
    });
    return {
      report,
      jobs,
      chunkSize,
      ours: oursSide,
      retryJobs: peerSide,
      ratio,
      checks: { ours: checks.ours, retryJobs: checks.retryJobs, journalReplayed: checks.journalReplayed },
      movedExactlyOnce,
      goalMet,
    };
  } finally {
    await server.stop();
  }
}

if (require.main === module) {
  runReplayBench().then(
    (result) => process.exit(result.movedExactlyOnce ? 0 : 1),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
