import type { DepthReading } from '../queues/types';
import type { Trend, TrendDirection } from './diagnosis';

const MINUTE = 60_000;

/**
 * Jobs in and out per minute between two O(1) readings. "In" is the rise of
 * the queue's id counter (every add increments it, custom job ids too) or,
 * when the depth rose by more than that, the rise itself: retried and
 * promoted jobs re-enter without a new id. "Out" is what the depth did not
 * keep of what came in.
 */
export function measureTrend(first: DepthReading, second: DepthReading): Trend {
  const windowMs = Math.max(1, second.at - first.at);
  const rise = second.depth - first.depth;
  const added = Math.max(0, second.added - first.added, rise);
  const removed = Math.max(0, added - rise);
  const inPerMinute = (added * MINUTE) / windowMs;
  const outPerMinute = (removed * MINUTE) / windowMs;
  const netDrainPerMinute = outPerMinute - inPerMinute;
  return {
    windowMs,
    inPerMinute,
    outPerMinute,
    direction: directionOf(second.depth, inPerMinute, outPerMinute),
    clearInMs: second.depth > 0 && netDrainPerMinute > 0 ? (second.depth / netDrainPerMinute) * MINUTE : null,
  };
}

function directionOf(depth: number, inPerMinute: number, outPerMinute: number): TrendDirection {
  if (inPerMinute === 0 && outPerMinute === 0) return depth > 0 ? 'stalled' : 'idle';
  if (outPerMinute > inPerMinute) return 'draining';
  if (inPerMinute > outPerMinute) return 'growing';
  return 'flat';
}

/**
 * Depth readings already taken (a background sampler's), so a diagnosis can
 * answer at once and still measure a trend over a real window.
 */
export interface TrendReadings {
  /** The newest reading taken at least `minAgeMs` before `at`, if one is kept. */
  before(queue: string, at: number, minAgeMs: number): DepthReading | undefined;
  /** The oldest reading kept that was taken no later than `at`. */
  earliest(queue: string, at: number): DepthReading | undefined;
  /** A reading now (kept for later diagnoses too). */
  read(queue: string): Promise<DepthReading>;
}
