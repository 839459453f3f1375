import { z } from 'zod';
import { COMMAND } from '../../blocks/ids';
import { UsageError } from '../../src/errors';
import { DEFAULT_SAMPLE, MAX_SAMPLE } from '../../src/runbook/inspect/sample';
import type { Cohort, SampleRequest } from '../../src/runbook/inspect/types';
import type { WorkflowId } from '../../src/workflows/types';
import { readFlags, shorten, type FlagSpec, type ReadFlags } from './flags';
import { tokenize } from './tokenize';

export interface ReplayCommand {
  readonly workflowId: WorkflowId;
  readonly cohort: Cohort;
  readonly exclude: readonly Cohort[];
  readonly batchSize?: number;
  readonly dryRun: boolean;
}

export interface EnqueueCommand {
  readonly workflowId: WorkflowId;
  /** The operator's ids (e.g. recording ids), in order, without repeats. */
  readonly ids: readonly string[];
  readonly tenant?: string;
  /** `--batch N`: fewer than the ladder allows; the rest wait for the next batch. */
  readonly batchSize?: number;
  readonly dryRun: boolean;
}

export type ParsedCommand =
  | { readonly kind: 'help' }
  | {
      readonly kind: 'diagnose';
      readonly workflowIds?: readonly WorkflowId[];
      /** Start a fresh incident even though one is open in the channel. */
      readonly fresh?: boolean;
    }
  | { readonly kind: 'sample'; readonly request: SampleRequest }
  | { readonly kind: 'replay'; readonly request: ReplayCommand }
  | { readonly kind: 'enqueue'; readonly request: EnqueueCommand }
  /** Verify the latest batch of a workflow again (runbook step 4). */
  | { readonly kind: 'verify'; readonly workflowId: WorkflowId }
  /** The newest audit entries, ephemeral. */
  | { readonly kind: 'audit'; readonly count: number }
  /** Post the operations-log draft now. */
  | { readonly kind: 'note' }
  /** End the incident: note and summary. */
  | { readonly kind: 'done' };

/** Slack caps command text at 4,000 characters; anything near that is not a command. */
const MAX_TEXT = 500;
/** Far above any batch; a bigger number is a typo, not a plan. */
const MAX_BATCH_WORD = 100_000;

const subcommand = z.enum([
  'diagnose',
  'sample',
  'replay',
  'enqueue',
  'verify',
  'audit',
  'note',
  'done',
  'help',
]);
/** `/stuckjobs audit` shows this many entries unless told otherwise, and at most MAX_AUDIT. */
export const DEFAULT_AUDIT = 20;
export const MAX_AUDIT = 50;
const sampleState = z.enum(['failed', 'delayed', 'waiting']);
const COHORT_FLAGS = { '--tenant': 'value', '--reason': 'value', '--handler': 'value' } as const;
const SAMPLE_FLAGS: FlagSpec = { ...COHORT_FLAGS, '--state': 'value' };
const REPLAY_FLAGS: FlagSpec = {
  ...COHORT_FLAGS,
  '--batch': 'value',
  '--exclude': 'value',
  '--dry-run': 'switch',
};
const ENQUEUE_FLAGS: FlagSpec = { '--tenant': 'value', '--batch': 'value', '--dry-run': 'switch' };

const REPLAY_USAGE = `Type \`${COMMAND} replay <workflow> [--tenant ID] [--reason TEXT] [--handler NAME] [--batch N] [--exclude tenant=ID] [--dry-run]\`.`;
const ENQUEUE_USAGE = `Type \`${COMMAND} enqueue <workflow> <id> [id…] [--tenant ID] [--batch N] [--dry-run]\`.`;

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
      `\`${shorten(first)}\` is not a ${COMMAND} command. Type \`${COMMAND} diagnose\`, \`${COMMAND} sample <workflow>\`, \`${COMMAND} replay <workflow>\` or \`${COMMAND} help\`.`,
    );
  }
  switch (parsed.data) {
    case 'help':
      return { kind: 'help' };
    case 'diagnose':
      return parseDiagnose(rest, workflowIds);
    case 'sample':
      return parseSample(rest, workflowIds);
    case 'replay':
      return parseReplay(rest, workflowIds);
    case 'enqueue':
      return parseEnqueue(rest, workflowIds);
    case 'verify':
      return {
        kind: 'verify',
        workflowId: requireWorkflow(rest[0], workflowIds, 'verify', `Type \`${COMMAND} verify <workflow>\`.`),
      };
    case 'audit':
      return parseAudit(rest);
    case 'note':
    case 'done':
      if (rest.length > 0) {
        throw new UsageError(
          `\`${parsed.data}\` takes nothing after it. Type \`${COMMAND} ${parsed.data}\`.`,
        );
      }
      return { kind: parsed.data };
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
  const workflowId = requireWorkflow(workflowWord, workflowIds, 'sample', usage);
  const flags = readFlags(options, SAMPLE_FLAGS, 'sample', usage);
  let count = DEFAULT_SAMPLE;
  for (const word of flags.words) {
    if (!/^\d+$/.test(word))
      throw new UsageError(`\`${shorten(word)}\` is not an option of sample. ${usage}`);
    count = Number(word);
    if (count < 1 || count > MAX_SAMPLE)
      throw new UsageError(`Sample 1 to ${MAX_SAMPLE} jobs, not ${word}. ${usage}`);
  }
  const stateWord = flags.values.get('--state');
  const state = sampleState.safeParse((stateWord ?? 'failed').toLowerCase());
  if (!state.success)
    throw new UsageError(`\`--state ${shorten(stateWord ?? '')}\` is not a state. ${usage}`);
  return { kind: 'sample', request: { workflowId, state: state.data, count, cohort: cohortOf(flags) } };
}

function parseReplay(rest: readonly string[], workflowIds: readonly WorkflowId[]): ParsedCommand {
  const [workflowWord, ...options] = rest;
  const workflowId = requireWorkflow(workflowWord, workflowIds, 'replay', REPLAY_USAGE);
  const flags = readFlags(options, REPLAY_FLAGS, 'replay', REPLAY_USAGE, ['--exclude']);
  const stray = flags.words[0];
  if (stray !== undefined) {
    throw new UsageError(
      `\`${shorten(stray)}\` is not an option of replay; name a cohort with \`--tenant\`, \`--reason\` or \`--handler\` and a size with \`--batch N\`. ${REPLAY_USAGE}`,
    );
  }
  const batchWord = flags.values.get('--batch');
  const exclude = (flags.repeated.get('--exclude') ?? []).map(excludedCohort);
  return {
    kind: 'replay',
    request: {
      workflowId,
      cohort: cohortOf(flags),
      exclude,
      dryRun: flags.switches.has('--dry-run'),
      ...(batchWord !== undefined ? { batchSize: batchSizeOf(batchWord) } : {}),
    },
  };
}

function parseEnqueue(rest: readonly string[], workflowIds: readonly WorkflowId[]): ParsedCommand {
  const [workflowWord, ...options] = rest;
  const workflowId = requireWorkflow(workflowWord, workflowIds, 'enqueue', ENQUEUE_USAGE);
  const flags = readFlags(options, ENQUEUE_FLAGS, 'enqueue', ENQUEUE_USAGE);
  // Ids may be pasted comma- or space-separated.
  const ids = [...new Set(flags.words.flatMap((word) => word.split(',')).filter(Boolean))];
  if (ids.length === 0) throw new UsageError(`Which ids? ${ENQUEUE_USAGE}`);
  const tenant = flags.values.get('--tenant');
  const batchWord = flags.values.get('--batch');
  return {
    kind: 'enqueue',
    request: {
      workflowId,
      ids,
      dryRun: flags.switches.has('--dry-run'),
      ...(tenant ? { tenant } : {}),
      ...(batchWord !== undefined ? { batchSize: batchSizeOf(batchWord) } : {}),
    },
  };
}

function parseAudit(rest: readonly string[]): ParsedCommand {
  const [word, ...more] = rest;
  if (word === undefined) return { kind: 'audit', count: DEFAULT_AUDIT };
  const count = /^\d+$/.test(word) ? Number(word) : NaN;
  if (more.length > 0 || !(count >= 1 && count <= MAX_AUDIT)) {
    throw new UsageError(`Show 1 to ${MAX_AUDIT} audit entries: type \`${COMMAND} audit [n]\`.`);
  }
  return { kind: 'audit', count };
}

function requireWorkflow(
  word: string | undefined,
  workflowIds: readonly WorkflowId[],
  verb: string,
  usage: string,
): WorkflowId {
  if (word === undefined || word.startsWith('--')) {
    throw new UsageError(`Which workflow? ${usage} Workflows: ${workflowIds.join(', ')}.`);
  }
  return workflowOf(word.toLowerCase(), workflowIds, verb);
}

function cohortOf(flags: ReadFlags): Cohort {
  const cohort: { -readonly [K in keyof Cohort]: Cohort[K] } = {};
  const tenant = flags.values.get('--tenant');
  const reason = flags.values.get('--reason');
  const handler = flags.values.get('--handler');
  if (tenant !== undefined) cohort.tenant = tenant;
  if (reason !== undefined) cohort.reason = reason;
  if (handler !== undefined) cohort.handler = handler;
  return cohort;
}

/** `--exclude tenant=acme` leaves out exactly the cohort a sample block names (gate-coverage.ts). */
function excludedCohort(value: string): Cohort {
  const cohort: { -readonly [K in keyof Cohort]: Cohort[K] } = {};
  for (const part of value.split('&')) {
    const [key = '', v] = part.split(/=(.*)/s, 2);
    const name = key.trim().toLowerCase();
    if ((name !== 'tenant' && name !== 'reason' && name !== 'handler') || !v) {
      throw new UsageError(
        `\`--exclude ${shorten(value)}\` names no cohort: write \`--exclude tenant=ID\`, \`--exclude handler=NAME\` or \`--exclude reason=TEXT\` (join several with \`&\`). ${REPLAY_USAGE}`,
      );
    }
    cohort[name] = v;
  }
  return cohort;
}

function batchSizeOf(word: string): number {
  const size = /^\d+$/.test(word) ? Number(word) : NaN;
  if (!Number.isInteger(size) || size < 1 || size > MAX_BATCH_WORD) {
    throw new UsageError(
      `\`--batch ${shorten(word)}\` is not a batch size: give a whole number of jobs, e.g. \`--batch 5\`. ${REPLAY_USAGE}`,
    );
  }
  return size;
}

function workflowOf(word: string, workflowIds: readonly WorkflowId[], verb: string): WorkflowId {
  const found = workflowIds.find((id) => id === word);
  if (found) return found;
  throw new UsageError(
    `Unknown workflow \`${shorten(word)}\`. Type one of ${workflowIds.map((id) => `\`${COMMAND} ${verb} ${id}\``).join(', ')}${verb === 'diagnose' ? `, or \`${COMMAND} diagnose\` for all` : ''}.`,
  );
}
