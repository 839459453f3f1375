import { count, plural } from '../runbook/format';
import type { Cohort } from '../runbook/inspect/types';
import type { CliReplay } from './replay-view';
import { oneLine, type Style } from './style';

/** The same reasons the approval message gives (blocks/approval.ts). */
const LADDER_REASONS: ReadonlyMap<string, string> = new Map([
  ['first-batch', 'first batch of this replay (canary)'],
  ['previous-unverified', 'the previous batch is not verified yet'],
  ['next-step', 'next step after a verified batch'],
  ['last-step', 'last step of the ladder'],
  ['max', 'the configured maximum batch size'],
]);

function cohortText(cohort: Cohort): string {
  const parts = Object.entries(cohort)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${oneLine(String(value))}`);
  return parts.length > 0 ? parts.join(', ') : 'all eligible jobs (no cohort filter)';
}

/** The ladder line as in Slack: `Ladder: batch 1, at most 10 jobs: limited by …`. */
export function ladderLine(ladder: { batchNumber: number; maxSize: number; limitedBy: string }): string {
  const reason = LADDER_REASONS.get(ladder.limitedBy) ?? oneLine(ladder.limitedBy);
  return `Ladder: batch ${ladder.batchNumber}, at most ${count(ladder.maxSize)} ${plural(ladder.maxSize, 'job')}: limited by ${reason}`;
}

export function renderReplay(doc: CliReplay, style: Style): string[] {
  if (doc.result === 'refused') {
    return [
      style.red(style.bold(`✗ Dry run refused (${doc.reason}):`)) + ` ${oneLine(doc.message)}`,
      ...doc.details.map((detail) => `  - ${oneLine(detail)}`),
      'Nothing was planned.',
    ];
  }
  const eligible = doc.moreEligible ? `at least ${count(doc.eligibleFound)}` : count(doc.eligibleFound);
  const excluded =
    doc.excluded.length > 0 ? ` (${count(doc.excluded.length)} excluded by checks or filters)` : '';
  const lines = [
    style.bold(`Dry run ${doc.batchId}: nothing will be replayed.`) +
      ` ${doc.workflow} · ${oneLine(doc.queue)}`,
    `Cohort: ${cohortText(doc.cohort)}${doc.exclude.length > 0 ? ` · excluding ${doc.exclude.map(cohortText).join('; ')}` : ''}`,
    `Jobs: ${count(doc.jobIds.length)} of ${eligible} eligible${excluded}`,
    ladderLine(doc.ladder),
    `Job ids: ${doc.jobIds.map(oneLine).join(', ')}`,
  ];
  if (doc.preconditions.length > 0) {
    lines.push(`Preconditions: ${doc.preconditions.map((p) => style.green(`✓ ${oneLine(p)}`)).join('  ')}`);
  }
  for (const job of doc.excluded.slice(0, 10))
    lines.push(`  excluded ${oneLine(job.id)}: ${oneLine(job.reason)}`);
  for (const note of doc.notes) lines.push(`Note: ${oneLine(note)}`);
  lines.push(
    style.dim(
      'A real replay needs a second approver: ask for it with /stuckjobs replay in the incident channel in Slack.',
    ),
  );
  return lines;
}
