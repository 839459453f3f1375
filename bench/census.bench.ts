import { Redis } from 'ioredis';
import { runCensus, type CensusOptions } from '../src/queues/census';
import { prefixOf } from '../src/queues/census-prefix';
import type { Census } from '../src/queues/types';
import { billingWorkflow } from '../src/workflows/billing';
import { recordingsWorkflow } from '../src/workflows/recordings';
import { webhooksWorkflow } from '../src/workflows/webhooks';
import { now, sleep, startLatencyProbe, type LatencyProbe, type LatencyStats } from './lib/latency-probe';
import { startPrivateRedis } from './lib/private-redis';
import { figure, round, startBench, startRssSampler, type BenchReport } from './lib/report';
import { seedBacklog, type SeedBacklogResult } from './lib/seed-backlog';

/**
 * Census on a large keyspace (issue 7): our census as the diagnosis calls it,
 * and with a 1 s time budget, against a full SCAN COUNT 1000 and COUNT 100 on
 * a private Redis seeded with given-up jobs and unrelated keys. For each run:
 * wall time, per-prefix share against the seeded truth, SCAN server time
 * (INFO commandstats) and a PING probe's p50/p99 before and during.
 *
 *   npx tsc -p tsconfig.bench.json && node dist/bench/census.bench.js
 *   BENCH_JOBS=1000000 BENCH_KEYS=2000000 (defaults)
 */

export interface CensusBenchOptions {
  /** Given-up jobs to seed (default BENCH_JOBS or 1,000,000). */
  readonly jobs?: number;
  /** Unrelated keys to seed (default BENCH_KEYS or 2,000,000). */
  readonly keys?: number;
  /** Idle probe window before each run (default 1,000 ms). */
  readonly baselineMs?: number;
  /** Least runs of each census variant, probe windows pooled (default 3; the full SCANs run once). */
  readonly repeats?: number;
  /**
   * A census variant repeats until its runs add up to this much time (default
   * 3,000 ms, at most MAX_REPEATS runs), so its p99 rests on ~3,000 PINGs.
   */
  readonly minDuringMs?: number;
  /** Length of each idle "run" measured as the noise floor (default 1,000 ms). */
  readonly noiseFloorMs?: number;
  /** Census variants to measure (default CENSUS_VARIANTS). */
  readonly variants?: readonly CensusVariant[];
  /** Also run the full SCAN peers (default true). */
  readonly peers?: boolean;
  /** Where the JSON goes (default bench/results). */
  readonly resultsDir?: string;
  readonly write?: boolean;
  readonly print?: boolean;
}

/** What src/config.ts gives the diagnosis by default (CENSUS_KEY_BUDGET, CENSUS_TIME_BUDGET_MS). */
export const DIAGNOSIS_BUDGETS = { keyBudget: 50_000, timeBudgetMs: 300 } as const;

export interface CensusVariant {
  readonly name: string;
  readonly options: Pick<CensusOptions, 'keyBudget' | 'timeBudgetMs' | 'count' | 'pauseMs'>;
}

export const CENSUS_VARIANTS: readonly CensusVariant[] = [
  { name: 'census (diagnosis budgets)', options: DIAGNOSIS_BUDGETS },
  { name: 'census (1 s budget)', options: { keyBudget: Number.MAX_SAFE_INTEGER, timeBudgetMs: 1_000 } },
  // How the census ran before issue 7: SCANs back to back.
  {
    name: 'census (1 s budget, no pause)',
    options: { keyBudget: Number.MAX_SAFE_INTEGER, timeBudgetMs: 1_000, pauseMs: 0 },
  },
];

/** Issue 7's goals. */
export const GOALS = { timeMs: 1_000, maxErrorPoints: 5, p99RaiseMs: 2, minSharePercent: 1 } as const;

const QUEUE_PREFIX = 'bull';
const MAX_REPEATS = 15;
const WORKFLOWS = [webhooksWorkflow, recordingsWorkflow, billingWorkflow].map((w) => ({
  id: w.id,
  queue: w.queue,
}));

export interface PrefixError {
  readonly prefix: string;
  readonly truePercent: number;
  readonly estimatedPercent: number;
  readonly errorPoints: number;
}

export interface CensusRun {
  readonly name: string;
  readonly repeats: number;
  /** Slowest of the repeats. */
  readonly ms: number;
  readonly medianMs: number;
  readonly scannedKeys: number;
  readonly complete: boolean;
  readonly scanCalls: number;
  /** SCAN's server time (usec from INFO commandstats), in ms. */
  readonly scanServerMs: number;
  readonly scanServerUsecPerCall: number;
  /** Largest |estimated − true| share, in percentage points, over prefixes holding ≥ 1 % of keys (worst repeat). */
  readonly maxErrorPoints: number;
  /** The worst repeat's per-prefix errors. */
  readonly errors: readonly PrefixError[];
  readonly before: LatencyStats;
  readonly during: LatencyStats;
  readonly p99RaiseMs: number;
  /**
   * Median over the repeats of (p99 during the run − p99 of its own idle
   * window): robust to one burst from elsewhere on the host, unlike the pooled p99.
   */
  readonly medianP99RaiseMs: number;
  readonly peakRssBytes: number;
}

/** Per-prefix key counts as a census reports them (estimates when the scan stopped early). */
type Counts = ReadonlyMap<string, number>;

/** Shares within `minSharePercent` of the truth? Missing prefixes count as 0 %. */
export function shareErrors(
  truth: Readonly<Record<string, number>>,
  estimate: Counts,
  minSharePercent: number = GOALS.minSharePercent,
): PrefixError[] {
  const trueTotal = Object.values(truth).reduce((a, b) => a + b, 0);
  const estTotal = [...estimate.values()].reduce((a, b) => a + b, 0);
  const errors: PrefixError[] = [];
  for (const [prefix, count] of Object.entries(truth)) {
    const truePercent = (100 * count) / trueTotal;
    if (truePercent < minSharePercent) continue;
    const estimatedPercent = estTotal === 0 ? 0 : (100 * (estimate.get(prefix) ?? 0)) / estTotal;
    errors.push({
      prefix,
      truePercent: round(truePercent, 3),
      estimatedPercent: round(estimatedPercent, 3),
      errorPoints: round(Math.abs(estimatedPercent - truePercent), 3),
    });
  }
  return errors.sort((a, b) => b.truePercent - a.truePercent);
}

interface CommandUsage {
  readonly calls: number;
  readonly usec: number;
}

export function parseCommandUsage(info: string, command: string): CommandUsage {
  const match = new RegExp(`^cmdstat_${command}:calls=(\\d+),usec=(\\d+)`, 'm').exec(info);
  return { calls: Number(match?.[1] ?? 0), usec: Number(match?.[2] ?? 0) };
}

async function scanUsage(admin: Redis): Promise<CommandUsage> {
  return parseCommandUsage(await admin.info('commandstats'), 'scan');
}

/** A full SCAN, counting keys by the census's own prefix rule: the exact peer. */
async function fullScan(redis: Redis, count: number): Promise<{ counts: Counts; scanned: number }> {
  const counts = new Map<string, number>();
  let scanned = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'COUNT', count);
    cursor = next;
    scanned += keys.length;
    for (const key of keys) {
      const prefix = prefixOf(key);
      counts.set(prefix, (counts.get(prefix) ?? 0) + 1);
    }
  } while (cursor !== '0');
  return { counts, scanned };
}

function censusCounts(census: Census): Counts {
  return new Map(census.prefixes.map((p) => [p.prefix, p.keys]));
}

interface Measured {
  readonly counts: Counts;
  readonly scannedKeys: number;
  readonly complete: boolean;
}

interface MeasureContext {
  readonly admin: Redis;
  readonly probe: LatencyProbe;
  readonly truth: Record<string, number>;
  readonly baselineMs: number;
}

/**
 * Runs `work` at least `minRepeats` times and until the runs add up to
 * `minDuringMs`, each after an idle baseline window; probe samples are pooled
 * over the baselines and over the runs, so a p99 over a short census still
 * rests on a few thousand PINGs.
 */
async function measure(
  name: string,
  work: () => Promise<Measured>,
  ctx: MeasureContext,
  minRepeats: number,
  minDuringMs = 0,
): Promise<CensusRun> {
  const idle: [bigint, bigint][] = [];
  const busy: [bigint, bigint][] = [];
  const times: number[] = [];
  let worst: { errors: PrefixError[]; max: number } | undefined;
  let last: Measured | undefined;
  let calls = 0;
  let usec = 0;
  const rss = startRssSampler();
  let repeats = 0;
  while (repeats < minRepeats || (times.reduce((a, b) => a + b, 0) < minDuringMs && repeats < MAX_REPEATS)) {
    repeats += 1;
    const idleFrom = now();
    await sleep(ctx.baselineMs);
    idle.push([idleFrom, now()]);
    const usageBefore = await scanUsage(ctx.admin);
    const from = now();
    last = await work();
    const to = now();
    busy.push([from, to]);
    const usageAfter = await scanUsage(ctx.admin);
    calls += usageAfter.calls - usageBefore.calls;
    usec += usageAfter.usec - usageBefore.usec;
    times.push(Number(to - from) / 1e6);
    const errors = shareErrors(ctx.truth, last.counts);
    const max = Math.max(0, ...errors.map((e) => e.errorPoints));
    if (!worst || max > worst.max) worst = { errors, max };
  }
  const peakRssBytes = rss.stop();
  const before = await ctx.probe.windows(idle);
  const during = await ctx.probe.windows(busy);
  const raises: number[] = [];
  for (const [i, range] of busy.entries()) {
    const [idleStats, busyStats] = await Promise.all([
      ctx.probe.window(...idle[i]!),
      ctx.probe.window(...range),
    ]);
    raises.push(busyStats.p99Ms - idleStats.p99Ms);
  }
  raises.sort((a, b) => a - b);
  const sorted = [...times].sort((a, b) => a - b);
  return {
    name,
    repeats,
    ms: round(sorted[sorted.length - 1] ?? 0, 1),
    medianMs: round(sorted[Math.floor(sorted.length / 2)] ?? 0, 1),
    scannedKeys: last?.scannedKeys ?? 0,
    complete: last?.complete ?? false,
    scanCalls: Math.round(calls / repeats),
    scanServerMs: round(usec / repeats / 1000, 1),
    scanServerUsecPerCall: calls === 0 ? 0 : round(usec / calls, 1),
    maxErrorPoints: round(worst?.max ?? 0, 3),
    errors: worst?.errors ?? [],
    before,
    during,
    p99RaiseMs: round(during.p99Ms - before.p99Ms, 3),
    medianP99RaiseMs: round(raises[Math.floor(raises.length / 2)] ?? 0, 3),
    peakRssBytes,
  };
}

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw.replace(/_/g, ''));
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number ≥ 0, got '${raw}'`);
  return value;
}

export interface CensusBenchResult {
  readonly report: BenchReport;
  readonly seeded: SeedBacklogResult;
  readonly runs: readonly CensusRun[];
}

export async function runCensusBench(options: CensusBenchOptions = {}): Promise<CensusBenchResult> {
  const bench = startBench('census');
  const jobs = options.jobs ?? envNumber('BENCH_JOBS', 1_000_000);
  const keys = options.keys ?? envNumber('BENCH_KEYS', 2_000_000);
  const baselineMs = options.baselineMs ?? 1_000;
  const repeats = options.repeats ?? 3;
  const minDuringMs = options.minDuringMs ?? 3_000;
  const variants = options.variants ?? CENSUS_VARIANTS;
  const redis = await startPrivateRedis();
  // The bot's own connection, apart from the admin client that seeds and reads INFO.
  const bot = new Redis(redis.url, { maxRetriesPerRequest: 2 });
  bot.on('error', () => undefined);
  let probe: LatencyProbe | undefined;
  try {
    const admin = redis.client;
    await admin.flushall();
    const seeded = await seedBacklog(admin, { queuePrefix: QUEUE_PREFIX, jobs, unrelatedKeys: keys });
    const dbsize = await admin.dbsize();
    if (dbsize !== seeded.totalKeys) throw new Error(`DBSIZE ${dbsize} but seeded ${seeded.totalKeys} keys`);
    probe = await startLatencyProbe({ port: redis.port });
    const ctx = { admin, probe, truth: seeded.keysByPrefix, baselineMs };

    const census =
      (budgets: Pick<CensusOptions, 'keyBudget' | 'timeBudgetMs'>) => async (): Promise<Measured> => {
        const result = await runCensus(bot, { ...budgets, queuePrefix: QUEUE_PREFIX, workflows: WORKFLOWS });
        return { counts: censusCounts(result), scannedKeys: result.scannedKeys, complete: result.complete };
      };
    const scan = (count: number) => async (): Promise<Measured> => {
      const result = await fullScan(bot, count);
      return { counts: result.counts, scannedKeys: result.scanned, complete: true };
    };
    // The noise floor: the same windows with nothing running. Its "raise" is what the host's other load does.
    const idle = async (): Promise<Measured> => {
      await sleep(options.noiseFloorMs ?? 1_000);
      return { counts: new Map(), scannedKeys: 0, complete: false };
    };
    const floor = await measure('nothing (noise floor)', idle, ctx, repeats, minDuringMs);
    const runs: CensusRun[] = [];
    for (const variant of variants) {
      runs.push(await measure(variant.name, census(variant.options), ctx, repeats, minDuringMs));
    }
    const censusRuns = [...runs];
    if (options.peers ?? true) {
      runs.push(await measure('SCAN COUNT 1000 (full)', scan(1000), ctx, 1));
      runs.push(await measure('SCAN COUNT 100 (full)', scan(100), ctx, 1));
    }

    const scan1000 = runs.find((r) => r.name.startsWith('SCAN COUNT 1000'));
    bench.add(
      figure('keys in the database', seeded.totalKeys, 'keys'),
      figure('seeding', seeded.jobsPerSecond, 'jobs/s', {
        name: 'reference server-side Lua seeder',
        value: 100_000,
      }),
      figure('seeding wall time', seeded.ms, 'ms'),
      figure('nothing (noise floor): PING p50', floor.during.p50Ms, 'ms', {
        name: 'idle before',
        value: floor.before.p50Ms,
      }),
      figure('nothing (noise floor): PING p99', floor.during.p99Ms, 'ms', {
        name: 'idle before',
        value: floor.before.p99Ms,
      }),
      figure(
        'nothing (noise floor): p99 "raise"',
        floor.p99RaiseMs,
        'ms',
        undefined,
        `what the host alone does between two idle windows; median of runs ${floor.medianP99RaiseMs} ms`,
      ),
    );
    for (const run of runs) {
      const peer = run === scan1000 ? undefined : scan1000;
      const vs = (value: number | undefined) =>
        peer && value !== undefined ? { name: peer.name, value } : undefined;
      bench.add(
        figure(
          `${run.name}: time`,
          run.ms,
          'ms',
          vs(peer?.ms),
          `${run.repeats > 1 ? `slowest of ${run.repeats}, median ${run.medianMs} ms; ` : ''}${run.scannedKeys} keys scanned`,
        ),
        figure(`${run.name}: max share error (prefixes ≥ 1 %)`, run.maxErrorPoints, 'points'),
        figure(`${run.name}: SCAN server time`, run.scanServerMs, 'ms', vs(peer?.scanServerMs)),
        figure(
          `${run.name}: SCAN server time per call`,
          run.scanServerUsecPerCall,
          'µs',
          vs(peer?.scanServerUsecPerCall),
        ),
        figure(`${run.name}: PING p50 during`, run.during.p50Ms, 'ms', {
          name: 'idle before',
          value: run.before.p50Ms,
        }),
        figure(`${run.name}: PING p99 during`, run.during.p99Ms, 'ms', {
          name: 'idle before',
          value: run.before.p99Ms,
        }),
        // A raise is a difference near 0: no ratio to the noise floor, which is named in the note.
        figure(
          `${run.name}: p99 raise (pooled)`,
          run.p99RaiseMs,
          'ms',
          undefined,
          `noise floor ${floor.p99RaiseMs} ms`,
        ),
        figure(
          `${run.name}: p99 raise (median of runs)`,
          run.medianP99RaiseMs,
          'ms',
          undefined,
          `noise floor ${floor.medianP99RaiseMs} ms`,
        ),
        figure(`${run.name}: peak RSS`, round(run.peakRssBytes / 1024 / 1024, 1), 'MiB'),
      );
    }
    for (const run of censusRuns) {
      const met = (ok: boolean): string => (ok ? 'met' : 'MISSED');
      bench.add(
        figure(
          `goal: ${run.name} time ≤ ${GOALS.timeMs} ms`,
          run.ms,
          'ms',
          undefined,
          met(run.ms <= GOALS.timeMs),
        ),
        figure(
          `goal: ${run.name} share error ≤ ${GOALS.maxErrorPoints} points`,
          run.maxErrorPoints,
          'points',
          undefined,
          met(run.maxErrorPoints <= GOALS.maxErrorPoints),
        ),
        figure(
          `goal: ${run.name} p99 raise ≤ ${GOALS.p99RaiseMs} ms (pooled)`,
          run.p99RaiseMs,
          'ms',
          undefined,
          `${met(run.p99RaiseMs <= GOALS.p99RaiseMs)}; median of runs ${run.medianP99RaiseMs} ms ` +
            `(${met(run.medianP99RaiseMs <= GOALS.p99RaiseMs)}); noise floor ${floor.p99RaiseMs} ms`,
        ),
      );
    }
    const report = await bench.finish(admin, {
      ...(options.resultsDir ? { dir: options.resultsDir } : {}),
      ...(options.write !== undefined ? { write: options.write } : {}),
      ...(options.print !== undefined ? { print: options.print } : {}),
      details: { jobs, keys, seeded, goals: GOALS, repeats, minDuringMs, baselineMs, variants, floor, runs },
    });
    return { report, seeded, runs };
  } finally {
    await probe?.stop();
    bot.disconnect();
    await redis.stop();
  }
}

if (require.main === module) {
  runCensusBench().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
