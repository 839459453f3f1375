import type { BuiltMessage } from './diagnosis';
import { BlockId } from './ids';
import { mention, renderNoticeText, type NoticeText } from './mention';
import { maskFreeText } from '../src/redaction';
import { escapeMrkdwn, externalText, section, truncate } from './text';

export interface NoticeView {
  /**
   * The headline: what happened or why not, already in the operator's words.
   * Every string part is escaped; a user is mentioned only through `mention()`.
   */
  readonly message: NoticeText;
  /** One line each (reasons, blocks, jobs left out), shown as a list. */
  readonly details?: readonly string[];
  readonly tone: 'refused' | 'info' | 'done';
  /** Slack user id to address (a thread note to the requester). */
  readonly mention?: string;
}

const DETAILS_SHOWN = 10;
const emoji = { refused: ':no_entry:', info: ':information_source:', done: ':white_check_mark:' } as const;
/** Control characters break Slack's rendering; replaced part by part, so spaces between parts survive. */
const CONTROL = /[\u0000-\u001f\u007f]+/g;
const oneLine = (part: string) => part.replace(CONTROL, ' ');

/** A short answer with its reasons: plan refusals, click refusals, thread notes. */
export function noticeMessage(view: NoticeView): BuiltMessage {
  const details = (view.details ?? []).slice(0, DETAILS_SHOWN).map((d) => `• ${externalText(d)}`);
  const hidden = (view.details?.length ?? 0) - details.length;
  if (hidden > 0) details.push(`…and ${hidden} more`);
  // Our own words (they quote commands in backticks); only the details come from outside.
  const to = view.mention ? `${renderNoticeText([mention(view.mention)])} ` : '';
  const headline = renderNoticeText(view.message, (part) => escapeMrkdwn(oneLine(part))).trim();
  const body = [`${emoji[view.tone]} ${to}${headline}`, ...details].join('\n');
  // The notification text: masked like outside text, mentions kept (Slack shows them as names).
  const fallback = renderNoticeText(view.message, (part) => escapeMrkdwn(maskFreeText(oneLine(part)))).trim();
  return {
    text: truncate([fallback, ...(view.details ?? []).slice(0, 3).map(externalText)].join(' '), 3000),
    blocks: [section(BlockId.notice, truncate(body, 3000))],
  };
}
