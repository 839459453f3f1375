import type { DockerDetails, EndpointsDetails } from '../../src/probes/types';
import { decideVerdict, quiesceHint, type VerdictInput } from '../../src/runbook/verdict';
import { exact, makeCounts, makeProbe, makeSnapshot } from '../fixtures/diagnosis';

const healthyDocker = makeProbe<DockerDetails>({
  probe: 'docker',
  details: { containers: [{ name: 'voiceai-tasker', state: 'running', health: 'healthy', restartCount: 0 }] },
});

function verdictFor(overrides: Partial<VerdictInput>) {
  return decideVerdict({
    workflow: 'webhooks',
    containers: ['voiceai-tasker'],
    docker: healthyDocker,
    ...overrides,
  });
}

describe('decideVerdict', () => {
  it('says the consumer is down with 0 workers and a backlog, and to fix Ops first', () => {
    const verdict = verdictFor({
      snapshot: makeSnapshot({ workers: 0, counts: makeCounts({ waiting: 40 }) }),
    });
    expect(verdict.kind).toBe('consumer-down');
    expect(verdict.headline).toBe('Consumer down: 0 workers');
    expect(verdict.action).toMatch(/^fix Ops before any replay/);
  });

  it('names an unhealthy Tasker container even when workers are connected', () => {
    const docker = makeProbe<DockerDetails>({
      probe: 'docker',
      status: 'degraded',
      details: {
        containers: [{ name: 'voiceai-tasker', state: 'running', health: 'unhealthy', restartCount: 7 }],
      },
    });
    const verdict = verdictFor({
      docker,
      snapshot: makeSnapshot({ workers: 1, givenUp: exact(3), counts: makeCounts({ failed: 3 }) }),
    });
    expect(verdict.headline).toBe('Consumer down: voiceai-tasker unhealthy');
  });

  it('does not treat an unknown worker count as zero', () => {
    const verdict = verdictFor({
      snapshot: makeSnapshot({ workers: null, givenUp: exact(12), counts: makeCounts({ failed: 12 }) }),
    });
    expect(verdict.kind).toBe('given-up');
  });

  it('says correctly retrying, do not replay, while the tenant endpoint fails', () => {
    const upstream = makeProbe<EndpointsDetails>({
      probe: 'webhook-endpoints',
      status: 'down',
      reason: 'acme.example: HEAD 503',
    });
    const verdict = verdictFor({
      upstream,
      snapshot: makeSnapshot({ willRetry: exact(240), counts: makeCounts({ delayed: 240 }) }),
    });
    expect(verdict.kind).toBe('correctly-retrying');
    expect(verdict.headline).toBe('Correctly retrying: 240 jobs will retry; acme.example: HEAD 503');
    expect(verdict.action).toMatch(/^do not replay/);
  });

  it('calls given-up jobs replay candidates, with an extrapolated count marked', () => {
    const snapshot = makeSnapshot({
      givenUp: { value: 1204, exact: false, sampled: 100 },
      willRetry: exact(3),
      counts: makeCounts({ failed: 1204 }),
    });
    const verdict = verdictFor({ snapshot });
    expect(verdict.headline).toBe(
      'Given up: ≈1,204 jobs exhausted their attempts; 3 more will retry on their own',
    );
    expect(verdict.action).toMatch(/^replay candidates: read samples first/);
  });

  it('holds replay back while the upstream still fails', () => {
    const verdict = verdictFor({
      upstream: makeProbe({ probe: 'stripe', status: 'down', reason: 'Stripe answered 500' }),
      snapshot: makeSnapshot({ givenUp: exact(5), counts: makeCounts({ failed: 5 }) }),
    });
    expect(verdict.action).toBe('replay candidates, but not yet: Stripe answered 500');
  });

  it('reads a draining queue as slow, not stuck, with the time to clear', () => {
    const verdict = verdictFor({
      snapshot: makeSnapshot({ counts: makeCounts({ waiting: 1080 }) }),
      trend: {
        windowMs: 5000,
        inPerMinute: 0,
        outPerMinute: 120,
        direction: 'draining',
        clearInMs: 9 * 60_000,
      },
    });
    expect(verdict.kind).toBe('slow-draining');
    expect(verdict.headline).toBe('Slow, not stuck: draining 120/min, clear in about 9 minutes');
  });

  it('reads a stalled queue with workers as stuck', () => {
    const verdict = verdictFor({
      snapshot: makeSnapshot({ workers: 3, counts: makeCounts({ waiting: 80 }) }),
      trend: { windowMs: 5000, inPerMinute: 0, outPerMinute: 0, direction: 'stalled', clearInMs: null },
    });
    expect(verdict.kind).toBe('stuck');
    expect(verdict.headline).toContain('with 3 workers');
  });

  it('puts a stuck consumer before given-up jobs: replaying into it would only add to the pile', () => {
    const verdict = verdictFor({
      snapshot: makeSnapshot({
        workers: 2,
        givenUp: exact(1),
        counts: makeCounts({ waiting: 10_000, failed: 1 }),
      }),
      trend: { windowMs: 5000, inPerMinute: 0, outPerMinute: 0, direction: 'stalled', clearInMs: null },
    });
    expect(verdict.kind).toBe('stuck');
    expect(verdict.severity).toBe('critical');
    expect(verdict.action).toContain('1 given-up jobs wait; replay them only once it moves.');
  });

  it('does not call a stalled queue with active jobs healthy', () => {
    const verdict = verdictFor({
      snapshot: makeSnapshot({ workers: 1, counts: makeCounts({ waiting: 30, active: 4 }) }),
      trend: { windowMs: 5000, inPerMinute: 0, outPerMinute: 0, direction: 'stalled', clearInMs: null },
    });
    expect(verdict).toMatchObject({ kind: 'stuck', severity: 'warning' });
    expect(verdict.headline).toBe('No progress: 4 active, 30 waiting, nothing finished in 5 seconds');
  });

  it('puts a growing backlog before given-up jobs', () => {
    const verdict = verdictFor({
      snapshot: makeSnapshot({ givenUp: exact(9), counts: makeCounts({ waiting: 500, failed: 9 }) }),
      trend: { windowMs: 5000, inPerMinute: 300, outPerMinute: 20, direction: 'growing', clearInMs: null },
    });
    expect(verdict.kind).toBe('backlog-growing');
  });

  it('reports a paused queue before anything about retries', () => {
    const verdict = verdictFor({
      snapshot: makeSnapshot({ isPaused: true, counts: makeCounts({ paused: 9 }), givenUp: exact(2) }),
    });
    expect(verdict.kind).toBe('paused');
  });

  it('explains an unreadable queue', () => {
    expect(verdictFor({ error: 'Connection is closed.' }).headline).toBe(
      'Cannot read the queue: Connection is closed.',
    );
  });

  it('is healthy with nothing waiting', () => {
    expect(verdictFor({ snapshot: makeSnapshot() }).kind).toBe('healthy');
  });
});

describe('quiesceHint', () => {
  const growing = {
    windowMs: 1,
    inPerMinute: 10,
    outPerMinute: 1,
    direction: 'growing' as const,
    clearInMs: null,
  };
  it('offers pausing an internal producer only', () => {
    expect(quiesceHint('internal', growing)).toMatch(/^Internal producer: you can pause/);
    expect(quiesceHint('tenant', growing)).toMatch(/^Tenant-driven: the source cannot be stopped/);
    expect(quiesceHint('internal', { ...growing, direction: 'draining' })).toBeUndefined();
  });
});
