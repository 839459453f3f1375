import type { JobSummary } from './types';

/**
 * The job-hash fields a diagnosis reads, in HMGET order. Reading named fields
 * instead of HGETALL skips `stacktrace` and `returnvalue`, which can be far
 * larger than everything else put together. `attemptsMade` is the name BullMQ
 * < 5 used; BullMQ 5 and 6 write `atm` (and `ats` for attempts started).
 */
export const JOB_FIELDS = [
  'name',
  'data',
  'opts',
  'timestamp',
  'atm',
  'attemptsMade',
  'failedReason',
  'finishedOn',
] as const;

export type JobState = JobSummary['state'];

/** One HMGET reply: a value (or null) per entry of JOB_FIELDS. */
export type JobFieldValues = readonly (string | null)[];

function intOrUndefined(value: string | null | undefined): number | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const parsed = Number.parseInt(value, 10);
  return Number.isFinite(parsed) ? parsed : undefined;
}

/** Payloads are whatever Delphi stored: parse JSON, but keep a non-JSON value readable. */
export function parseJobData(raw: string | null | undefined): unknown {
  if (raw === null || raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

/**
 * BullMQ lets `attempts` be 0 or missing; either way the job runs once and is
 * not retried, so the allowance is never below 1.
 */
export function attemptsAllowedFrom(rawOpts: string | null | undefined): number {
  const opts = parseJobData(rawOpts);
  if (typeof opts !== 'object' || opts === null) return 1;
  const attempts = (opts as { attempts?: unknown }).attempts;
  return typeof attempts === 'number' && Number.isFinite(attempts) ? Math.max(1, Math.floor(attempts)) : 1;
}

/**
 * Build a JobSummary from one HMGET reply, or undefined when the hash is gone
 * (the job was removed between reading its id and reading its fields).
 */
export function toJobSummary(id: string, state: JobState, values: JobFieldValues): JobSummary | undefined {
  const field = (name: (typeof JOB_FIELDS)[number]): string | null =>
    values[JOB_FIELDS.indexOf(name)] ?? null;
  if (values.every((v) => v === null)) return undefined;
  const failedReason = field('failedReason');
  const finishedAt = intOrUndefined(field('finishedOn'));
  return {
    id,
    name: field('name') ?? '',
    state,
    data: parseJobData(field('data')),
    rawData: field('data'),
    attemptsMade: intOrUndefined(field('atm')) ?? intOrUndefined(field('attemptsMade')) ?? 0,
    attemptsAllowed: attemptsAllowedFrom(field('opts')),
    ...(failedReason ? { failedReason } : {}),
    createdAt: intOrUndefined(field('timestamp')) ?? 0,
    ...(finishedAt !== undefined ? { finishedAt } : {}),
  };
}
