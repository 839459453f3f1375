import { performance } from 'node:perf_hooks';
import { loadConfig } from '../src/config';
import { silentLogger } from '../src/logger';
import { startRuntime, type Runtime } from '../src/runtime';
import { SANDBOX_IDS, type SlackEmulator } from '../src/sandbox';
import { freePort, startPrivateRedis } from './lib/private-redis';
import { figure as benchFigure, startBench, type BenchReport } from './lib/report';

/**
 * Issue 7: "ack of any command or click ≤ 100 ms". Slack gives an app three
 * seconds to acknowledge, and an on-call engineer reads a slow ack as a dead
 * bot. Measured on the sandbox (the real Bolt app, the demo incident, the
 * emulator signing every request): the time from sending a signed request to
 * the app's HTTP answer, for each command and each button a runbook uses.
 */

export interface AckBenchOptions {
  /** Requests per kind. */
  readonly runs?: number;
  /** Print the table and write bench/results/ack.json (the script does; the smoke test does not). */
  readonly print?: boolean;
  readonly write?: boolean;
}

export interface AckFigure {
  readonly kind: string;
  readonly runs: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly maxMs: number;
}

export interface AckReport {
  readonly figures: readonly AckFigure[];
  /** The slowest p95 over every kind. */
  readonly worstP95Ms: number;
  readonly peakRssMb: number;
}

const GOAL_MS = 100;
const TIMEOUT_MS = 20_000;

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

function figure(kind: string, samples: readonly number[]): AckFigure {
  const sorted = [...samples].sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 10) / 10;
  return {
    kind,
    runs: sorted.length,
    p50Ms: round(percentile(sorted, 50)),
    p95Ms: round(percentile(sorted, 95)),
    maxMs: round(sorted[sorted.length - 1] ?? 0),
  };
}

async function timed(send: () => Promise<{ status: number }>): Promise<number> {
  const started = performance.now();
  const response = await send();
  const took = performance.now() - started;
  if (response.status !== 200) throw new Error(`the app answered HTTP ${response.status}`);
  return took;
}

/** The bot's own posts with a given block, newest first. */
function postsWith(emulator: SlackEmulator, blockId: string): string[] {
  return emulator.calls
    .filter(
      (call) =>
        call.method === 'chat.postMessage' && JSON.stringify(call.args.blocks ?? []).includes(blockId),
    )
    .map((call) => (typeof call.response.ts === 'string' ? call.response.ts : ''))
    .reverse();
}

async function next(emulator: SlackEmulator, blockId: string, seen: number): Promise<string> {
  const deadline = Date.now() + TIMEOUT_MS;
  for (;;) {
    const posts = postsWith(emulator, blockId);
    if (posts.length > seen && posts[0]) return posts[0];
    if (Date.now() > deadline) throw new Error(`no message with ${blockId} within ${TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function measure(runtime: Runtime, runs: number): Promise<AckFigure[]> {
  const emulator = runtime.sandbox!;
  const samples = new Map<string, number[]>();
  const add = (kind: string, ms: number) => samples.set(kind, [...(samples.get(kind) ?? []), ms]);
  const command = (text: string, user: string = SANDBOX_IDS.requester) =>
    timed(() => emulator.sendSlashCommand({ text, user }));

  for (let i = 0; i < runs; i++) {
    add('/stuckjobs help', await command('help'));
    const diagnoses = postsWith(emulator, 'diagnosis_header').length;
    add('/stuckjobs diagnose', await command('diagnose webhooks'));
    const diagnosis = await next(emulator, 'diagnosis_header', diagnoses);

    const samplesSeen = postsWith(emulator, 'samples_gate').length;
    add(
      'click Show samples',
      await timed(() => emulator.sendBlockAction({ messageTs: diagnosis, actionId: 'show_samples' })),
    );
    await next(emulator, 'samples_gate', samplesSeen);

    const plans = postsWith(emulator, 'approval_actions').length;
    add(
      'click Plan replay',
      await timed(() => emulator.sendBlockAction({ messageTs: diagnosis, actionId: 'replay_plan' })),
    );
    const approval = await next(emulator, 'approval_actions', plans);

    // The requester's own Approve (refused) and their Deny (withdrawn): the decision path without a replay.
    add(
      'click Approve',
      await timed(() => emulator.sendBlockAction({ messageTs: approval, actionId: 'replay_approve' })),
    );
    add(
      'click Deny',
      await timed(() => emulator.sendBlockAction({ messageTs: approval, actionId: 'replay_deny' })),
    );
    add('/stuckjobs audit', await command('audit 20'));
  }
  return [...samples].map(([kind, values]) => figure(kind, values));
}

export interface AckBenchRun extends AckReport {
  readonly report: BenchReport;
}

export async function runAckBench(options: AckBenchOptions = {}): Promise<AckBenchRun> {
  const redis = await startPrivateRedis();
  const bench = startBench('ack');
  let runtime: Runtime | undefined;
  try {
    const env = { REDIS_URL: redis.url };
    const config = loadConfig({
      ...env,
      PORT: String(await freePort()),
      SANDBOX_PREFIX: 'ack-bench',
      TREND_WINDOW_MS: '200',
      LOG_LEVEL: 'silent',
    });
    runtime = await startRuntime(config, silentLogger, env);
    const figures = await measure(runtime, options.runs ?? 20);
    for (const f of figures) {
      const spread = `p50 ${f.p50Ms} ms, max ${f.maxMs} ms over ${f.runs}`;
      bench.add(benchFigure(`${f.kind} ack p95`, f.p95Ms, 'ms', { name: 'goal', value: GOAL_MS }, spread));
    }
    const worstP95Ms = Math.max(...figures.map((f) => f.p95Ms));
    const report = await bench.finish(redis.client, {
      print: options.print ?? false,
      write: options.write ?? false,
    });
    return { figures, worstP95Ms, peakRssMb: Math.round(report.peakRssBytes / 1e6), report };
  } finally {
    await runtime?.stop();
    await redis.stop();
  }
}

function printVerdict(run: AckReport): void {
  const verdict = run.worstP95Ms <= GOAL_MS ? 'met' : `missed by ${Math.round(run.worstP95Ms - GOAL_MS)} ms`;
  process.stdout.write(
    `worst p95 ${run.worstP95Ms} ms (goal ≤ ${GOAL_MS} ms: ${verdict}); peak RSS ${run.peakRssMb} MB\n`,
  );
}

if (require.main === module) {
  const runs = Number(process.env.BENCH_RUNS ?? 20);
  runAckBench({ runs, print: true, write: true }).then(printVerdict, (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
