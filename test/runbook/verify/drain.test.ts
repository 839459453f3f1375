import { drainPart } from '../../../src/runbook/verify/drain';

const at = (ms: number, depth: number, completed: number, delayed = 0) => ({
  at: ms,
  depth,
  delayed,
  completed,
});

describe('drainPart', () => {
  it('never guesses an unknown worker count', () => {
    const part = drainPart({
      start: at(0, 10, 0),
      end: at(60_000, 0, 10),
      workers: null,
      metricsPerMinute: 5,
    });
    expect(part.status).toBe('unknown');
    expect(part.summary).toContain('worker count unknown');
  });

  it('fails when no worker is connected and jobs wait', () => {
    expect(
      drainPart({ start: at(0, 10, 0), end: at(60_000, 10, 0), workers: 0, metricsPerMinute: null }).status,
    ).toBe('fail');
  });

  it('passes a queue trending down at the rate the workers recorded', () => {
    const part = drainPart({
      start: at(0, 100, 0),
      end: at(60_000, 60, 40),
      workers: 2,
      metricsPerMinute: 50,
    });
    expect(part.status).toBe('pass');
    expect(part.summary).toContain('2 worker(s) predict 50/min (BullMQ metrics)');
  });

  it('fails when completions fall under half of what the workers recorded', () => {
    const part = drainPart({
      start: at(0, 100, 0),
      end: at(60_000, 95, 5),
      workers: 2,
      metricsPerMinute: 50,
    });
    expect(part.status).toBe('fail');
    expect(part.summary).toContain('under half');
  });

  it('fails a queue that does not trend down, and passes an empty one', () => {
    expect(
      drainPart({ start: at(0, 10, 0), end: at(60_000, 12, 5), workers: 1, metricsPerMinute: null }).status,
    ).toBe('fail');
    expect(
      drainPart({ start: at(0, 0, 0), end: at(60_000, 0, 0), workers: 1, metricsPerMinute: null }).status,
    ).toBe('pass');
  });

  it('judges what the workers can run now, showing but not counting jobs delayed on their backoff', () => {
    // A canary that completed before the watch began, beside another tenant's jobs still retrying.
    const part = drainPart({
      start: at(0, 6, 5, 6),
      end: at(2_000, 6, 5, 6),
      workers: 1,
      metricsPerMinute: null,
    });
    expect(part.status).toBe('pass');
    expect(part.summary).toContain('queue drained');
    expect(part.summary).toContain('depth 0 → 0 (6 delayed on their backoff, not counted)');
    // Runnable jobs that stay put still fail, whatever is delayed beside them.
    expect(
      drainPart({ start: at(0, 10, 0, 6), end: at(60_000, 10, 0, 6), workers: 1, metricsPerMinute: null })
        .status,
    ).toBe('fail');
  });
});
