import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCensusBench, shareErrors } from '../../bench/census.bench';

describe('census bench', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'census-bench-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs at a tiny size and reports time, accuracy, server time and probe latency for every run', async () => {
    const { report, runs, seeded } = await runCensusBench({
      jobs: 600,
      keys: 1_400,
      baselineMs: 100,
      minDuringMs: 0,
      noiseFloorMs: 50,
      resultsDir: dir,
      print: false,
    });
    expect(seeded.totalKeys).toBe(600 + 9 + 1_400);
    expect(runs.map((r) => r.name)).toEqual([
      'census (diagnosis budgets)',
      'census (1 s budget)',
      'census (1 s budget, no pause)',
      'SCAN COUNT 1000 (full)',
      'SCAN COUNT 100 (full)',
    ]);
    for (const run of runs) {
      expect(run.ms).toBeGreaterThan(0);
      expect(run.scanCalls).toBeGreaterThan(0);
      expect(run.scanServerMs).toBeGreaterThan(0);
      expect(run.during.samples).toBeGreaterThan(0);
      expect(run.before.samples).toBeGreaterThan(0);
      expect(run.during.p99Ms).toBeGreaterThan(0);
      expect(run.peakRssBytes).toBeGreaterThan(0);
      // Small enough to be scanned whole: the shares are exact.
      expect(run.complete).toBe(true);
      expect(run.errors.length).toBeGreaterThanOrEqual(6);
      expect(run.maxErrorPoints).toBeLessThan(0.01);
    }
    expect(report.figures.find((f) => f.name === 'nothing (noise floor): PING p99')?.value).toBeGreaterThan(
      0,
    );
    expect(report.peakRssBytes).toBeGreaterThan(0);
    expect(report.machine.cpus).toBeGreaterThan(0);
    expect(report.machine.redisVersion).toMatch(/^\d+\.\d+/);
    expect(report.figures.find((f) => f.name === 'census (1 s budget): time')).toMatchObject({
      unit: 'ms',
      peer: { name: 'SCAN COUNT 1000 (full)' },
    });
    const written = JSON.parse(await readFile(path.join(dir, 'census.json'), 'utf8')) as typeof report;
    expect(written.figures).toHaveLength(report.figures.length);
  }, 20_000);

  it('scores share errors in points over the prefixes holding ≥ 1 % of keys', () => {
    const truth = { a: 900, b: 95, c: 5 };
    const errors = shareErrors(
      truth,
      new Map([
        ['a', 850],
        ['b', 150],
      ]),
    );
    expect(errors.map((e) => e.prefix)).toEqual(['a', 'b']);
    expect(errors[0]).toMatchObject({ truePercent: 90, estimatedPercent: 85, errorPoints: 5 });
    expect(errors[1]).toMatchObject({ truePercent: 9.5, estimatedPercent: 15, errorPoints: 5.5 });
  });
});
