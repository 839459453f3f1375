import { runBullBoardBench } from '../../bench/bull-board.bench';

describe('bull-board bench (smoke, tiny size)', () => {
  it('times Bull Board and our inspection on the same queue and counts their Redis commands', async () => {
    const result = await runBullBoardBench({
      jobs: 500,
      requests: 3,
      warmup: 1,
      report: false,
      log: () => undefined,
    });
    expect(result.jobs).toBe(500);
    const byName = new Map(result.variants.map((v) => [v.name, v]));
    for (const name of [
      'bb-counts',
      'bb-page-10',
      'bb-page-100',
      'ours-snapshot-10',
      'ours-window-10',
      'ours-snapshot-100',
    ]) {
      const v = byName.get(name);
      expect(v).toBeDefined();
      expect(v!.ms.p50).toBeGreaterThan(0);
      expect(v!.ms.p95).toBeLessThan(2_000);
      expect(v!.commandsPerRequest).toBeGreaterThan(0);
    }
    // Both read the same first page.
    expect(byName.get('bb-page-10')!.jobsReturned).toBe(10);
    expect(byName.get('ours-window-10')!.jobsReturned).toBe(10);
    expect(byName.get('bb-page-100')!.jobsReturned).toBe(100);
    expect(byName.get('bb-counts')!.jobsReturned).toBe(0);
    // Bull Board lists clients on every request; so does our snapshot (workers), the window does not.
    expect(byName.get('bb-page-10')!.calls['client|list']).toBeGreaterThanOrEqual(1);
    expect(byName.get('ours-window-10')!.calls['client|list']).toBeUndefined();
    expect(result.comparisons).toHaveLength(3);
    for (const c of result.comparisons) expect(c.ratioP50).toBeGreaterThan(0);
  }, 30_000);
});
