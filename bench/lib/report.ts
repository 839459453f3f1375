import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Redis } from 'ioredis';

/**
 * One result table per bench: printed as markdown and written to
 * `bench/results/<name>.json`, with the machine, the date and the bench
 * process's peak RSS. Usage:
 *
 *   const run = startBench('census');          // starts sampling RSS every 50 ms
 *   run.add(figure('census time', 812, 'ms', { name: 'SCAN COUNT 1000', value: 7000 }));
 *   const report = await run.finish(redis);    // prints and writes the JSON
 */

export interface BenchPeer {
  /** What the figure is compared with, e.g. `SCAN COUNT 1000` or `redis-benchmark PING`. */
  readonly name: string;
  readonly value: number;
}

export interface BenchFigure {
  readonly name: string;
  readonly value: number;
  /** `ms`, `ops/s`, `points`, `bytes`, … */
  readonly unit: string;
  readonly peer?: BenchPeer;
  /** value / peer.value, when there is a peer and it is not 0. */
  readonly ratio?: number;
  readonly note?: string;
}

export interface MachineInfo {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly os: string;
  readonly totalMemoryBytes: number;
  readonly node: string;
  /** From INFO server; null when no Redis was given or it did not answer. */
  readonly redisVersion: string | null;
  /**
   * os.loadavg() (1, 5, 15 min) when the bench started and ended: above the
   * core count, other work shared the machine and the figures are noisy.
   */
  readonly loadAverage: { readonly atStart: readonly number[]; readonly atEnd: readonly number[] };
}

export interface BenchReport {
  readonly name: string;
  /** ISO 8601. */
  readonly date: string;
  readonly machine: MachineInfo;
  readonly figures: readonly BenchFigure[];
  /** Peak `process.memoryUsage().rss` of the bench process, sampled every 50 ms. */
  readonly peakRssBytes: number;
  /** Anything else worth keeping (per-prefix tables, raw runs). */
  readonly details?: Record<string, unknown>;
}

export interface FinishOptions {
  /** Where `<name>.json` goes; default BENCH_RESULTS_DIR or `<cwd>/bench/results`. */
  readonly dir?: string;
  /** Print the markdown table to stdout (default true). */
  readonly print?: boolean;
  /** Write the JSON file (default true). */
  readonly write?: boolean;
  readonly details?: Record<string, unknown>;
}

export function figure(
  name: string,
  value: number,
  unit: string,
  peer?: BenchPeer,
  note?: string,
): BenchFigure {
  const ratio = peer && peer.value !== 0 ? round(value / peer.value, 3) : undefined;
  return {
    name,
    value,
    unit,
    ...(peer ? { peer } : {}),
    ...(ratio !== undefined ? { ratio } : {}),
    ...(note ? { note } : {}),
  };
}

export interface RssSampler {
  /** Highest RSS seen so far, including a sample taken now. */
  peak(): number;
  /** Stops sampling; returns the peak. Idempotent. */
  stop(): number;
}

export function startRssSampler(intervalMs = 50): RssSampler {
  let peak = process.memoryUsage().rss;
  const sample = (): void => {
    peak = Math.max(peak, process.memoryUsage().rss);
  };
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  return {
    peak: () => {
      sample();
      return peak;
    },
    stop: () => {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}

export async function machineInfo(redis?: Redis, loadAtStart = os.loadavg()): Promise<MachineInfo> {
  let redisVersion: string | null = null;
  if (redis) {
    const info = await redis.info('server').catch(() => '');
    redisVersion = /redis_version:(\S+)/.exec(info)?.[1] ?? null;
  }
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    os: `${os.platform()} ${os.release()}`,
    totalMemoryBytes: os.totalmem(),
    node: process.version,
    redisVersion,
    loadAverage: { atStart: loadAtStart.map((x) => round(x)), atEnd: os.loadavg().map((x) => round(x)) },
  };
}

export function resultsDir(): string {
  return process.env.BENCH_RESULTS_DIR ?? path.resolve(process.cwd(), 'bench', 'results');
}

/** The report as one markdown table, with a line for the machine and the peak RSS. */
export function markdownTable(report: BenchReport): string {
  const m = report.machine;
  const lines = [
    `### ${report.name} — ${report.date}`,
    '',
    `${m.cpus} × ${m.cpuModel}, ${m.os}, node ${m.node}, Redis ${m.redisVersion ?? 'n/a'}; ` +
      `load ${m.loadAverage.atStart[0] ?? '?'} → ${m.loadAverage.atEnd[0] ?? '?'}; ` +
      `peak RSS ${formatNumber(report.peakRssBytes / 1024 / 1024)} MiB`,
    '',
    '| figure | value | unit | peer | peer value | ratio | note |',
    '| --- | ---: | --- | --- | ---: | ---: | --- |',
  ];
  for (const f of report.figures) {
    lines.push(
      `| ${f.name} | ${formatNumber(f.value)} | ${f.unit} | ${f.peer?.name ?? ''} | ` +
        `${f.peer ? formatNumber(f.peer.value) : ''} | ${f.ratio ?? ''} | ${f.note ?? ''} |`,
    );
  }
  return lines.join('\n');
}

export async function writeReport(report: BenchReport, dir = resultsDir()): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${report.name}.json`);
  await writeFile(file, await formatJson(JSON.stringify(report, null, 2), file));
  return file;
}

/**
 * In the repo's Prettier style when Prettier loads (it is a dev dependency),
 * so `prettier --check bench` passes over committed results; plain JSON else.
 * Loaded only here, after the RSS sampler stopped, so it never counts in a peak.
 */
async function formatJson(json: string, file: string): Promise<string> {
  try {
    const prettier = await import('prettier');
    const config = (await prettier.resolveConfig(file)) ?? {};
    return await prettier.format(json, { ...config, filepath: file });
  } catch {
    return `${json}\n`;
  }
}

export interface BenchRun {
  readonly name: string;
  add(...figures: BenchFigure[]): void;
  /** Stops the RSS sampler, builds the report, prints and writes it. */
  finish(redis?: Redis, options?: FinishOptions): Promise<BenchReport>;
}

/** Starts a bench: RSS sampling begins now. */
export function startBench(name: string): BenchRun {
  const rss = startRssSampler();
  const loadAtStart = os.loadavg();
  const figures: BenchFigure[] = [];
  return {
    name,
    add: (...more) => {
      figures.push(...more);
    },
    finish: async (redis, options = {}) => {
      const report: BenchReport = {
        name,
        date: new Date().toISOString(),
        machine: await machineInfo(redis, loadAtStart),
        figures: [...figures],
        peakRssBytes: rss.stop(),
        ...(options.details ? { details: options.details } : {}),
      };
      if (options.print ?? true) console.log(`\n${markdownTable(report)}\n`);
      if (options.write ?? true) {
        const file = await writeReport(report, options.dir ?? resultsDir());
        console.log(`wrote ${file}`);
      }
      return report;
    },
  };
}

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 1 ? 2 : 3;
  return value.toLocaleString('en-US', { maximumFractionDigits: digits });
}
