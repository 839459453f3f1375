import type { KnownBlock } from '@slack/types';
import type { BuiltMessage } from './diagnosis';
import { BlockId, COMMAND } from './ids';
import { context, escapeMrkdwn, section, truncate } from './text';

export interface UsageView {
  /**
   * What was wrong with what they typed, if anything. It quotes what was typed,
   * and people paste keys into the wrong place: the handler masks it first
   * (handlers/commands/stuckjobs.ts), so this builder stays pure.
   */
  readonly problem?: string;
  readonly workflowIds: readonly string[];
}

export function usageMessage(view: UsageView): BuiltMessage {
  const workflows = view.workflowIds.map((id) => `\`${id}\``).join(', ');
  const lines = [
    `*${COMMAND} diagnose* — queue depth, workers, trend and upstream health for every workflow`,
    `*${COMMAND} diagnose <workflow>* — the same for one of ${workflows}; add \`--new\` to start a fresh incident`,
    `*${COMMAND} sample <workflow> [n]* — read up to 10 stuck jobs and check their payloads, targets and handlers; filters \`--state failed|delayed|waiting\`, \`--tenant ID\`, \`--reason TEXT\`, \`--handler NAME\``,
    `*${COMMAND} replay <workflow>* — plan a batch of given-up jobs for a second person to approve; \`--tenant ID\`, \`--reason TEXT\`, \`--handler NAME\` choose the cohort, \`--exclude tenant=ID\` leaves one out, \`--batch N\` picks a smaller size, \`--dry-run\` only shows it`,
    `*${COMMAND} enqueue <workflow> <id…> [--tenant ID]* — jobs that were never enqueued (e.g. recording ids of calls that ended while Ops was down), with the same approval`,
    `*${COMMAND} verify <workflow>* — verify the incident's latest batch again (jobs, drain, downstream effect, error rate)`,
    `*${COMMAND} audit [n]* — the newest steps of the audit trail, only for you`,
    `*${COMMAND} note* — the operations-log draft, from the record · *${COMMAND} done* — end the incident: note and summary`,
    `*${COMMAND} help* — this message`,
  ];
  const { problem } = view;
  const blocks: KnownBlock[] = [];
  if (problem) blocks.push(section(BlockId.error, `:warning: ${escapeMrkdwn(truncate(problem, 500))}`));
  blocks.push(
    section(BlockId.usage, lines.join('\n')),
    context(
      BlockId.usageNote,
      'Diagnose and sample are read-only. Every replay batch needs a second approver; the first batch is at most 10 jobs.',
    ),
  );
  const text = problem
    ? `${problem} Try: ${COMMAND} diagnose [workflow]`
    : `Usage: ${COMMAND} diagnose [workflow] | sample <workflow> [n] | replay <workflow> | enqueue <workflow> <id…> | help`;
  return { text: truncate(text, 3000), blocks };
}

export interface ErrorView {
  readonly message: string;
  readonly correlationId?: string;
}

/** What a user sees when something failed: what happened and the id to quote. */
export function errorMessageBlocks(view: ErrorView): BuiltMessage {
  const { message } = view;
  const suffix = view.correlationId
    ? ` (error id \`${view.correlationId}\`; quote it when you ask for help)`
    : '';
  const text = `:x: ${escapeMrkdwn(truncate(message, 1500))}${suffix}`;
  return {
    text: truncate(`${message}${view.correlationId ? ` (error id ${view.correlationId})` : ''}`, 3000),
    blocks: [section(BlockId.error, text)],
  };
}
