import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createLogger } from '../src/logger';
import { BullmqBackend } from '../src/queues/bullmq-backend';
import { webhooksWorkflow } from '../src/workflows/webhooks';
import { CommandStats, type CommandCalls } from './lib/command-stats';
import { percentiles, type Percentiles } from './diagnose.bench';
import { startPrivateRedis, type PrivateRedis } from './lib/private-redis';
import { figure, startBench } from './lib/report';
import { seedBacklog } from './lib/seed-backlog';

/**
 * The peer on the same data: Bull Board 9.10's queue API (createBullBoard +
 * ExpressAdapter + BullMQAdapter, on loopback) answering
 * `GET /api/queues?activeQueue=<q>&status=failed&page=1` (counts of every
 * queue and the first page of the active queue's failed jobs), against our
 * inspection of one queue (BullmqBackend: the diagnosis' `snapshot`, and
 * `readWindow` for the first page of failed jobs). One queue holds every
 * given-up job. Bull Board is timed over HTTP (express and JSON included),
 * ours as calls in process: the figures are what each costs its caller.
 */
export interface BullBoardBenchOptions {
  /** Given-up jobs in the one queue (default 1,000,000). */
  readonly jobs?: number;
  /** Timed requests per variant (default 200), after `warmup` untimed ones (default 20). */
  readonly requests?: number;
  readonly warmup?: number;
  readonly report?: boolean;
  readonly log?: (line: string) => void;
}

export interface VariantResult {
  readonly name: string;
  readonly side: 'bull-board' | 'ours';
  /** What it answers, in words. */
  readonly what: string;
  readonly ms: Percentiles;
  /** Redis commands per request (INFO commandstats over all timed requests, divided). */
  readonly commandsPerRequest: number;
  readonly calls: CommandCalls;
  /** Jobs in the answer (a check that both read the same page). */
  readonly jobsReturned: number;
}

export interface Comparison {
  readonly peer: string;
  readonly ours: string;
  /** Bull Board's p50 over ours. */
  readonly ratioP50: number;
  readonly ratioP95: number;
}

export interface BullBoardBenchResult {
  readonly jobs: number;
  readonly queue: string;
  readonly requests: number;
  readonly variants: readonly VariantResult[];
  readonly comparisons: readonly Comparison[];
  readonly peakRssMb: number;
}

const QUEUE = webhooksWorkflow.queue;
const PREFIX = 'bull';

interface Variant {
  readonly name: string;
  readonly side: VariantResult['side'];
  readonly what: string;
  /** Runs once; resolves to the number of jobs in its answer. */
  readonly run: () => Promise<number>;
}

async function listenOnLoopback(app: { listen: (...args: never[]) => Server }): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = (app.listen as unknown as (port: number, host: string, cb: () => void) => Server)(
      0,
      '127.0.0.1',
      () => resolve(server),
    );
    server.once('error', reject);
  });
}

async function measure(
  variant: Variant,
  stats: CommandStats,
  options: Required<Pick<BullBoardBenchOptions, 'requests' | 'warmup'>>,
): Promise<VariantResult> {
  for (let i = 0; i < options.warmup; i++) await variant.run();
  const times: number[] = [];
  let jobsReturned = 0;
  await stats.start();
  for (let i = 0; i < options.requests; i++) {
    const started = performance.now();
    jobsReturned = await variant.run();
    times.push(performance.now() - started);
  }
  const delta = await stats.stop();
  const per = (n: number): number => Math.round((n / options.requests) * 10) / 10;
  return {
    name: variant.name,
    side: variant.side,
    what: variant.what,
    ms: percentiles(times),
    commandsPerRequest: per(delta.total),
    calls: Object.fromEntries(
      Object.entries(delta.calls)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, count]) => [name, per(count)]),
    ),
    jobsReturned,
  };
}

function compare(variants: readonly VariantResult[], peer: string, ours: string): Comparison {
  const a = variants.find((v) => v.name === peer)!;
  const b = variants.find((v) => v.name === ours)!;
  const ratio = (x: number, y: number): number => Math.round((x / Math.max(y, 0.001)) * 10) / 10;
  return { peer, ours, ratioP50: ratio(a.ms.p50, b.ms.p50), ratioP95: ratio(a.ms.p95, b.ms.p95) };
}

export function formatBullBoardReport(result: BullBoardBenchResult): string {
  return [
    `## Bull Board 9.10 queue API vs our inspection of one queue (${result.jobs.toLocaleString('en')} given-up jobs in \`${result.queue}\`, ${result.requests} requests each)`,
    '',
    '| side | variant | answers | p50 | p95 | Redis commands / request | jobs returned |',
    '|---|---|---|---:|---:|---:|---:|',
    ...result.variants.map(
      (v) =>
        `| ${v.side} | ${v.name} | ${v.what} | ${v.ms.p50} ms | ${v.ms.p95} ms | ${v.commandsPerRequest} (${Object.entries(
          v.calls,
        )
          .map(([n, c]) => `${n} ${c}`)
          .join(', ')}) | ${v.jobsReturned} |`,
    ),
    '',
    '| Bull Board | ours | ratio p50 | ratio p95 |',
    '|---|---|---:|---:|',
    ...result.comparisons.map((c) => `| ${c.peer} | ${c.ours} | ${c.ratioP50}× | ${c.ratioP95}× |`),
    '',
    `Peak RSS ${result.peakRssMb} MB.`,
  ].join('\n');
}

export async function runBullBoardBench(options: BullBoardBenchOptions = {}): Promise<BullBoardBenchResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const jobs = options.jobs ?? 1_000_000;
  const timing = { requests: options.requests ?? 200, warmup: options.warmup ?? 20 };
  const run = startBench('bull-board');
  let redis: PrivateRedis | undefined;
  let boardConnection: Redis | undefined;
  let oursConnection: Redis | undefined;
  let queue: Queue | undefined;
  let backend: BullmqBackend | undefined;
  let server: Server | undefined;
  try {
    redis = await startPrivateRedis();
    const seeded = await seedBacklog(redis.client, {
      queuePrefix: PREFIX,
      jobs,
      split: { webhooks: 1, recordings: 0, billing: 0 },
    });
    log(`bull-board bench: seeded ${jobs.toLocaleString('en')} jobs in one queue in ${seeded.ms} ms`);

    // Bull Board as its README sets it up: a BullMQ Queue on its own connection.
    boardConnection = new Redis(redis.url, { maxRetriesPerRequest: null });
    boardConnection.on('error', () => undefined);
    queue = new Queue(QUEUE, { connection: boardConnection, prefix: PREFIX });
    queue.on('error', () => undefined);
    await queue.waitUntilReady();
    const serverAdapter = new ExpressAdapter();
    createBullBoard({ queues: [new BullMQAdapter(queue)], serverAdapter });
    server = await listenOnLoopback(serverAdapter.getRouter() as { listen: (...args: never[]) => Server });
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const board = async (query: string): Promise<number> => {
      const response = await fetch(`${base}/api/queues${query}`);
      if (response.status !== 200) throw new Error(`bull board answered ${response.status}`);
      const body = (await response.json()) as { queues: { jobs: unknown[] }[] };
      return body.queues[0]?.jobs.length ?? 0;
    };

    oursConnection = new Redis(redis.url, { maxRetriesPerRequest: 2 });
    oursConnection.on('error', () => undefined);
    backend = new BullmqBackend({
      connection: oursConnection,
      prefix: PREFIX,
      logger: createLogger({ level: 'warn' }),
    });
    const ours = backend;

    const active = `?activeQueue=${encodeURIComponent(QUEUE)}&status=failed&page=1`;
    const variants: Variant[] = [
      {
        name: 'bb-counts',
        side: 'bull-board',
        what: 'GET /api/queues (counts, no page)',
        run: () => board(''),
      },
      {
        name: 'bb-page-10',
        side: 'bull-board',
        what: `GET /api/queues${active} (counts + 10 failed)`,
        run: () => board(active),
      },
      {
        name: 'bb-page-100',
        side: 'bull-board',
        what: `… &jobsPerPage=100 (counts + 100 failed)`,
        run: () => board(`${active}&jobsPerPage=100`),
      },
      {
        name: 'ours-snapshot-10',
        side: 'ours',
        what: 'snapshot, sample 10 (counts, paused, workers + 10 failed)',
        run: async () => (await ours.snapshot(QUEUE, { sampleSize: 10 })).sample.length,
      },
      {
        name: 'ours-window-10',
        side: 'ours',
        what: "readWindow('failed', 10) (failed count + first page)",
        run: async () => (await ours.readWindow(QUEUE, 'failed', 10)).jobs.length,
      },
      {
        name: 'ours-snapshot-100',
        side: 'ours',
        what: 'snapshot, sample 100 (what a diagnosis reads per queue)',
        run: async () => (await ours.snapshot(QUEUE, { sampleSize: 100 })).sample.length,
      },
    ];
    const stats = new CommandStats(redis.client);
    const results: VariantResult[] = [];
    for (const variant of variants) {
      results.push(await measure(variant, stats, timing));
      log(`  ${variant.name}: p50 ${results[results.length - 1]!.ms.p50} ms`);
    }
    const comparisons = [
      compare(results, 'bb-page-10', 'ours-snapshot-10'),
      compare(results, 'bb-page-10', 'ours-window-10'),
      compare(results, 'bb-page-100', 'ours-snapshot-100'),
    ];
    for (const c of comparisons) {
      const peer = results.find((v) => v.name === c.peer)!;
      const mine = results.find((v) => v.name === c.ours)!;
      run.add(figure(`${c.ours} p50`, mine.ms.p50, 'ms', { name: `${c.peer} p50`, value: peer.ms.p50 }));
      run.add(figure(`${c.ours} p95`, mine.ms.p95, 'ms', { name: `${c.peer} p95`, value: peer.ms.p95 }));
      run.add(
        figure(`${c.ours} Redis commands/request`, mine.commandsPerRequest, 'commands', {
          name: c.peer,
          value: peer.commandsPerRequest,
        }),
      );
    }
    const write = options.report ?? true;
    const partial = { jobs, queue: QUEUE, requests: timing.requests, variants: results, comparisons };
    const report = await run.finish(redis.client, { print: write, write, details: partial });
    const result: BullBoardBenchResult = {
      ...partial,
      peakRssMb: Math.round(report.peakRssBytes / (1024 * 1024)),
    };
    if (write) log(formatBullBoardReport(result));
    return result;
  } finally {
    if (server) {
      server.closeAllConnections();
      await new Promise((resolve) => server!.close(resolve));
    }
    await Promise.allSettled([backend?.close(), queue?.close()]);
    await Promise.allSettled([boardConnection?.quit(), oursConnection?.quit()]);
    await redis?.stop();
  }
}

if (require.main === module) {
  const jobs = Number(process.env.BENCH_JOBS ?? 1_000_000);
  runBullBoardBench({ jobs, requests: Number(process.env.BENCH_RUNS ?? 200) }).then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
