import type { ContextBlock, KnownBlock, SectionBlock } from '@slack/types';
import {
  batchSentence,
  composeOperationsLogNote,
  countPairs,
  GETTING_HELP_SENTENCE,
  rootCauseInDelphi,
  unverifiedCount,
  verificationWords,
} from '../src/runbook/oplog/note';
import {
  cap,
  COUNT_LABELS,
  countedWorkflows,
  orderedBatches,
  orderedTimeline,
  person,
  plural,
  ranBatches,
  timelineContext,
  timelineLine,
  utcStamp,
} from '../src/runbook/oplog/timeline';
import type { TextStyle } from '../src/runbook/oplog/timeline';
import type { BatchFact, IncidentFacts, WorkflowCounts } from '../src/runbook/oplog/types';
import type { BuiltMessage } from './diagnosis';
import { BlockId } from './ids';
import { LIMITS } from './limits';
import { escapeMrkdwn, externalText, mrkdwn, plain, section, truncate } from './text';

/**
 * Record text as mrkdwn: one line, masked, escaped. Backticks become quotes so
 * nothing from the record can close the note's code block (or open a span).
 */
export const MRKDWN_TEXT: TextStyle = {
  text: (value) => externalText(value).replace(/`/g, "'"),
  mention: (userId) => `<@${escapeMrkdwn(userId)}>`,
};

const FENCE = '```';
/** Room for the paragraph inside "```\n…\n```" in one section. */
const NOTE_ROOM = LIMITS.sectionText - 2 * (FENCE.length + 1);
/** Tried in turn when the paragraph is too long: cap each headline and cause before cutting the paragraph. */
const PIECE_CAPS = [400, 200, 100] as const;
const CUT_MARKER = '… (cut)';
const FALLBACK_NOTE_MAX = 3_000;

/**
 * How LIMITS.totalText (12,000) is shared in the summary, so the parts always
 * fit together: the header and the counts take a few hundred characters.
 */
const OVERVIEW_MAX = 1_500;
const BATCHES_MAX = LIMITS.sectionText;
const TIMELINE_MAX = LIMITS.sectionText;
const TIMELINE_LINE_MAX = 300;
const BATCH_LINE_MAX = 500;
const CAUSES_MAX = 700;
/** Slack permalinks are short; anything longer is not one. */
const PERMALINK_MAX = 1_500;

/**
 * Cut mrkdwn to `max` characters, never inside an escape (`truncate`) nor
 * inside a `<@U…>` mention or `<url|label>` link, which would render broken.
 */
export function cutMrkdwn(text: string, max: number, marker = CUT_MARKER): string {
  if (text.length <= max) return text;
  let cut = truncate(text, Math.max(0, max - marker.length), '');
  const open = cut.lastIndexOf('<');
  if (open > cut.lastIndexOf('>')) cut = cut.slice(0, open);
  return `${cut.trimEnd()}${marker}`;
}

function header(blockId: string, text: string): KnownBlock {
  return { type: 'header', block_id: blockId, text: plain(text) };
}

function contextBlock(blockId: string, lines: readonly string[]): ContextBlock {
  return {
    type: 'context',
    block_id: blockId,
    elements: lines
      .slice(0, LIMITS.contextElements)
      .map((line) => mrkdwn(cutMrkdwn(line, LIMITS.sectionText))),
  };
}

interface FittedNote {
  readonly body: string;
  /** Why it is shorter than the plain note: undefined when it is whole. */
  readonly cut?: 'pieces' | 'paragraph';
}

/** The whole paragraph when it fits; else long pieces capped; else the paragraph cut. */
function fitNote(facts: IncidentFacts): FittedNote {
  const whole = composeOperationsLogNote(facts, MRKDWN_TEXT);
  if (whole.length <= NOTE_ROOM) return { body: whole };
  for (const pieceMax of PIECE_CAPS) {
    const body = composeOperationsLogNote(facts, MRKDWN_TEXT, { pieceMax });
    if (body.length <= NOTE_ROOM) return { body, cut: 'pieces' };
  }
  const shortest = composeOperationsLogNote(facts, MRKDWN_TEXT, {
    pieceMax: PIECE_CAPS[PIECE_CAPS.length - 1],
  });
  return { body: cutMrkdwn(shortest, NOTE_ROOM), cut: 'paragraph' };
}

/**
 * The operations-log draft, in a code block so one copy takes it all. The
 * Getting help line is repeated under it when the cause is inside Delphi, so
 * it is seen even when the paragraph had to be cut.
 */
export function noteMessage(facts: IncidentFacts): BuiltMessage {
  const fitted = fitNote(facts);
  const note: SectionBlock = {
    type: 'section',
    block_id: BlockId.oplogNote,
    text: mrkdwn(`${FENCE}\n${fitted.body}\n${FENCE}`),
  };
  const footer: string[] = [];
  if (rootCauseInDelphi(facts)) {
    footer.push(
      `:information_source: ${escapeMrkdwn(GETTING_HELP_SENTENCE)} The Delphi team decides whether it needs a code fix.`,
    );
  }
  if (fitted.cut === 'pieces') {
    footer.push(
      ':scissors: Shortened to fit Slack\'s limit: long symptoms and causes end in "…". Complete them before pasting.',
    );
  } else if (fitted.cut === 'paragraph') {
    footer.push(
      ':scissors: Cut to fit Slack\'s limit: the paragraph ends in "… (cut)". Complete it from the incident summary before pasting.',
    );
  }
  footer.push(
    "Drafted from the bot's record (audit, batches, verifications): check it, then paste it into the operations log.",
  );
  const whole = composeOperationsLogNote(facts, MRKDWN_TEXT);
  return {
    text: `Operations-log draft: ${cutMrkdwn(whole, FALLBACK_NOTE_MAX)}`,
    blocks: [
      header(BlockId.oplogHeader, 'Operations-log draft'),
      note,
      contextBlock(BlockId.oplogFooter, footer),
    ],
  };
}

const ENDED_WORDS: Record<NonNullable<IncidentFacts['endedBecause']>, string> = {
  done: 'marked done',
  'backlog-cleared': 'the backlog cleared',
  idle: 'closed after a quiet period',
};

function overviewText(facts: IncidentFacts): string {
  const lines = [`*Opened* by ${person(facts.openedBy, MRKDWN_TEXT)} at ${utcStamp(facts.openedAt)}`];
  if (facts.firstFailureAt !== undefined) {
    lines.push(
      `*First failure* ${utcStamp(facts.firstFailureAt)} (oldest failed job at the first diagnosis)`,
    );
  }
  if (facts.endedAt !== undefined) {
    const why = facts.endedBecause
      ? `: ${ENDED_WORDS[facts.endedBecause] ?? externalText(facts.endedBecause)}`
      : '';
    lines.push(`*Ended* ${utcStamp(facts.endedAt)}${why}`);
  } else {
    lines.push('*Ended* not yet: the incident is still open');
  }
  const causes = facts.causes
    .map((c) => `${cap(MRKDWN_TEXT.text(c.text), 300)}${c.suspected ? ' (suspected)' : ''}`)
    .filter((c) => c !== '');
  lines.push(
    causes.length === 0
      ? '*Root cause* not identified'
      : `*${plural(causes.length, 'Root cause', 'Root causes')}* ${cutMrkdwn(causes.join('; '), CAUSES_MAX, '…')}`,
  );
  if (rootCauseInDelphi(facts)) lines.push(`:information_source: ${escapeMrkdwn(GETTING_HELP_SENTENCE)}`);
  return cutMrkdwn(lines.join('\n'), OVERVIEW_MAX);
}

function countsField(workflow: string, before?: WorkflowCounts, after?: WorkflowCounts): string {
  const name = `*${escapeMrkdwn(workflow)}*`;
  if (before && after) return `${name}\n${countPairs(before, after).split(', ').join('\n')}`;
  const side = before ?? after;
  if (!side) return `${name}\nnot counted`;
  const missing = before ? 'not counted after' : 'not counted before';
  const values = COUNT_LABELS.map(([key, label]) => `${label} ${side[key].toLocaleString('en-US')}`).join(
    '\n',
  );
  return `${name} (${missing})\n${values}`;
}

function countsBlock(facts: IncidentFacts): SectionBlock | undefined {
  const workflows = countedWorkflows(facts);
  if (workflows.length === 0) return undefined;
  const title = facts.countsAfter
    ? '*Counts before → after*'
    : '*Counts at the first diagnosis* (no count after yet)';
  return {
    type: 'section',
    block_id: BlockId.summaryCounts,
    text: mrkdwn(title),
    fields: workflows
      .slice(0, LIMITS.fieldsPerSection)
      .map((w) =>
        mrkdwn(cutMrkdwn(countsField(w, facts.countsBefore[w], facts.countsAfter?.[w]), LIMITS.fieldText)),
      ),
  };
}

const VERIFICATION_MARKS: ReadonlyMap<string, string> = new Map([
  ['verified', ':white_check_mark:'],
  ['not verified', ':x:'],
  ['inconclusive', ':grey_question:'],
  ['not checked yet', ':hourglass:'],
]);

function batchLine(batch: BatchFact, ran: ReadonlySet<BatchFact>, referenceMs: number): string {
  const sentence = batchSentence(batch, MRKDWN_TEXT, referenceMs);
  const what = `${sentence.charAt(0).toUpperCase()}${sentence.slice(1)}`;
  if (!ran.has(batch)) return `• ${cutMrkdwn(what, BATCH_LINE_MAX, '…')}`;
  const words = verificationWords(batch);
  return `• ${cutMrkdwn(what, BATCH_LINE_MAX, '…')} · ${VERIFICATION_MARKS.get(words) ?? ''} ${words}`;
}

/**
 * As many lines as fit in `max` with the head and the tail, then "…and N more".
 * Lines keep their order: a reader never sees a later line without the earlier ones.
 */
export function fitLines(
  head: string,
  lines: readonly string[],
  tail: string,
  max: number,
  more: (hidden: number) => string,
): string {
  const join = (front: readonly string[], back: readonly string[]): string => {
    const hidden = lines.length - front.length - back.length;
    return [head, ...front, ...(hidden > 0 ? [more(hidden)] : []), ...back, ...(tail ? [tail] : [])].join(
      '\n',
    );
  };
  // The first steps say how it began, the last how it ended: keep both ends, drop the middle.
  const front: string[] = [];
  const back: string[] = [];
  let low = 0;
  let high = lines.length - 1;
  let fromFront = true;
  while (low <= high) {
    const line = lines[fromFront ? low : high] ?? '';
    const next = fromFront ? join([...front, line], back) : join(front, [line, ...back]);
    if (next.length > max) break;
    if (fromFront) {
      front.push(line);
      low += 1;
    } else {
      back.unshift(line);
      high -= 1;
    }
    fromFront = !fromFront;
  }
  return cutMrkdwn(join(front, back), max);
}

function batchesText(facts: IncidentFacts): string {
  if (facts.batches.length === 0) return '*Batches* none: nothing was replayed or enqueued.';
  const ran = new Set(ranBatches(facts.batches));
  const lines = orderedBatches(facts.batches).map((b) => batchLine(b, ran, facts.openedAt));
  const unverified = unverifiedCount(facts.batches);
  const overall =
    ran.size === 0
      ? 'No batch has run yet.'
      : unverified === 0
        ? ran.size === 1
          ? 'The one batch that ran is verified.'
          : `All ${ran.size} batches that ran are verified.`
        : `${unverified} of ${ran.size} ${plural(ran.size, 'batch', 'batches')} that ran not verified.`;
  return fitLines(
    `*Batches* (${facts.batches.length})`,
    lines,
    overall,
    BATCHES_MAX,
    (n) => `…and ${n} more ${plural(n, 'batch', 'batches')}`,
  );
}

function timelineText(facts: IncidentFacts): string {
  if (facts.timeline.length === 0) return '*Timeline* nothing audited yet.';
  const context = timelineContext(facts, MRKDWN_TEXT);
  const lines = orderedTimeline(facts.timeline).map((entry) =>
    cutMrkdwn(timelineLine(entry, context), TIMELINE_LINE_MAX, '…'),
  );
  return fitLines(
    `*Timeline* (${facts.timeline.length} audited ${plural(facts.timeline.length, 'step')}, oldest first)`,
    lines,
    '',
    TIMELINE_MAX,
    (n) => `…and ${n} more (the audit stream has every step)`,
  );
}

/** Only a plain https URL becomes a link: a permalink carries no spaces, angle brackets or pipes. */
function permalinkBlock(permalink: string | undefined): ContextBlock | undefined {
  if (permalink === undefined || permalink.length > PERMALINK_MAX) return undefined;
  if (!/^https:\/\/[^\s<>|]+$/.test(permalink)) return undefined;
  return contextBlock(BlockId.summaryLink, [
    `:thread: <${escapeMrkdwn(permalink)}|Open the incident thread>`,
  ]);
}

function summaryFallback(facts: IncidentFacts): string {
  const ended =
    facts.endedAt === undefined
      ? 'still open'
      : `ended ${utcStamp(facts.endedAt)}${facts.endedBecause ? ` (${ENDED_WORDS[facts.endedBecause] ?? ''})` : ''}`;
  const ran = ranBatches(facts.batches).length;
  const unverified = unverifiedCount(facts.batches);
  const batches =
    ran === 0
      ? 'no batch ran'
      : `${ran} ${plural(ran, 'batch', 'batches')} ran, ${unverified === 0 ? 'all verified' : `${unverified} not verified`}`;
  return `Incident summary: opened by ${person(facts.openedBy, MRKDWN_TEXT)} at ${utcStamp(facts.openedAt)}, ${ended}; ${batches}`;
}

/**
 * The incident at a glance for the lead and later readers: opened and ended,
 * counts before and after, each batch with its verification, the audited
 * timeline (capped), and the link to the thread.
 */
export function incidentSummaryMessage(facts: IncidentFacts): BuiltMessage {
  const blocks: KnownBlock[] = [
    header(BlockId.summaryHeader, 'Incident summary'),
    section(BlockId.summaryOverview, overviewText(facts)),
  ];
  const counts = countsBlock(facts);
  if (counts) blocks.push(counts);
  blocks.push(
    section(BlockId.summaryBatches, batchesText(facts)),
    section(BlockId.summaryTimeline, timelineText(facts)),
  );
  const link = permalinkBlock(facts.permalink);
  if (link) blocks.push(link);
  return { text: summaryFallback(facts), blocks };
}
