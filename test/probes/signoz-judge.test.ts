import { judge } from '../../src/probes/signoz';

describe('signoz judge', () => {
  const w = (spans: number, errors: number, p95Ms: number | null) => ({
    spans,
    errorRate: spans > 0 ? errors / spans : null,
    p95Ms,
  });

  it('needs both twice the baseline and one more percentage point to call errors up', () => {
    expect(judge('ops', w(1000, 8, 100), w(1000, 3, 100)).status).toBe('ok'); // 0.8% vs 0.3%: < +1 point
    expect(judge('ops', w(1000, 14, 100), w(1000, 10, 100)).status).toBe('ok'); // 1.4% vs 1.0%: < 2x
    expect(judge('ops', w(1000, 25, 100), w(1000, 10, 100)).status).toBe('degraded');
  });

  it('treats a thin baseline as zero errors and does not compare latency to it', () => {
    expect(judge('ops', w(100, 2, 900), w(5, 0, 10)).status).toBe('degraded'); // 2% > 1 point
    expect(judge('ops', w(100, 0, 900), w(5, 0, 10)).status).toBe('ok');
  });

  it('does not judge from too few spans or from silence', () => {
    expect(judge('ops', w(5, 5, 10), w(1000, 0, 10))).toMatchObject({ status: 'unknown' });
    expect(judge('ops', w(0, 0, null), w(1000, 0, 10))).toMatchObject({
      status: 'degraded',
      reason: "no spans from 'ops' in the last 15 minutes (1000 in the hour before)",
    });
    expect(judge('ops', w(0, 0, null), w(0, 0, null)).reason).toContain('check SIGNOZ_SERVICE');
  });
});
