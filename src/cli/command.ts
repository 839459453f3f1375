import { UsageError } from '../errors';
import type { Cohort, SampleRequest } from '../runbook/inspect/types';
import type { WorkflowId } from '../workflows/types';
import { parseCommandText, type ParsedCommand } from '../../handlers/commands/parse';
import { commandText } from './args';

/** What the CLI runs: the read-only part of the Slack command set. */
export type CliCommand =
  | { readonly kind: 'diagnose'; readonly workflowIds?: readonly WorkflowId[] }
  | { readonly kind: 'sample'; readonly request: SampleRequest }
  | {
      readonly kind: 'replay-dry-run';
      readonly workflowId: WorkflowId;
      readonly cohort: Cohort;
      readonly exclude: readonly Cohort[];
      readonly batchSize?: number;
    }
  | { readonly kind: 'audit'; readonly count: number }
  | { readonly kind: 'help' };

const SLACK_ONLY: Partial<Record<ParsedCommand['kind'], string>> = {
  enqueue: 'adds jobs, which needs a second approver',
  verify: 'belongs to a batch that ran after its approval',
  note: "writes to the incident's thread",
  done: 'ends the incident in its thread',
};

/** A Slack command as the CLI may run it, or a UsageError saying why not (exit 2). */
export function toCliCommand(parsed: ParsedCommand): CliCommand {
  switch (parsed.kind) {
    case 'help':
      return parsed;
    case 'diagnose':
      if (parsed.fresh) throw new UsageError('--new opens a fresh incident in Slack; the CLI opens none.');
      return parsed.workflowIds
        ? { kind: 'diagnose', workflowIds: parsed.workflowIds }
        : { kind: 'diagnose' };
    case 'sample':
      return parsed;
    case 'audit':
      return parsed;
    case 'replay': {
      const r = parsed.request;
      if (!r.dryRun) {
        throw new UsageError(
          `A real replay needs a second approver in Slack: type /stuckjobs replay ${r.workflowId} in the incident channel. ` +
            `Here, add --dry-run to see what the batch would contain.`,
        );
      }
      return {
        kind: 'replay-dry-run',
        workflowId: r.workflowId,
        cohort: r.cohort,
        exclude: r.exclude,
        ...(r.batchSize !== undefined ? { batchSize: r.batchSize } : {}),
      };
    }
    case 'enqueue':
    case 'verify':
    case 'note':
    case 'done':
      throw new UsageError(
        `${parsed.kind} is Slack-only: it ${SLACK_ONLY[parsed.kind] ?? 'changes state'}. The CLI runs diagnose, sample, replay --dry-run and audit.`,
      );
  }
}

/**
 * The words after `stuckjobs`, read by the Slack command's own parser so both
 * accept the same syntax, then narrowed to what the CLI runs.
 */
export function parseCli(words: readonly string[], workflowIds: readonly WorkflowId[]): CliCommand {
  let parsed: ParsedCommand;
  try {
    parsed = parseCommandText(commandText(words), workflowIds);
  } catch (error) {
    if (error instanceof UsageError) throw new UsageError(forTerminal(error.message));
    throw error;
  }
  return toCliCommand(parsed);
}

/** Parser messages are written for Slack: the CLI's own name, no code spans. */
export function forTerminal(message: string): string {
  const text = message.replace(/\/stuckjobs\b/g, 'stuckjobs').replace(/`/g, '');
  return text.includes('stuckjobs help') ? text : `${text} Type stuckjobs help.`;
}
