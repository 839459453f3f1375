import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseBenchmarkOutput, runRedisLimitBench } from '../../bench/redis-limit.bench';

describe('redis-limit bench', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'redis-limit-bench-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('parses redis-benchmark -q output, progress lines and all', () => {
    const output =
      'PING_INLINE: rps=0.0 (overall: nan) avg_msec=nan (overall: nan)\r' +
      'PING_INLINE: 45045.04 requests per second, p50=0.559 msec\n' +
      'SET: 980392.19 requests per second, p50=1.223 msec\n' +
      'EVAL "return 1" 0: 487804.88 requests per second, p50=2.871 msec\n';
    expect(parseBenchmarkOutput(output)).toEqual([
      { test: 'PING_INLINE', opsPerSecond: 45045.04, p50Ms: 0.559 },
      { test: 'SET', opsPerSecond: 980392.19, p50Ms: 1.223 },
      { test: 'EVAL "return 1" 0', opsPerSecond: 487804.88, p50Ms: 2.871 },
    ]);
  });

  it('runs redis-benchmark at a tiny size on a private Redis and reports ops/s against the reference', async () => {
    const { report, runs } = await runRedisLimitBench({ requests: 2_000, resultsDir: dir, print: false });
    expect(runs.map((r) => r.name)).toEqual(['unpipelined', '-P 32', 'EVAL "return 1" 0, -P 32']);
    const names = report.figures.map((f) => f.name);
    for (const test of ['PING_INLINE', 'PING_MBULK', 'SET', 'GET']) {
      expect(names).toContain(`${test} (unpipelined)`);
      expect(names).toContain(`${test} (-P 32)`);
    }
    expect(names).toContain('EVAL (EVAL "return 1" 0, -P 32)');
    for (const f of report.figures) {
      expect(f.unit).toBe('ops/s');
      expect(f.value).toBeGreaterThan(0);
      expect(f.ratio).toBeGreaterThan(0);
    }
    expect(report.machine.redisVersion).toMatch(/^\d+\.\d+/);
    expect(report.peakRssBytes).toBeGreaterThan(0);
    const written = JSON.parse(await readFile(path.join(dir, 'redis-limit.json'), 'utf8')) as typeof report;
    expect(written.name).toBe('redis-limit');
    expect(written.figures).toHaveLength(report.figures.length);
  }, 20_000);
});
