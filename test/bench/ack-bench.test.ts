import { runAckBench } from '../../bench/ack.bench';

// The benchmark's smoke run: one request of each kind, so the bench cannot rot.
jest.setTimeout(60_000);

describe('ack bench (smoke)', () => {
  it('acks every command and click a runbook uses, and reports each kind', async () => {
    const report = await runAckBench({ runs: 1 });
    expect(report.figures.map((f) => f.kind)).toEqual([
      '/stuckjobs help',
      '/stuckjobs diagnose',
      'click Show samples',
      'click Plan replay',
      'click Approve',
      'click Deny',
      '/stuckjobs audit',
    ]);
    for (const f of report.figures) {
      expect(f.runs).toBe(1);
      expect(f.p95Ms).toBeGreaterThan(0);
    }
    expect(report.peakRssMb).toBeGreaterThan(0);
  });
});
