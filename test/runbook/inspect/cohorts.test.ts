import { normaliseReason, summariseCohorts } from '../../../src/runbook/inspect/cohorts';
import type { JobSummary } from '../../../src/queues/types';

const job = (overrides: Partial<JobSummary>): JobSummary => ({
  id: '1',
  name: 'deliver-webhook',
  state: 'failed',
  data: {},
  rawData: '{}',
  attemptsMade: 3,
  attemptsAllowed: 3,
  createdAt: 0,
  ...overrides,
});

describe('normaliseReason', () => {
  it('folds one cause into one line', () => {
    expect(normaliseReason('HTTP 503 from https://a.example/x')).toBe('HTTP 503');
    expect(normaliseReason('timeout after 3000 ms for job 81724\nstack')).toBe(
      'timeout after # ms for job #',
    );
    expect(normaliseReason('fetch https://x.example/a?b=1 failed')).toBe('fetch <url> failed');
    expect(normaliseReason(undefined)).toBe('(no reason)');
  });
});

describe('summariseCohorts', () => {
  it('counts only given-up jobs, by handler, tenant, reason and host', () => {
    const jobs = [
      job({ data: { tenantId: 'a', url: 'https://h1.example/x' }, failedReason: 'HTTP 503 from …' }),
      job({ data: { tenantId: 'a', url: 'https://h1.example/y' }, failedReason: 'HTTP 503 from …' }),
      job({ data: { tenantId: 'b', url: 'nope' }, failedReason: 'HTTP 410', name: 'other' }),
      job({ data: { tenantId: 'c' }, attemptsMade: 1 }), // stopped early: not given up
    ];
    expect(summariseCohorts(jobs, 4, 1000)).toEqual({
      givenUpInWindow: 3,
      windowSize: 1000,
      capped: false,
      byHandler: [
        { key: 'deliver-webhook', count: 2 },
        { key: 'other', count: 1 },
      ],
      byTenant: [
        { key: 'a', count: 2 },
        { key: 'b', count: 1 },
      ],
      byReason: [
        { key: 'HTTP 503', count: 2 },
        { key: 'HTTP 410', count: 1 },
      ],
      byHost: [
        { key: 'h1.example', count: 2 },
        { key: '(invalid url)', count: 1 },
      ],
    });
    expect(summariseCohorts(jobs, 5000, 4).capped).toBe(true);
  });
});
