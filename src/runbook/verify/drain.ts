import type { VerificationPart } from './types';

/** Two O(1) readings of the queue, at the start and the end of the watch. */
export interface DrainReading {
  readonly at: number;
  /** Jobs not yet done (waiting, active, delayed, prioritized, paused). */
  readonly depth: number;
  /** Of `depth`, the jobs waiting for a time (a retry's backoff) rather than for a worker. */
  readonly delayed: number;
  /** Size of the queue's `completed` set. */
  readonly completed: number;
}

export interface DrainInput {
  readonly start: DrainReading;
  readonly end: DrainReading;
  /** Connected workers (CLIENT LIST), or null when it could not be read. */
  readonly workers: number | null;
  /**
   * Completions per minute the workers did before the incident, from BullMQ's
   * own metrics (`<queue>:metrics:completed`) when the workers record them.
   */
  readonly metricsPerMinute: number | null;
}

/** Completions below this share of the metrics' rate are not "consistent with the workers". */
const CONSISTENT_SHARE = 0.5;

const perMinute = (n: number, ms: number): number => (ms > 0 ? (n * 60_000) / ms : 0);
const rate = (n: number): string => `${Math.round(n * 10) / 10}/min`;

/** Jobs a worker could take now: delayed jobs wait for their time, not for a worker. */
const runnable = (reading: DrainReading): number => Math.max(0, reading.depth - reading.delayed);

/**
 * Runbook step 4, "the queue length trends down at a rate consistent with the
 * worker count". The workers predict a drain rate: their recorded throughput
 * (BullMQ metrics) when they record it, else what they completed during the
 * watch. Never a guess: an unknown worker count makes the part `unknown`.
 * The length judged is what the workers can run now: jobs delayed on a retry
 * backoff are shown but not counted, or a tenant still failing (its jobs
 * retrying on their own) would fail every batch of another tenant.
 */
export function drainPart(input: DrainInput): VerificationPart {
  const { start, workers } = input;
  const end = { ...input.end, depth: runnable(input.end) };
  const windowMs = end.at - start.at;
  const completedRate = perMinute(Math.max(0, end.completed - start.completed), windowMs);
  const depthChange = end.depth - runnable(start);
  const delayedNote =
    input.end.delayed > 0 ? ` (${input.end.delayed} delayed on their backoff, not counted)` : '';
  const observed = `depth ${runnable(start)} → ${end.depth}${delayedNote} in ${Math.round(windowMs / 1000)} s, ${rate(completedRate)} completed`;
  if (workers === null) {
    return {
      name: 'drain',
      status: 'unknown',
      summary: `worker count unknown (CLIENT LIST unavailable), so the drain rate the workers predict cannot be told; ${observed}`,
      details: [],
    };
  }
  if (workers === 0 && end.depth > 0) {
    return {
      name: 'drain',
      status: 'fail',
      summary: `no worker is connected and ${end.depth} jobs wait; ${observed}`,
      details: [],
    };
  }
  const predicted = input.metricsPerMinute ?? completedRate;
  const source = input.metricsPerMinute !== null ? 'BullMQ metrics' : 'completions observed';
  const prediction = `${workers} worker(s) predict ${rate(predicted)} (${source})`;
  if (input.metricsPerMinute !== null && completedRate < predicted * CONSISTENT_SHARE && end.depth > 0) {
    return {
      name: 'drain',
      status: 'fail',
      summary: `completing ${rate(completedRate)}, under half of what ${prediction}; ${observed}`,
      details: [],
    };
  }
  if (end.depth === 0)
    return {
      name: 'drain',
      status: 'pass',
      summary: `queue drained; ${prediction}; ${observed}`,
      details: [],
    };
  if (depthChange < 0)
    return {
      name: 'drain',
      status: 'pass',
      summary: `trending down; ${prediction}; ${observed}`,
      details: [],
    };
  return {
    name: 'drain',
    status: 'fail',
    summary: `not trending down (${depthChange >= 0 ? `+${depthChange}` : depthChange}); ${prediction}; ${observed}`,
    details: [],
  };
}
