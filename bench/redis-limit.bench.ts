import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startPrivateRedis, type PrivateRedis } from './lib/private-redis';
import { figure, startBench, type BenchReport } from './lib/report';

/**
 * The limit (issue 7): what this machine's Redis does with redis-benchmark,
 * unpipelined and with -P 32, and a trivial EVAL pipelined, so the other
 * benches' figures can be read against the server's own ceiling.
 *
 *   npx tsc -p tsconfig.bench.json && node dist/bench/redis-limit.bench.js
 *   BENCH_REQUESTS=200000 (default)
 */

const run = promisify(execFile);

export interface RedisLimitOptions {
  /** `-n` (default BENCH_REQUESTS or 200,000). */
  readonly requests?: number;
  /** `-P` for the pipelined runs (default 32). */
  readonly pipeline?: number;
  /** Run against this port instead of starting a private Redis (it must be a private one). */
  readonly port?: number;
  readonly resultsDir?: string;
  readonly write?: boolean;
  readonly print?: boolean;
}

export interface BenchmarkLine {
  /** redis-benchmark's test name: PING_INLINE, PING_MBULK, SET, GET, or the command line. */
  readonly test: string;
  readonly opsPerSecond: number;
  readonly p50Ms: number | null;
}

export interface RedisLimitRun {
  readonly name: string;
  readonly args: readonly string[];
  readonly lines: readonly BenchmarkLine[];
}

/** Figures measured on this kind of machine (issue 7), shown as the peer of each result. */
export const REFERENCE_OPS: Readonly<Record<string, number>> = {
  unpipelined: 45_000,
  pipelined: 950_000,
  eval: 490_000,
};

export function redisBenchmarkBin(): string {
  return process.env.REDIS_BENCHMARK_BIN ?? '/usr/bin/redis-benchmark';
}

/**
 * `-q` output: one `TEST: 12345.67 requests per second, p50=0.255 msec` per
 * test, after progress lines ending in `\r`.
 */
export function parseBenchmarkOutput(output: string): BenchmarkLine[] {
  const lines: BenchmarkLine[] = [];
  for (const raw of output.split(/[\r\n]+/)) {
    const match = /^(.+?):\s+([\d.]+) requests per second(?:, p50=([\d.]+) msec)?/.exec(raw.trim());
    if (!match?.[1] || !match[2]) continue;
    lines.push({
      test: match[1].trim(),
      opsPerSecond: Number(match[2]),
      p50Ms: match[3] ? Number(match[3]) : null,
    });
  }
  return lines;
}

async function redisBenchmark(port: number, args: readonly string[]): Promise<BenchmarkLine[]> {
  const { stdout } = await run(redisBenchmarkBin(), ['-h', '127.0.0.1', '-p', String(port), '-q', ...args], {
    maxBuffer: 16 * 1024 * 1024,
  });
  const lines = parseBenchmarkOutput(stdout);
  if (lines.length === 0) throw new Error(`redis-benchmark ${args.join(' ')} printed no result: ${stdout}`);
  return lines;
}

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw ? Number(raw.replace(/_/g, '')) : fallback;
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`${name} must be a whole number > 0, got '${raw}'`);
  return value;
}

export interface RedisLimitResult {
  readonly report: BenchReport;
  readonly runs: readonly RedisLimitRun[];
}

export async function runRedisLimitBench(options: RedisLimitOptions = {}): Promise<RedisLimitResult> {
  const bench = startBench('redis-limit');
  const n = String(options.requests ?? envNumber('BENCH_REQUESTS', 200_000));
  const p = String(options.pipeline ?? 32);
  let own: PrivateRedis | undefined;
  try {
    own = options.port === undefined ? await startPrivateRedis() : undefined;
    const port = options.port ?? own!.port;
    const plans: { name: string; reference: keyof typeof REFERENCE_OPS; args: string[] }[] = [
      { name: 'unpipelined', reference: 'unpipelined', args: ['-t', 'ping,set,get', '-n', n] },
      { name: `-P ${p}`, reference: 'pipelined', args: ['-t', 'ping,set,get', '-n', n, '-P', p] },
      {
        name: `EVAL "return 1" 0, -P ${p}`,
        reference: 'eval',
        args: ['-n', n, '-P', p, 'EVAL', 'return 1', '0'],
      },
    ];
    const runs: RedisLimitRun[] = [];
    for (const plan of plans) {
      const lines = await redisBenchmark(port, plan.args);
      runs.push({ name: plan.name, args: plan.args, lines });
      for (const line of lines) {
        const test = line.test.startsWith('EVAL') ? 'EVAL' : line.test;
        bench.add(
          figure(
            `${test} (${plan.name})`,
            line.opsPerSecond,
            'ops/s',
            { name: 'reference', value: REFERENCE_OPS[plan.reference]! },
            line.p50Ms === null ? undefined : `p50 ${line.p50Ms} ms`,
          ),
        );
      }
    }
    const probe = own?.client;
    const report = await bench.finish(probe, {
      ...(options.resultsDir ? { dir: options.resultsDir } : {}),
      ...(options.write !== undefined ? { write: options.write } : {}),
      ...(options.print !== undefined ? { print: options.print } : {}),
      details: { requests: Number(n), pipeline: Number(p), runs },
    });
    return { report, runs };
  } finally {
    await own?.stop();
  }
}

if (require.main === module) {
  runRedisLimitBench().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
