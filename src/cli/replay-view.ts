import type { Cohort } from '../runbook/inspect/types';
import type { PlanReplayResult } from '../runbook/plan/plan-replay';

type PlannedReplay = Extract<PlanReplayResult, { kind: 'planned' }>;
import type { Mask } from './diagnose-view';
import { maskCohorts } from './sample-view';

/** `stuckjobs replay <workflow> --dry-run --json`: what the batch would contain, or why not. */
export type CliReplay =
  | ({
      readonly command: 'replay';
      readonly exitCode: 0;
      readonly dryRun: true;
      readonly result: 'planned';
      /** The stored dry-run manifest (audited; it can never be approved). */
      readonly batchId: string;
      readonly workflow: string;
      readonly queue: string;
      readonly cohort: Cohort;
      readonly exclude: readonly Cohort[];
      readonly jobIds: readonly string[];
      readonly ladder: {
        readonly batchNumber: number;
        readonly maxSize: number;
        readonly suggestedSize: number;
        readonly limitedBy: string;
        readonly message: string;
      };
    } & Pick<
      PlannedReplay,
      'eligibleFound' | 'moreEligible' | 'excluded' | 'preconditions' | 'notes' | 'touches'
    >)
  | {
      readonly command: 'replay';
      readonly exitCode: 1;
      readonly dryRun: true;
      readonly result: 'refused';
      readonly reason: string;
      readonly message: string;
      readonly details: readonly string[];
    };

export function toCliReplay(result: PlanReplayResult, mask: Mask): CliReplay {
  // Refusals are worded for Slack: no code spans in a terminal.
  const plain = (text: string) => mask(text).replace(/`/g, '');
  if (result.kind === 'refused') {
    return {
      command: 'replay',
      exitCode: 1,
      dryRun: true,
      result: 'refused',
      reason: result.reason,
      message: plain(result.message),
      details: result.details.map(plain),
    };
  }
  const { manifest, ladder } = result;
  return {
    command: 'replay',
    exitCode: 0,
    dryRun: true,
    result: 'planned',
    batchId: manifest.id,
    workflow: manifest.workflow,
    queue: manifest.queue,
    cohort: { ...manifest.cohort },
    exclude: manifest.exclude ? manifest.exclude.map((c) => ({ ...c })) : [],
    jobIds: manifest.jobs.map((job) => job.id),
    ladder: {
      batchNumber: ladder.batchNumber,
      maxSize: ladder.maxSize,
      suggestedSize: ladder.suggestedSize,
      limitedBy: ladder.limitedBy,
      message: ladder.message,
    },
    eligibleFound: result.eligibleFound,
    moreEligible: result.moreEligible,
    excluded: result.excluded,
    preconditions: result.preconditions.map(mask),
    notes: result.notes.map(mask),
    ...(result.touches ? { touches: maskCohorts(result.touches, mask) } : {}),
  };
}
