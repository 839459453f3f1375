import { z } from 'zod';
import { COMMAND } from '../../blocks/ids';
import { UsageError } from '../../src/errors';
import { DEFAULT_SAMPLE, MAX_SAMPLE } from '../../src/runbook/inspect/sample';
import type { Cohort, SampleRequest } from '../../src/runbook/inspect/types';
import type { WorkflowId } from '../../src/workflows/types';
import { tokenize } from './tokenize';

export type ParsedCommand =
  | { readonly kind: 'help' }
  | {
      readonly kind: 'diagnose';
      readonly workflowIds?: readonly WorkflowId[];
      /** Start a fresh incident even though one is open in the channel. */
      readonly fresh?: boolean;
    }
  | { readonly kind: 'sample'; readonly request: SampleRequest };

/** Slack caps command text at 4,000 characters; anything near that is not a command. */
const MAX_TEXT = 500;

const subcommand = z.enum(['diagnose', 'sample', 'help']);
const sampleState = z.enum(['failed', 'delayed', 'waiting']);
const SAMPLE_FLAGS = ['--state', '--tenant', '--reason', '--handler'] as const;
type SampleFlag = (typeof SAMPLE_FLAGS)[number];

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
  const [first = 'help', ...rest] = tokenize(text);
  const parsed = subcommand.safeParse(first.toLowerCase());
  if (!parsed.success) {
    throw new UsageError(
      `\`${shorten(first)}\` is not a ${COMMAND} command. Type \`${COMMAND} diagnose\`, \`${COMMAND} sample <workflow>\` or \`${COMMAND} help\`.`,
    );
  }
  switch (parsed.data) {
    case 'help':
      return { kind: 'help' };
    case 'diagnose':
      return parseDiagnose(rest, workflowIds);
    case 'sample':
      return parseSample(rest, workflowIds);
  }
}

function parseDiagnose(rest: readonly string[], workflowIds: readonly WorkflowId[]): ParsedCommand {
  const lower = rest.map((word) => word.toLowerCase());
  const fresh = lower.includes('--new');
  const words = lower.filter((word) => word !== '--new' && word !== 'all');
  if (words.length === 0) return fresh ? { kind: 'diagnose', fresh } : { kind: 'diagnose' };
  const selected = words.map((word) => workflowOf(word, workflowIds, 'diagnose'));
  const unique = [...new Set(selected)];
  return fresh ? { kind: 'diagnose', workflowIds: unique, fresh } : { kind: 'diagnose', workflowIds: unique };
}

function parseSample(rest: readonly string[], workflowIds: readonly WorkflowId[]): ParsedCommand {
  const usage = `Type \`${COMMAND} sample <workflow> [n] [--state failed|delayed|waiting] [--tenant ID] [--reason TEXT] [--handler NAME]\`.`;
  const [workflowWord, ...options] = rest;
  if (workflowWord === undefined || workflowWord.startsWith('--')) {
    throw new UsageError(`Which workflow? ${usage} Workflows: ${workflowIds.join(', ')}.`);
  }
  const workflowId = workflowOf(workflowWord.toLowerCase(), workflowIds, 'sample');
  let count = DEFAULT_SAMPLE;
  let state: SampleRequest['state'] = 'failed';
  const cohort: { -readonly [K in keyof Cohort]: Cohort[K] } = {};
  for (let i = 0; i < options.length; i++) {
    const word = options[i] ?? '';
    if (/^\d+$/.test(word)) {
      count = Number(word);
      if (count < 1 || count > MAX_SAMPLE)
        throw new UsageError(`Sample 1 to ${MAX_SAMPLE} jobs, not ${word}. ${usage}`);
      continue;
    }
    const [flagWord = '', inline] = word.split(/=(.*)/s, 2);
    const flag = flagWord.toLowerCase();
    if (!(SAMPLE_FLAGS as readonly string[]).includes(flag)) {
      throw new UsageError(`\`${shorten(word)}\` is not an option of sample. ${usage}`);
    }
    const value = inline ?? options[++i];
    if (value === undefined || value === '' || (inline === undefined && value.startsWith('--'))) {
      throw new UsageError(`\`${flag}\` needs a value. ${usage}`);
    }
    applyFlag(flag as SampleFlag, value, cohort, (next) => (state = next), usage);
  }
  return { kind: 'sample', request: { workflowId, state, count, cohort } };
}

function applyFlag(
  flag: SampleFlag,
  value: string,
  cohort: { tenant?: string; reason?: string; handler?: string },
  setState: (state: SampleRequest['state']) => void,
  usage: string,
): void {
  if (flag === '--state') {
    const state = sampleState.safeParse(value.toLowerCase());
    if (!state.success) throw new UsageError(`\`--state ${shorten(value)}\` is not a state. ${usage}`);
    setState(state.data);
  } else if (flag === '--tenant') cohort.tenant = value.slice(0, 200);
  else if (flag === '--reason') cohort.reason = value.slice(0, 200);
  else cohort.handler = value.slice(0, 200);
}

function workflowOf(word: string, workflowIds: readonly WorkflowId[], verb: string): WorkflowId {
  const found = workflowIds.find((id) => id === word);
  if (found) return found;
  throw new UsageError(
    `Unknown workflow \`${shorten(word)}\`. Type one of ${workflowIds.map((id) => `\`${COMMAND} ${verb} ${id}\``).join(', ')}${verb === 'diagnose' ? `, or \`${COMMAND} diagnose\` for all` : ''}.`,
  );
}

function shorten(word: string): string {
  return word.length > 40 ? `${word.slice(0, 40)}…` : word.replace(/`/g, "'");
}
