import { runDiagnoseBench } from '../../bench/diagnose.bench';

describe('diagnose bench (smoke, tiny size)', () => {
  it('times signed diagnoses to the posted message and counts their Redis commands', async () => {
    const lines: string[] = [];
    const result = await runDiagnoseBench({
      sizes: [500],
      runs: 3,
      // A short window keeps the smoke test quick; the bench's default is production's 5 s.
      trendWindowMs: 300,
      cold: true,
      report: false,
      log: (line) => lines.push(line),
    });
    const [size] = result.sizes;
    expect(size).toBeDefined();
    const s = size!;
    expect(s.jobs).toBe(500);
    expect(s.runs).toBe(3);
    // Answered from kept readings: no window of watching before the post.
    expect(s.postedMs.p50).toBeGreaterThan(0);
    expect(s.postedMs.p95).toBeLessThan(2_000);
    expect(s.postedMs.p50).toBeLessThanOrEqual(s.postedMs.p95);
    // Right after start there is no reading a window old yet: that one diagnosis watches.
    expect(s.coldPostedMs).toBeGreaterThanOrEqual(250);
    expect(s.ackMs.p95).toBeGreaterThan(0);
    expect(s.ackMs.p95).toBeLessThan(s.postedMs.p95 + 1);
    expect(s.commands.withoutCensus).toBeGreaterThan(10);
    expect(s.commands.withoutCensus).toBeLessThan(1_000);
    expect(s.commands.calls).toHaveProperty('hmget');
    expect(s.commands.sameEveryRun).toBe(true);
    expect(s.slowest?.micros).toBeGreaterThan(0);
    expect(s.samplerCommandsPerMinute).toBeGreaterThan(0);
    expect(s.peakRssMb).toBeGreaterThan(20);
    expect(result.peakRssMb).toBeGreaterThanOrEqual(s.peakRssMb);
  }, 30_000);
});
