import { UTCDate } from '@date-fns/utc';
import { format } from 'date-fns';
import type { AuditAction, AuditEntry } from '../../approvals/approval-types';
import { maskFreeText } from '../../redaction';
import { WORKFLOW_IDS } from '../../workflows';
import type { WorkflowId } from '../../workflows/types';
import type { BatchFact, IncidentFacts } from './types';

/**
 * How text from the record reaches the reader. The note and the summary are
 * worded once; the operations-log paragraph renders them as plain text, the
 * Slack messages as escaped mrkdwn.
 */
export interface TextStyle {
  /** Text from the record (headlines, causes, audit details): one line, secrets masked, safe for the output. */
  readonly text: (value: string) => string;
  /** A Slack user id as a mention; only ever called with ids that look like one. */
  readonly mention: (userId: string) => string;
}

/** Control characters would break the one-paragraph note (and logs alike). */
function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim();
}

/** Plain text: what the operator pastes into the operations log. Mentions stay `<@U…>`. */
export const PLAIN_TEXT: TextStyle = {
  text: (value) => maskFreeText(oneLine(value)),
  mention: (userId) => `<@${userId}>`,
};

/** Slack user (U…) and enterprise user (W…) ids: nothing else becomes a mention. */
const SLACK_USER_ID = /^[UW][A-Z0-9]{2,}$/;

/** A person by Slack id; anything else (a worker id, a command-line operator) as text. */
export function person(actor: string, style: TextStyle): string {
  if (SLACK_USER_ID.test(actor)) return style.mention(actor);
  const text = style.text(actor);
  return text === '' ? 'someone unknown' : text;
}

/**
 * "2026-11-28 09:12 UTC", whatever the process's time zone: date-fns formats
 * a `UTCDate` (from `@date-fns/utc`) in UTC, where a plain `Date` would be
 * formatted in local time.
 */
export function utcStamp(ms: number): string {
  if (!Number.isFinite(ms)) return 'an unknown time';
  return format(new UTCDate(ms), "yyyy-MM-dd HH:mm 'UTC'");
}

/** "09:50 UTC" on the reference's UTC day; the full stamp on any other day, so a long incident reads right. */
export function utcClock(ms: number, referenceMs: number): string {
  const stamp = utcStamp(ms);
  if (!Number.isFinite(referenceMs) || !Number.isFinite(ms)) return stamp;
  return stamp.slice(0, 10) === utcStamp(referenceMs).slice(0, 10) ? stamp.slice(11) : stamp;
}

/** Where the incident's clock starts: its oldest failure when known, else when it was opened. */
export function incidentStart(facts: IncidentFacts): number {
  return facts.firstFailureAt ?? facts.openedAt;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return n === 1 ? one : many;
}

export function jobs(n: number): string {
  return `${n.toLocaleString('en-US')} ${plural(n, 'job')}`;
}

/** "batch 1 of webhooks"; an enqueue batch says so, since its numbering is its own. */
export function batchLabel(batch: Pick<BatchFact, 'kind' | 'batchNumber' | 'workflow'>): string {
  return `${batch.kind === 'enqueue' ? 'enqueue batch' : 'batch'} ${batch.batchNumber} of ${batch.workflow}`;
}

/** Batches oldest request first; ties by number, so the order never depends on how the facts were gathered. */
export function orderedBatches(batches: readonly BatchFact[]): BatchFact[] {
  return [...batches].sort(
    (a, b) =>
      a.requestedAt - b.requestedAt || a.batchNumber - b.batchNumber || (a.batchId < b.batchId ? -1 : 1),
  );
}

/** Batches that moved jobs (or tried to): the ones whose result can be verified. */
export function ranBatches(batches: readonly BatchFact[]): BatchFact[] {
  return orderedBatches(batches).filter(
    (b) => b.replayed !== undefined || b.state === 'done' || b.state === 'failed' || b.state === 'executing',
  );
}

/** Workflows with counts on either side, in the fixed workflow order (then any other, by name). */
export function countedWorkflows(facts: IncidentFacts): WorkflowId[] {
  const present = new Set<WorkflowId>([
    ...(Object.keys(facts.countsBefore) as WorkflowId[]),
    ...(Object.keys(facts.countsAfter ?? {}) as WorkflowId[]),
  ]);
  const known: readonly WorkflowId[] = WORKFLOW_IDS;
  return [
    ...known.filter((id) => present.has(id)),
    ...[...present].filter((id) => !known.includes(id)).sort(),
  ];
}

/** Counts in reading order, with their labels. */
export const COUNT_LABELS = [
  ['failed', 'failed'],
  ['givenUp', 'given up'],
  ['waiting', 'waiting'],
  ['delayed', 'delayed'],
] as const;

/** The verb for each audited action; typed, so a new action cannot ship without its words. */
const ACTION_WORDS: Readonly<Record<AuditAction, string>> = {
  diagnose: 'diagnose',
  sample: 'sample',
  plan: 'plan',
  create: 'request',
  approve: 'approve',
  deny: 'deny',
  claim: 'run',
  finish: 'finish',
  verify: 'verify',
  note: 'note',
  done: 'mark done',
};

function actionWords(action: string, style: TextStyle): string {
  // Entries are parsed at the boundary, but an older or newer writer may still say something else.
  return Object.hasOwn(ACTION_WORDS, action) ? ACTION_WORDS[action as AuditAction] : style.text(action);
}

/**
 * Result codes in words. Refusals say they were refused and why, so a reader
 * sees the rules at work. A Map, not an object literal: the result is a free
 * string and must never hit `constructor` and friends.
 */
const RESULT_WORDS: ReadonlyMap<string, string> = new Map([
  // decide
  ['approved', 'approved'],
  ['denied', 'denied'],
  ['self-approval', 'refused, the requester cannot approve their own batch'],
  ['not-an-approver', 'refused, not an allowed approver'],
  ['hash-mismatch', 'refused, the plan changed since the button was posted'],
  ['precondition-failed', 'refused, a precondition failed'],
  ['expired', 'refused, the batch had expired'],
  ['not-pending', 'refused, already decided'],
  ['dry-run', 'refused, a dry run cannot be approved'],
  ['not-found', 'refused, no such batch'],
  // create
  ['created', 'batch created'],
  ['exists', 'refused, the batch already existed'],
  // claim
  ['claimed', 'started'],
  ['already-claimed', 'already running, not started twice'],
  ['not-approved', 'refused, not approved'],
  // finish (`finished` depends on the outcome, below)
  ['not-executing', 'ignored, the batch was not running'],
  // plan refusals
  ['blocked', 'refused, a sample of these jobs failed its checks'],
  ['open-batch', 'refused, the previous batch is still open'],
  ['ladder', 'refused by the batch ladder'],
  ['nothing-eligible', 'nothing eligible to replay'],
  ['precondition', 'refused, a precondition failed'],
  ['unknown-workflow', 'refused, unknown workflow'],
  // verify
  ['verified', 'verified'],
  ['not-verified', 'not verified'],
  ['inconclusive', 'inconclusive'],
]);

/** Claims and finishes are the bot's own steps: its worker id means nothing to a reader. */
const BOT_ACTIONS = new Set(['claim', 'finish']);

/** Audit details are short already; cap them so one entry cannot crowd out the others. */
const DETAIL_MAX = 120;

export function resultWords(entry: Pick<AuditEntry, 'action' | 'result' | 'to'>, style: TextStyle): string {
  if (entry.result === 'finished') return entry.to === 'failed' ? 'finished, failed' : 'finished';
  return RESULT_WORDS.get(entry.result) ?? style.text(entry.result);
}

export interface TimelineContext {
  readonly style: TextStyle;
  /** Times on this UTC day show as "09:50 UTC". */
  readonly referenceMs: number;
  readonly batches: ReadonlyMap<string, BatchFact>;
  /** Per-piece cap on record text, in characters; a cut piece ends with "…". */
  readonly detailMax?: number;
}

export function timelineContext(
  facts: IncidentFacts,
  style: TextStyle,
  detailMax = DETAIL_MAX,
): TimelineContext {
  return {
    style,
    referenceMs: facts.openedAt,
    batches: new Map(facts.batches.map((b) => [b.batchId, b])),
    detailMax,
  };
}

/**
 * Cut styled text to `max` characters ending in "…". Cut after masking, so a
 * half secret is never shown, and never inside an `&amp;`-style escape.
 */
export function cap(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, Math.max(0, max - 1));
  const amp = cut.lastIndexOf('&');
  if (amp !== -1 && amp > cut.length - 6 && !cut.slice(amp).includes(';')) cut = cut.slice(0, amp);
  return `${cut.trimEnd()}…`;
}

/**
 * "09:50 UTC approve by <@U2>: approved (batch 1 of webhooks)", then the
 * audit detail after a dash when there is one.
 */
export function timelineLine(entry: AuditEntry, context: TimelineContext): string {
  const { style } = context;
  const action = actionWords(entry.action, style);
  const actor = BOT_ACTIONS.has(entry.action) ? 'the bot' : person(entry.actor, style);
  const batch = context.batches.get(entry.batchId);
  const which = batch
    ? ` (${batchLabel(batch)})`
    : entry.batchId !== ''
      ? ` (batch ${cap(style.text(entry.batchId), 40)})`
      : '';
  const detail = oneLine(entry.detail);
  const more = detail === '' ? '' : ` — ${cap(style.text(detail), context.detailMax ?? DETAIL_MAX)}`;
  return `${utcClock(entry.at, context.referenceMs)} ${action} by ${actor}: ${resultWords(entry, style)}${which}${more}`;
}

/** The timeline oldest first; equal times keep the stream's order. */
export function orderedTimeline(timeline: readonly AuditEntry[]): AuditEntry[] {
  return timeline
    .map((entry, index) => ({ entry, index }))
    .sort((a, b) => a.entry.at - b.entry.at || a.index - b.index)
    .map(({ entry }) => entry);
}
