import { silentLogger } from '../../src/logger';
import type { UpstreamProbes } from '../../src/probes';
import type { DepthReading, QueueBackend, QueueSnapshot } from '../../src/queues/types';
import { diagnose, type Clock, type DiagnoseDeps } from '../../src/runbook/diagnose';
import type { TrendReadings } from '../../src/runbook/trend';
import { buildWorkflows } from '../../src/workflows';
import { makeCounts, makeSnapshot } from '../fixtures/diagnosis';

const WINDOW = 5_000;
const NOW = 1_000_000;
const [webhooks] = buildWorkflows(undefined).filter((w) => w.id === 'webhooks');

const reading = (at: number, depth: number, added: number): DepthReading => ({
  at,
  depth,
  delayed: 0,
  added,
});
function snapshotAt(now: DepthReading): QueueSnapshot {
  return makeSnapshot({
    queue: webhooks!.queue,
    takenAt: now.at,
    counts: makeCounts({ waiting: now.depth }),
    workers: 1,
    reading: now,
  });
}

const ok = (probe: string) => () => Promise.resolve({ probe, status: 'ok' as const, reason: 'fine' });
const probes = {
  docker: ok('docker'),
  signoz: ok('signoz'),
  stripe: ok('stripe'),
  recordings: ok('recordings'),
  webhookEndpoints: ok('webhook-endpoints'),
} as unknown as UpstreamProbes;

/** A clock whose sleeps are recorded and pass at once. */
function recordingClock(): { clock: Clock; slept: number[] } {
  const slept: number[] = [];
  return { clock: { now: () => NOW, sleep: (ms) => (slept.push(ms), Promise.resolve()) }, slept };
}

function depsWith(
  readings: TrendReadings | undefined,
  clock: Clock,
  later: DepthReading = reading(NOW + WINDOW, 40, 120),
): DiagnoseDeps {
  const backend = {
    snapshot: () => Promise.resolve(snapshotAt(reading(NOW, 40, 100))),
    readDepth: () => Promise.resolve(later),
  } as unknown as QueueBackend;
  return {
    backend,
    probes,
    census: () => Promise.reject(new Error('no census here')),
    workflows: [webhooks!],
    queuePrefix: 'bull',
    trendWindowMs: WINDOW,
    ...(readings ? { readings } : {}),
    sampleSize: 10,
    clock,
    logger: silentLogger,
  };
}

function keptReadings(kept: DepthReading[], fresh?: DepthReading): TrendReadings & { reads: number } {
  const state = {
    reads: 0,
    before: (_q: string, at: number, minAgeMs: number) =>
      [...kept].reverse().find((r) => at - r.at >= minAgeMs),
    earliest: (_q: string, at: number) => kept.find((r) => r.at <= at),
    read: () => {
      state.reads++;
      return Promise.resolve(fresh ?? reading(NOW + WINDOW, 40, 120));
    },
  };
  return state;
}

describe('diagnose: the trend from kept readings', () => {
  it('answers without waiting when a kept reading is at least a window old, with the same trend math', async () => {
    const { clock, slept } = recordingClock();
    // 6 s ago: depth 10, id counter 70; now: depth 40, counter 100 → 30 in, 0 out in 6 s.
    const readings = keptReadings([reading(NOW - 6_000, 10, 70), reading(NOW - 2_000, 30, 90)]);
    const diagnosis = await diagnose(depsWith(readings, clock));
    expect(slept).toEqual([]);
    expect(readings.reads).toBe(0);
    const [w] = diagnosis.workflows;
    expect(w?.trend).toMatchObject({
      windowMs: 6_000,
      inPerMinute: 300,
      outPerMinute: 0,
      direction: 'growing',
    });
  });

  it('watches only what is missing of the window when the kept readings are younger', async () => {
    const { clock, slept } = recordingClock();
    const readings = keptReadings([reading(NOW - 2_000, 40, 100)], reading(NOW + 3_000, 40, 100));
    const diagnosis = await diagnose(depsWith(readings, clock));
    expect(slept).toEqual([3_000]);
    expect(readings.reads).toBe(1);
    expect(diagnosis.workflows[0]?.trend).toMatchObject({ windowMs: 5_000, direction: 'stalled' });
  });

  it('watches the whole window from its own snapshot when nothing is kept (right after start)', async () => {
    const { clock, slept } = recordingClock();
    const readings = keptReadings([]);
    const diagnosis = await diagnose(depsWith(readings, clock));
    expect(slept).toEqual([WINDOW]);
    expect(readings.reads).toBe(1);
    expect(diagnosis.workflows[0]?.trend).toMatchObject({ windowMs: WINDOW, inPerMinute: 240 });
  });

  it('without a sampler, watches the window and reads the depth again through the backend, as before', async () => {
    const { clock, slept } = recordingClock();
    const diagnosis = await diagnose(depsWith(undefined, clock));
    expect(slept).toEqual([WINDOW]);
    expect(diagnosis.workflows[0]?.trend).toMatchObject({ windowMs: WINDOW, inPerMinute: 240 });
  });
});
