import type { BuiltMessage } from './diagnosis';
import { BlockId } from './ids';
import { escapeMrkdwn, externalText, section, singleLine, truncate } from './text';

export interface NoticeView {
  /** The headline: what happened or why not, already in the operator's words. */
  readonly message: string;
  /** One line each (reasons, blocks, jobs left out), shown as a list. */
  readonly details?: readonly string[];
  readonly tone: 'refused' | 'info' | 'done';
  /** Slack user id to address (a thread note to the requester). */
  readonly mention?: string;
}

const DETAILS_SHOWN = 10;
const emoji = { refused: ':no_entry:', info: ':information_source:', done: ':white_check_mark:' } as const;

/** A short answer with its reasons: plan refusals, click refusals, thread notes. */
export function noticeMessage(view: NoticeView): BuiltMessage {
  const details = (view.details ?? []).slice(0, DETAILS_SHOWN).map((d) => `• ${externalText(d)}`);
  const hidden = (view.details?.length ?? 0) - details.length;
  if (hidden > 0) details.push(`…and ${hidden} more`);
  // Our own words (they quote commands in backticks); only the details come from outside.
  const mention = view.mention ? `<@${escapeMrkdwn(view.mention)}> ` : '';
  const body = [`${emoji[view.tone]} ${mention}${escapeMrkdwn(singleLine(view.message))}`, ...details].join(
    '\n',
  );
  return {
    text: truncate(externalText([view.message, ...(view.details ?? []).slice(0, 3)].join(' ')), 3000),
    blocks: [section(BlockId.notice, truncate(body, 3000))],
  };
}
