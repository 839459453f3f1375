import type { RunningBot } from '../src/app';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { SANDBOX_IDS, type RecordedCall, type SlackEmulator } from '../src/sandbox';
import { startBotBehindEmulator, startEmulatedSlack } from '../src/sandbox/emulated-bot';
import { createServices, type Services } from '../src/services';
import { CommandStats, subtractCalls, type CommandDelta, type SlowCall } from './lib/command-stats';
import { eventually } from './lib/poll';
import { startPrivateRedis, type PrivateRedis } from './lib/private-redis';
import { figure, startBench, type BenchFigure } from './lib/report';
import { seedBacklog } from './lib/seed-backlog';
import { startUpstreamStandIns, type UpstreamStandIns } from './lib/upstream-stand-ins';

/**
 * `/stuckjobs diagnose` end to end at 10k, 100k and 1M given-up jobs: the
 * signed slash command from the Slack emulator to the real Bolt app over
 * HTTP, the real services on a private Redis, healthy upstreams on loopback;
 * timed from sending the command to the diagnosis' `chat.postMessage`
 * arriving at the emulator. Also: the ack (the HTTP answer to the command),
 * Redis commands per diagnosis (INFO commandstats, the depth sampler's known
 * share left out), the slowest Redis call (SLOWLOG at threshold 0, reset per
 * run) and the process's peak RSS (bot, emulator and stand-ins together).
 */
export interface DiagnoseBenchOptions {
  readonly sizes: readonly number[];
  readonly runs: number;
  /** TREND_WINDOW_MS for the bot (default the production 5000). */
  readonly trendWindowMs?: number;
  /** Also time one diagnosis right after start, before the sampler has an old enough reading. */
  readonly cold?: boolean;
  /** Write bench/results/diagnose.json and print the tables (default true). */
  readonly report?: boolean;
  readonly log?: (line: string) => void;
}

export interface Percentiles {
  readonly p50: number;
  readonly p95: number;
  readonly min: number;
  readonly max: number;
}

/** Commands by group: the census (SCAN/TYPE/DBSIZE, bounded by its budget) apart from the rest. */
export interface DiagnosisCommands {
  readonly total: number;
  readonly withoutCensus: number;
  readonly census: number;
  readonly calls: Readonly<Record<string, number>>;
  /** Whether every run issued the same non-census commands. */
  readonly sameEveryRun: boolean;
}

export interface DiagnoseSizeResult {
  readonly jobs: number;
  readonly seedMs: number;
  readonly runs: number;
  readonly postedMs: Percentiles;
  readonly ackMs: Percentiles;
  /** One diagnosis right after start (the sampler's first reading not yet a window old). */
  readonly coldPostedMs?: number;
  readonly commands: DiagnosisCommands;
  readonly slowest: SlowCall | undefined;
  /** The depth sampler's steady cost, from its own figures. */
  readonly samplerCommandsPerMinute: number;
  readonly peakRssMb: number;
}

export interface DiagnoseBenchResult {
  readonly trendWindowMs: number;
  readonly sizes: readonly DiagnoseSizeResult[];
  readonly peakRssMb: number;
}

const CENSUS_COMMANDS = new Set(['scan', 'type', 'dbsize']);
/** The depth sampler's connection (src/services.ts): its rounds are its own cost, reported apart. */
const SAMPLER_CLIENT = 'stuckjobs:trend';
/** Time after the post for the session, its index and the audit line to be written. */
const SETTLE_MS = 150;
const MB = 1024 * 1024;

export function percentiles(values: readonly number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number =>
    sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
  const round = (n: number): number => Math.round(n * 10) / 10;
  return { p50: round(at(0.5)), p95: round(at(0.95)), min: round(sorted[0] ?? NaN), max: round(at(1)) };
}

/** Samples this process's RSS every few ms; `peak()` is the largest seen (and Node's own maxRSS). */
export function rssSampler(everyMs = 20): { peak(): number; reset(): void; stop(): void } {
  let peak = 0;
  const sample = (): void => {
    peak = Math.max(peak, process.memoryUsage.rss());
  };
  sample();
  const timer = setInterval(sample, everyMs);
  timer.unref();
  return {
    peak: () => {
      sample();
      return peak;
    },
    reset: () => {
      peak = 0;
      sample();
    },
    stop: () => clearInterval(timer),
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface RunningStack {
  readonly emulator: SlackEmulator;
  readonly bot: RunningBot;
  readonly services: Services;
  close(): Promise<void>;
}

async function startStack(
  redisUrl: string,
  upstreams: UpstreamStandIns,
  trendWindowMs: number,
): Promise<RunningStack> {
  const slack = await startEmulatedSlack('bench');
  const { emulator, botToken, signingSecret } = slack;
  const config = upstreams.configure(
    loadConfig({
      REDIS_URL: redisUrl,
      QUEUE_PREFIX: 'bull',
      STATE_PREFIX: 'stuckjobs-bench',
      TREND_WINDOW_MS: String(trendWindowMs),
      WEBHOOK_PROBE_ALLOW_PRIVATE: 'true',
      SLACK_BOT_TOKEN: botToken,
      SLACK_SIGNING_SECRET: signingSecret,
      SLACK_API_URL: emulator.apiUrl,
    }),
  );
  const logger = createLogger({ level: 'warn' });
  const services = createServices(config, logger);
  const bot = await startBotBehindEmulator(slack, { services, health: () => services.health(), logger });
  return {
    emulator,
    bot,
    services,
    close: async () => {
      await bot.stop();
      await Promise.allSettled([services.close(), emulator.close()]);
    },
  };
}

interface OneRun {
  readonly postedMs: number;
  readonly ackMs: number;
  readonly commands: CommandDelta;
  readonly slowest: SlowCall | undefined;
}

/** One signed `/stuckjobs diagnose --new`, timed to its root post, with its Redis cost. */
async function diagnoseOnce(stack: RunningStack, stats: CommandStats): Promise<OneRun> {
  const { emulator, services } = stack;
  const before = emulator.calls.length;
  const isNew = (call: RecordedCall): boolean =>
    emulator.calls.indexOf(call) >= before && call.args.thread_ts === undefined;
  await stats.start();
  const started = performance.now();
  const posted = emulator.waitForCall('chat.postMessage', isNew, 60_000).then(() => performance.now());
  const reply = await emulator.sendSlashCommand({ text: 'diagnose --new' });
  const ackMs = performance.now() - started;
  if (reply.status !== 200) throw new Error(`slash command answered ${reply.status}: ${reply.body}`);
  const postedMs = (await posted) - started;
  const post = emulator.calls.slice(before).find((c) => c.method === 'chat.postMessage' && isNew(c));
  // The session is written right after the post and belongs to the diagnosis' cost; reading it
  // here would add the bench's own commands, so wait, count, then check it was written.
  await sleep(SETTLE_MS);
  const delta = await stats.stop();
  // The sampler's rounds during the run are its cost, not the diagnosis' (SLOWLOG names the client).
  const commands = subtractCalls(delta, await stats.callsBy([SAMPLER_CLIENT]));
  const [slowest] = await stats.slowest(1, [SAMPLER_CLIENT]);
  await eventually(
    async () => {
      const session = await services.sessions.current(SANDBOX_IDS.team, SANDBOX_IDS.incidentChannel);
      return session?.threadTs === post?.response.ts ? session : undefined;
    },
    10_000,
    5,
  );
  return { postedMs, ackMs, commands, slowest };
}

function summarise(runs: readonly OneRun[]): DiagnosisCommands {
  const withoutCensus = (c: CommandDelta): Record<string, number> =>
    Object.fromEntries(Object.entries(c.calls).filter(([name]) => !CENSUS_COMMANDS.has(name)));
  const keys = runs.map((r) => JSON.stringify(Object.entries(withoutCensus(r.commands)).sort()));
  const last = runs[runs.length - 1]!.commands;
  const rest = Object.values(withoutCensus(last)).reduce((a, b) => a + b, 0);
  return {
    total: last.total,
    withoutCensus: rest,
    census: last.total - rest,
    calls: Object.fromEntries(Object.entries(last.calls).sort(([a], [b]) => a.localeCompare(b))),
    sameEveryRun: new Set(keys).size === 1,
  };
}

async function benchOneSize(
  jobs: number,
  options: DiagnoseBenchOptions,
  rss: ReturnType<typeof rssSampler>,
  log: (line: string) => void,
): Promise<DiagnoseSizeResult> {
  const trendWindowMs = options.trendWindowMs ?? 5000;
  let redis: PrivateRedis | undefined;
  let upstreams: UpstreamStandIns | undefined;
  let stack: RunningStack | undefined;
  try {
    redis = await startPrivateRedis();
    upstreams = await startUpstreamStandIns();
    const seeded = await seedBacklog(redis.client, {
      queuePrefix: 'bull',
      jobs,
      webhookUrl: upstreams.tenantBaseUrl,
    });
    log(`  seeded ${jobs.toLocaleString('en')} jobs in ${seeded.ms} ms`);
    rss.reset();
    stack = await startStack(redis.url, upstreams, trendWindowMs);
    const stats = new CommandStats(redis.client);
    await stats.logEverything();
    let coldPostedMs: number | undefined;
    if (options.cold ?? true) {
      coldPostedMs = (await diagnoseOnce(stack, stats)).postedMs;
      log(`  cold (right after start): posted in ${coldPostedMs.toFixed(0)} ms`);
    }
    // Steady state: the sampler holds a reading at least one window old.
    const { intervalMs } = stack.services.trendSampler();
    await sleep(trendWindowMs + intervalMs + 100);
    await diagnoseOnce(stack, stats); // warm-up: JIT, connections, the emulator's first thread
    const runs: OneRun[] = [];
    for (let i = 0; i < options.runs; i++) runs.push(await diagnoseOnce(stack, stats));
    await stats.restore();
    const slowest = runs
      .map((r) => r.slowest)
      .filter((s): s is SlowCall => s !== undefined)
      .sort((a, b) => b.micros - a.micros)[0];
    const sampler = stack.services.trendSampler();
    return {
      jobs,
      seedMs: seeded.ms,
      runs: runs.length,
      postedMs: percentiles(runs.map((r) => r.postedMs)),
      ackMs: percentiles(runs.map((r) => r.ackMs)),
      ...(coldPostedMs !== undefined ? { coldPostedMs: Math.round(coldPostedMs) } : {}),
      commands: summarise(runs),
      slowest,
      samplerCommandsPerMinute: sampler.commandsPerMinute,
      peakRssMb: Math.round(rss.peak() / MB),
    };
  } finally {
    await stack?.close();
    await upstreams?.close();
    await redis?.stop();
  }
}

/** The goals' figures for one size, in report.ts's form. */
function sizeFigures(s: DiagnoseSizeResult): BenchFigure[] {
  const at = `at ${s.jobs.toLocaleString('en')} jobs`;
  return [
    figure(`posted p50 ${at}`, s.postedMs.p50, 'ms'),
    figure(`posted p95 ${at}`, s.postedMs.p95, 'ms', undefined, 'goal ≤ 500 ms'),
    figure(`ack p95 ${at}`, s.ackMs.p95, 'ms', undefined, 'goal ≤ 100 ms'),
    ...(s.coldPostedMs !== undefined
      ? [
          figure(
            `posted right after start ${at}`,
            s.coldPostedMs,
            'ms',
            undefined,
            'no kept reading yet: watches',
          ),
        ]
      : []),
    figure(
      `Redis commands per diagnosis ${at}`,
      s.commands.total,
      'commands',
      undefined,
      `${s.commands.withoutCensus} + census ${s.commands.census}`,
    ),
    figure(`slowest Redis call ${at}`, s.slowest?.micros ?? 0, 'µs', undefined, s.slowest?.command),
    figure(`peak RSS ${at}`, s.peakRssMb, 'MB', undefined, 'goal ≤ 200 MB'),
  ];
}

export function formatDiagnoseReport(result: DiagnoseBenchResult): string {
  const lines = [
    `## diagnose: signed /stuckjobs diagnose → posted (TREND_WINDOW_MS ${result.trendWindowMs})`,
    '',
    '| jobs | runs | posted p50 | posted p95 | ack p50 | ack p95 | cold | commands (non-census + census) | same every run | slowest call | peak RSS |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|:-:|---|---:|',
    ...result.sizes
      .map((s) =>
        [
          s.jobs.toLocaleString('en'),
          s.runs,
          `${s.postedMs.p50} ms`,
          `${s.postedMs.p95} ms`,
          `${s.ackMs.p50} ms`,
          `${s.ackMs.p95} ms`,
          s.coldPostedMs !== undefined ? `${s.coldPostedMs} ms` : '–',
          `${s.commands.total} (${s.commands.withoutCensus} + ${s.commands.census})`,
          s.commands.sameEveryRun ? 'yes' : 'no',
          s.slowest ? `${s.slowest.command} ${s.slowest.micros} µs` : '–',
          `${s.peakRssMb} MB`,
        ].join(' | '),
      )
      .map((row) => `| ${row} |`),
    '',
    `Depth sampler: ${result.sizes[0]?.samplerCommandsPerMinute ?? 0} commands/min. Peak RSS overall ${result.peakRssMb} MB (bot, emulator and stand-ins in one process).`,
    '',
    ...result.sizes.map(
      (s) =>
        `- ${s.jobs.toLocaleString('en')}: ${Object.entries(s.commands.calls)
          .map(([n, c]) => `${n} ${c}`)
          .join(', ')}`,
    ),
  ];
  return lines.join('\n');
}

export async function runDiagnoseBench(options: DiagnoseBenchOptions): Promise<DiagnoseBenchResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const run = startBench('diagnose');
  const rss = rssSampler();
  const sizes: DiagnoseSizeResult[] = [];
  try {
    for (const jobs of options.sizes) {
      log(`diagnose bench: ${jobs.toLocaleString('en')} jobs, ${options.runs} runs`);
      sizes.push(await benchOneSize(jobs, options, rss, log));
    }
  } finally {
    rss.stop();
  }
  for (const s of sizes) for (const f of sizeFigures(s)) run.add(f);
  const write = options.report ?? true;
  const report = await run.finish(undefined, {
    print: write,
    write,
    details: { trendWindowMs: options.trendWindowMs ?? 5000, sizes },
  });
  const result: DiagnoseBenchResult = {
    trendWindowMs: options.trendWindowMs ?? 5000,
    sizes,
    // Two samplers, each every 50 ms: either may have caught the peak the other missed.
    peakRssMb: Math.max(Math.round(report.peakRssBytes / MB), ...sizes.map((s) => s.peakRssMb)),
  };
  if (write) log(formatDiagnoseReport(result));
  return result;
}

function sizesFromEnv(): number[] {
  const raw = process.env.BENCH_SIZES ?? '10000,100000,1000000';
  return raw
    .split(',')
    .map((s) => Number(s.trim()))
    .filter((n) => Number.isInteger(n) && n > 0);
}

if (require.main === module) {
  runDiagnoseBench({ sizes: sizesFromEnv(), runs: Number(process.env.BENCH_RUNS ?? 20) }).then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
