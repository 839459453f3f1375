import type { GateBlock } from '../approvals/replay-gate';
import type {
  CheckFailure,
  CohortCount,
  CohortSummary,
  SampledJob,
  SampleOutcome,
} from '../runbook/inspect/types';
import type { Mask } from './diagnose-view';

/**
 * `stuckjobs sample --json`. Payloads and failure reasons are redacted by the
 * engine already; check reasons are masked here as the Slack message masks them.
 */
export interface CliSample extends Omit<SampleOutcome, 'jobs' | 'failures' | 'warnings'> {
  readonly command: 'sample';
  readonly exitCode: 0 | 1;
  /** A check failed in this sample, or an earlier sample's block stands: stop and ask before replay. */
  readonly blocked: boolean;
  readonly jobs: readonly SampledJob[];
  readonly failures: readonly CheckFailure[];
  readonly warnings: readonly CheckFailure[];
  /** Every block standing on this workflow for the CLI's scope, after this sample was recorded. */
  readonly gate: readonly GateBlock[];
}

export function toCliSample(outcome: SampleOutcome, gate: readonly GateBlock[], mask: Mask): CliSample {
  const blocked = gate.length > 0 || outcome.failures.length > 0;
  const failure = <F extends { readonly reason: string }>(f: F): F => ({ ...f, reason: mask(f.reason) });
  return {
    command: 'sample',
    exitCode: blocked ? 1 : 0,
    blocked,
    ...outcome,
    jobs: outcome.jobs.map((job) => ({
      ...job,
      checks: job.checks.map((check) => ({ ...check, reason: mask(check.reason) })),
    })),
    cohorts: maskCohorts(outcome.cohorts, mask),
    failures: outcome.failures.map(failure),
    warnings: outcome.warnings.map(failure),
    gate: gate.map((block) => ({ ...block, failures: block.failures.map(failure) })),
  };
}

/** Cohort keys come from payloads and failure reasons: masked, as Slack shows them. */
export function maskCohorts(summary: CohortSummary, mask: Mask): CohortSummary {
  const keys = (list: readonly CohortCount[]) => list.map((c) => ({ ...c, key: mask(c.key) }));
  return {
    ...summary,
    byHandler: keys(summary.byHandler),
    byTenant: keys(summary.byTenant),
    byReason: keys(summary.byReason),
    byHost: keys(summary.byHost),
  };
}
