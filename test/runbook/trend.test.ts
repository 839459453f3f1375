import { measureTrend } from '../../src/runbook/trend';

const at = (seconds: number) => seconds * 1000;

describe('measureTrend', () => {
  it('reads jobs in from the id counter and jobs out from what the depth did not keep', () => {
    const trend = measureTrend(
      { at: at(0), depth: 1000, delayed: 0, added: 500 },
      { at: at(30), depth: 950, delayed: 0, added: 510 },
    );
    expect(trend.inPerMinute).toBe(20);
    expect(trend.outPerMinute).toBe(120);
    expect(trend.direction).toBe('draining');
    // 950 left, net 100/min: 9.5 minutes
    expect(trend.clearInMs).toBe(570_000);
  });

  it('sees a growing backlog and gives no time to clear', () => {
    const trend = measureTrend(
      { at: at(0), depth: 10, delayed: 0, added: 0 },
      { at: at(60), depth: 70, delayed: 0, added: 100 },
    );
    expect(trend).toMatchObject({
      inPerMinute: 100,
      outPerMinute: 40,
      direction: 'growing',
      clearInMs: null,
    });
  });

  it('tells a stalled queue from an idle one', () => {
    expect(
      measureTrend({ at: 0, depth: 5, delayed: 0, added: 9 }, { at: 5000, depth: 5, delayed: 0, added: 9 })
        .direction,
    ).toBe('stalled');
    expect(
      measureTrend({ at: 0, depth: 0, delayed: 0, added: 9 }, { at: 5000, depth: 0, delayed: 0, added: 9 })
        .direction,
    ).toBe('idle');
  });

  it('counts retried jobs that re-enter without a new id as coming in', () => {
    // Job.retry moves failed jobs back to wait without touching the id counter.
    const trend = measureTrend(
      { at: 0, depth: 0, delayed: 0, added: 7 },
      { at: 60_000, depth: 50, delayed: 0, added: 7 },
    );
    expect(trend.inPerMinute).toBe(50);
    expect(trend.outPerMinute).toBe(0);
    expect(trend.direction).toBe('growing');
  });

  it('counts jobs removed from the backlog as out', () => {
    const trend = measureTrend(
      { at: 0, depth: 100, delayed: 0, added: 0 },
      { at: 60_000, depth: 0, delayed: 0, added: 0 },
    );
    expect(trend.outPerMinute).toBe(100);
    expect(trend.clearInMs).toBeNull();
  });
});
