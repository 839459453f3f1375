import { z } from 'zod';
import { COMMAND } from '../../blocks/ids';
import { UsageError } from '../../src/errors';
import type { WorkflowId } from '../../src/workflows/types';

export type ParsedCommand =
  | { readonly kind: 'help' }
  | {
      readonly kind: 'diagnose';
      readonly workflowIds?: readonly WorkflowId[];
      /** Start a fresh incident even though one is open in the channel. */
      readonly fresh?: boolean;
    };

/** Slack caps command text at 4,000 characters; anything near that is not a command. */
const MAX_TEXT = 500;

const subcommand = z.enum(['diagnose', 'help']);

/**
 * Command text in, a command out, or a UsageError whose message says what to
 * type instead. Control characters and odd spacing are normalised first:
 * people paste from terminals during incidents.
 */
export function parseCommandText(rawText: string, workflowIds: readonly WorkflowId[]): ParsedCommand {
  const text = rawText.replace(/[\u0000-\u001f\u007f\u200b-\u200f\u2028\u2029\ufeff]+/g, ' ').trim();
  if (text.length > MAX_TEXT) {
    throw new UsageError(
      `That command is ${text.length} characters long. Type \`${COMMAND} help\` to see what it takes.`,
    );
  }
  const [first = 'help', ...rest] = text.toLowerCase().split(/\s+/).filter(Boolean);
  const parsed = subcommand.safeParse(first);
  if (!parsed.success) {
    throw new UsageError(
      `\`${shorten(first)}\` is not a ${COMMAND} command. Type \`${COMMAND} diagnose\` or \`${COMMAND} help\`.`,
    );
  }
  if (parsed.data === 'help') return { kind: 'help' };
  const fresh = rest.includes('--new');
  const words = rest.filter((word) => word !== '--new' && word !== 'all');
  if (words.length === 0) return fresh ? { kind: 'diagnose', fresh } : { kind: 'diagnose' };
  const unknown = words.filter((word) => !(workflowIds as readonly string[]).includes(word));
  if (unknown.length > 0) {
    throw new UsageError(
      `Unknown workflow \`${shorten(unknown[0] ?? '')}\`. Type \`${COMMAND} diagnose\` for all, or one of ${workflowIds
        .map((id) => `\`${COMMAND} diagnose ${id}\``)
        .join(', ')}.`,
    );
  }
  const selected = [...new Set(words)] as WorkflowId[];
  return fresh
    ? { kind: 'diagnose', workflowIds: selected, fresh }
    : { kind: 'diagnose', workflowIds: selected };
}

function shorten(word: string): string {
  return word.length > 40 ? `${word.slice(0, 40)}…` : word.replace(/`/g, "'");
}
