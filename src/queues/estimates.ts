import type { Estimate, FailureReasonCount, JobSummary } from './types';

/** Longest failure reason kept: enough to recognise an error, short enough for Slack. */
export const MAX_REASON_LENGTH = 300;
export const TOP_REASONS = 5;

/**
 * Scale what a sample shows to the whole state. `stateCount` comes from an O(1)
 * ZCARD/LLEN; the sample is at most `sampleSize` jobs, so the estimate is exact
 * only when the sample covered every job in the state.
 */
export function extrapolate(matching: number, sampled: number, stateCount: number): Estimate {
  if (sampled >= stateCount) return { value: matching, exact: true, sampled };
  if (sampled === 0) return { value: 0, exact: false, sampled };
  return { value: Math.round((matching / sampled) * stateCount), exact: false, sampled };
}

/** Sum of per-state estimates (e.g. will-retry over delayed and waiting). */
export function addEstimates(a: Estimate, b: Estimate): Estimate {
  return { value: a.value + b.value, exact: a.exact && b.exact, sampled: a.sampled + b.sampled };
}

/** The worker gave up: every allowed attempt was used. */
export function isGivenUp(job: JobSummary): boolean {
  return job.state === 'failed' && job.attemptsMade >= job.attemptsAllowed;
}

/** Waiting or delayed after at least one failed attempt: BullMQ will run it again. */
export function isRetrying(job: JobSummary): boolean {
  return job.state !== 'failed' && job.attemptsMade > 0;
}

/**
 * Reasons group on their first line: stack traces and per-job detail that
 * BullMQ appends on later lines would otherwise make every reason unique.
 */
export function reasonKey(reason: string): string {
  const firstLine = reason.split(/\r?\n/, 1)[0] ?? '';
  return firstLine.trim().slice(0, MAX_REASON_LENGTH);
}

/**
 * Reasons that differ only in their numbers (a job's id, a recording key, a
 * timeout in ms) are one cause: they count together under the first one seen
 * with its numbers shown as `#`. A reason seen only in one spelling is shown
 * as it is, so a URL or a key stays readable.
 */
export function topFailureReasons(failed: readonly JobSummary[], limit = TOP_REASONS): FailureReasonCount[] {
  const groups = new Map<string, { shown: string; count: number }>();
  for (const job of failed) {
    if (!job.failedReason) continue;
    const key = reasonKey(job.failedReason);
    if (key === '') continue;
    const folded = key.replace(/\d+/g, '#');
    const group = groups.get(folded);
    if (group === undefined) groups.set(folded, { shown: key, count: 1 });
    else groups.set(folded, { shown: group.shown === key ? key : folded, count: group.count + 1 });
  }
  return [...groups.values()]
    .map(({ shown, count }) => ({ reason: shown, count }))
    .sort((a, b) => b.count - a.count || (a.reason < b.reason ? -1 : a.reason > b.reason ? 1 : 0))
    .slice(0, limit);
}
