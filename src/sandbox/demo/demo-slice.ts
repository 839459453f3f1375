import type { JobsOptions } from 'bullmq';

/** One workflow's part of the demo incident: the jobs to add and why each failed. */
export interface DemoSlice {
  readonly queue: string;
  readonly jobs: readonly { readonly name: string; readonly data: object; readonly opts: JobsOptions }[];
  /** The failedReason every attempt of the job with `data` ends with while seeding. */
  reasonFor(data: unknown): string;
}
