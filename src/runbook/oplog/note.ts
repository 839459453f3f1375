import {
  batchLabel,
  cap,
  COUNT_LABELS,
  countedWorkflows,
  incidentStart,
  jobs,
  orderedBatches,
  person,
  PLAIN_TEXT,
  plural,
  ranBatches,
  utcClock,
  utcStamp,
} from './timeline';
import type { TextStyle } from './timeline';
import type { BatchFact, Cause, IncidentFacts, WorkflowCounts } from './types';

/** The runbook's step 5 line, word for word the same wherever it is shown. */
export const GETTING_HELP_SENTENCE = 'The root cause is inside Delphi: file it via Getting help.';

export interface NoteOptions {
  /** Cap on each piece of record text (a headline, a cause), for a message that must fit a limit. */
  readonly pieceMax?: number;
}

/**
 * Runbook step 5: the one-paragraph operations-log note, in plain text. When
 * it started, the symptom, the root cause, what was done, the verified result,
 * the counts before and after, and — when the cause is inside Delphi — the
 * Getting help line. Deterministic: the same facts give the same paragraph.
 */
export function operationsLogNote(facts: IncidentFacts): string {
  return composeOperationsLogNote(facts, PLAIN_TEXT);
}

/** The same paragraph in any text style (the Slack message escapes it for mrkdwn). */
export function composeOperationsLogNote(
  facts: IncidentFacts,
  style: TextStyle,
  options: NoteOptions = {},
): string {
  const piece = (text: string): string => {
    // Trim our punctuation off the raw text: once escaped, `&gt;` ends in a semicolon of its own.
    const styled = style.text(clause(text));
    return options.pieceMax === undefined ? styled : cap(styled, options.pieceMax);
  };
  const start = incidentStart(facts);
  const sentences = [
    startedSentence(facts),
    symptomSentence(facts, piece),
    causeSentence(facts.causes, piece),
    doneSentence(facts.batches, style, start),
    verificationSentence(facts.batches),
    countsSentence(facts),
    rootCauseInDelphi(facts) ? GETTING_HELP_SENTENCE : undefined,
  ];
  return sentences
    .filter((s): s is string => s !== undefined && s !== '')
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
}

export function rootCauseInDelphi(facts: IncidentFacts): boolean {
  return facts.causes.some((c) => c.inDelphi);
}

/** A record piece inside a sentence: its own closing punctuation would double ours. */
function clause(text: string): string {
  return text.replace(/[\s\u0000-\u001f\u007f.;,:]+$/, '');
}

function startedSentence(facts: IncidentFacts): string {
  return facts.firstFailureAt !== undefined
    ? `Since ${utcStamp(facts.firstFailureAt)}.`
    : `Since at least ${utcStamp(facts.openedAt)} (when the incident was opened; the first failure time is unknown).`;
}

function symptomSentence(facts: IncidentFacts, piece: (text: string) => string): string {
  const symptoms = facts.symptoms.map((s) => {
    const headline = piece(s.headline);
    return headline === '' ? s.workflow : `${s.workflow}: ${headline}`;
  });
  return symptoms.length === 0 ? 'Symptom: none recorded.' : `Symptom: ${symptoms.join('; ')}.`;
}

function causeSentence(causes: readonly Cause[], piece: (text: string) => string): string {
  const shown = causes
    .map((c) => ({ text: piece(c.text), suspected: c.suspected }))
    .filter((c) => c.text !== '')
    .map((c) => (c.suspected ? `${c.text} (suspected)` : c.text));
  if (shown.length === 0) return 'Root cause: not identified.';
  return `${plural(shown.length, 'Root cause', 'Root causes')}: ${shown.join('; ')}.`;
}

/** What happened to one batch, in a few words; denied and expired ones briefly. */
export function batchSentence(batch: BatchFact, style: TextStyle, referenceMs: number): string {
  const label = batchLabel(batch);
  const verb = batch.kind === 'enqueue' ? 'enqueued' : 'replayed';
  const requested = `requested by ${person(batch.requestedBy, style)}`;
  const decided = (word: string): string => {
    const who = batch.decidedBy ? ` by ${person(batch.decidedBy, style)}` : '';
    const when = batch.decidedAt !== undefined ? ` at ${utcClock(batch.decidedAt, referenceMs)}` : '';
    return `${word}${who}${when}`;
  };
  const moved = (n: number): string =>
    n === batch.jobs ? `${jobs(n)} ${verb}` : `${n.toLocaleString('en-US')} of ${jobs(batch.jobs)} ${verb}`;
  switch (batch.state) {
    case 'done':
      return `${label}: ${moved(batch.replayed ?? batch.jobs)}, ${requested}, ${decided('approved')}`;
    case 'failed':
      return `${label}: failed after ${moved(batch.replayed ?? 0)}, ${requested}, ${decided('approved')}`;
    case 'executing':
      return `${label}: ${jobs(batch.jobs)} being ${verb} when this was written, ${requested}, ${decided('approved')}`;
    case 'approved':
      return `${label}: ${jobs(batch.jobs)} ${decided('approved')}, not run yet, ${requested}`;
    case 'pending':
      return `${label}: ${jobs(batch.jobs)} awaiting approval, ${requested} at ${utcClock(batch.requestedAt, referenceMs)}`;
    case 'denied':
      return `${label} (${jobs(batch.jobs)}) ${decided('denied')}`;
    case 'expired':
      return `${label} (${jobs(batch.jobs)}) expired without a decision`;
    default:
      return `${label} (${jobs(batch.jobs)}): ${style.text(batch.state)}, ${requested}`;
  }
}

function doneSentence(batches: readonly BatchFact[], style: TextStyle, referenceMs: number): string {
  if (batches.length === 0) return 'What was done: nothing was replayed or enqueued.';
  return `What was done: ${orderedBatches(batches)
    .map((b) => batchSentence(b, style, referenceMs))
    .join('; ')}.`;
}

/** "verified", "not verified", "inconclusive", or "not checked yet" for a batch that ran. */
export function verificationWords(batch: BatchFact): string {
  switch (batch.verification) {
    case 'verified':
      return 'verified';
    case 'not-verified':
      return 'not verified';
    case 'inconclusive':
      return 'inconclusive';
    default:
      return 'not checked yet';
  }
}

/** Ran batches whose result was not verified (failed, inconclusive or not checked). */
export function unverifiedCount(batches: readonly BatchFact[]): number {
  return ranBatches(batches).filter((b) => b.verification !== 'verified').length;
}

function verificationSentence(batches: readonly BatchFact[]): string | undefined {
  const ran = ranBatches(batches);
  if (ran.length === 0) return undefined;
  const each = ran.map((b) => `${batchLabel(b)} ${verificationWords(b)}`).join('; ');
  const unverified = unverifiedCount(batches);
  const overall = unverified === 0 ? 'all batches verified' : `${unverified} not verified`;
  return `Verified result: ${each} (${overall}).`;
}

/** "failed 120 → 3, given up 118 → 0"; pairs that were zero throughout are left out. */
export function countPairs(before: WorkflowCounts, after: WorkflowCounts): string {
  const pairs = COUNT_LABELS.filter(([key]) => before[key] !== 0 || after[key] !== 0).map(
    ([key, label]) => `${label} ${num(before[key])} → ${num(after[key])}`,
  );
  return pairs.length === 0 ? 'nothing waiting, delayed or failed' : pairs.join(', ');
}

function num(n: number): string {
  return n.toLocaleString('en-US');
}

function countsSentence(facts: IncidentFacts): string | undefined {
  const after = facts.countsAfter;
  if (after === undefined) return undefined;
  const parts = countedWorkflows(facts).map((workflow) => {
    const b = facts.countsBefore[workflow];
    const a = after[workflow];
    if (b && a) return `${workflow} ${countPairs(b, a)}`;
    return b ? `${workflow} not counted after` : `${workflow} not counted before`;
  });
  return parts.length === 0 ? undefined : `Counts before → after: ${parts.join('; ')}.`;
}
