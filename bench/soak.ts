/**
 * Issue 8, the soak run: hundreds of scripted incidents through the Slack
 * emulator and the real bot, with random faults injected (Slack 429/5xx, a
 * tenant down at plan or approval time, self-approval, a bystander's click,
 * double clicks and retried deliveries, an expired approval, a denial, a
 * tampered button value, an oversized first batch, growth before
 * verification), each incident checked against Redis afterwards.
 *
 * Report (stdout and bench/results/soak.json): incidents run, batches
 * approved, jobs replayed, lost (must be 0), duplicated (must be 0), the
 * refusals owed and made, faults by kind, wall time. Exits 1 when anything
 * was lost, duplicated or moved unapproved, a refusal was missed or a step
 * stalled.
 *
 *   npm run bench:build && node dist/bench/soak.js [--incidents 300] [--seed 42] [--quiet]
 *
 * Uses the shared Redis (REDIS_URL, default redis://127.0.0.1:6379) under a
 * random prefix of its own, deleted at the end.
 */
import { parseArgs } from 'node:util';
import { figure, round, startBench, type BenchReport } from './lib/report';
import { DEFAULT_LIMITS, drawIncident, FAULT_KINDS, type SpecLimits } from './soak/incident-spec';
import { createPrng } from './soak/prng';
import { IncidentRun, type IncidentResult } from './soak/run-incident';
import { summarise, type SoakSummary } from './soak/summary';
import { startSoakWorld } from './soak/world';

export const DEFAULT_INCIDENTS = 300;
export const DEFAULT_SEED = 42;

export interface SoakOptions {
  readonly incidents?: number;
  readonly seed?: number;
  readonly limits?: Partial<SpecLimits>;
  readonly redisUrl?: string;
  readonly resultsDir?: string;
  readonly write?: boolean;
  readonly print?: boolean;
  /** A line per incident as it ends (the long form's progress). */
  readonly progress?: (line: string) => void;
}

export interface SoakResult {
  readonly report: BenchReport;
  readonly summary: SoakSummary;
  readonly results: readonly IncidentResult[];
  readonly wallMs: number;
}

export async function runSoak(options: SoakOptions = {}): Promise<SoakResult> {
  const incidents = options.incidents ?? DEFAULT_INCIDENTS;
  const seed = options.seed ?? DEFAULT_SEED;
  const limits: SpecLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const bench = startBench('soak');
  const started = performance.now();
  const world = await startSoakWorld({
    redisUrl: options.redisUrl ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  });
  const results: IncidentResult[] = [];
  try {
    const prng = createPrng(seed);
    for (let index = 1; index <= incidents; index++) {
      const spec = drawIncident(prng, index, limits);
      const result = await new IncidentRun(world, spec).run();
      results.push(result);
      options.progress?.(
        `#${index} ${spec.workflow} ${spec.givenUp} given up, faults ${spec.faults.join('+') || 'none'}: ` +
          `${result.truth.replayed} replayed, ${result.ms} ms (${Object.entries(result.stepMs)
            .map(([step, ms]) => `${step} ${ms}`)
            .join(', ')})${result.error ? `, STALLED: ${result.error}` : ''}`,
      );
    }
    const wallMs = performance.now() - started;
    const summary = summarise(results);
    const errors = world.errors();
    const missed = summary.refusalsExpected - summary.refusalsHappened;
    bench.add(
      figure(
        'incidents run',
        summary.incidentsRun,
        'incidents',
        undefined,
        `seed ${seed}; ${summary.incidentsStalled} stalled`,
      ),
      figure(
        'batches approved',
        summary.batchesApproved,
        'batches',
        undefined,
        `${summary.batchesCreated} created`,
      ),
      figure('jobs replayed (journal)', summary.jobsReplayed, 'jobs', {
        name: 'moves in BullMQ events',
        value: summary.jobsMoved,
      }),
      figure('lost', summary.lost, 'jobs', undefined, 'must be 0'),
      figure('duplicated', summary.duplicated, 'jobs', undefined, 'must be 0'),
      figure('moved without an approval', summary.movedUnapproved, 'jobs', undefined, 'must be 0'),
      figure(
        'never-replay jobs disturbed',
        summary.neverReplayDisturbed,
        'jobs',
        undefined,
        `must be 0; ${summary.neverReplaySeeded} seeded (retrying, failed early, Stripe 4xx)`,
      ),
      figure(
        'refusals that happened',
        summary.refusalsHappened,
        'refusals',
        { name: 'refusals owed', value: summary.refusalsExpected },
        missed === 0 ? 'none missed' : `${missed} MISSED`,
      ),
      figure(
        'faults injected',
        summary.faultsInjected,
        'faults',
        undefined,
        FAULT_KINDS.filter((k) => summary.faults[k].injected > 0)
          .map((k) => `${k} ${summary.faults[k].injected}`)
          .join(', '),
      ),
      figure(
        'second batches run',
        summary.secondBatches.run,
        'batches',
        { name: 'drawn', value: summary.secondBatches.drawn },
        `${summary.secondBatches.skipped} skipped (canary not verified)`,
      ),
      figure('bot error log lines', errors.count, 'lines'),
      figure(
        'wall time',
        round(wallMs / 1000, 1),
        's',
        undefined,
        `per incident p50 ${summary.incidentMs.p50} ms, p95 ${summary.incidentMs.p95} ms, max ${summary.incidentMs.max} ms`,
      ),
      figure(
        'time by step',
        round(Object.values(summary.stepMs).reduce((a, b) => a + b, 0) / 1000, 1),
        's',
        undefined,
        Object.entries(summary.stepMs)
          .map(([step, ms]) => `${step} ${round(ms / 1000, 1)} s`)
          .join(', '),
      ),
      figure('verdict', summary.ok ? 1 : 0, 'bool', undefined, summary.ok ? 'pass' : 'FAIL'),
    );
    const report = await bench.finish(world.redis, {
      ...(options.resultsDir ? { dir: options.resultsDir } : {}),
      ...(options.write !== undefined ? { write: options.write } : {}),
      ...(options.print !== undefined ? { print: options.print } : {}),
      details: { seed, incidents, limits, summary, botErrors: errors.last },
    });
    if (options.print !== false) {
      console.log('\n| fault | injected | refusals owed | refused |\n| --- | ---: | ---: | ---: |');
      for (const kind of FAULT_KINDS) {
        const f = summary.faults[kind];
        console.log(`| ${kind} | ${f.injected} | ${f.refusalsExpected} | ${f.refusalsHappened} |`);
      }
      for (const line of summary.problems) console.log(`problem: ${line}`);
    }
    return { report, summary, results, wallMs };
  } finally {
    await world.close();
  }
}

function positive(raw: string | undefined, fallback: number, name: string): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`--${name} must be a positive integer, got ${raw}`);
  return value;
}

if (require.main === module) {
  const { values } = parseArgs({
    options: {
      incidents: { type: 'string' },
      seed: { type: 'string' },
      quiet: { type: 'boolean', default: false },
    },
  });
  const run = async (): Promise<boolean> => {
    const result = await runSoak({
      incidents: positive(values.incidents, DEFAULT_INCIDENTS, 'incidents'),
      seed: positive(values.seed, DEFAULT_SEED, 'seed'),
      ...(values.quiet ? {} : { progress: (line: string) => console.error(line) }),
    });
    return result.summary.ok;
  };
  run().then(
    (ok) => process.exit(ok ? 0 : 1),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
