import { escapeMrkdwn } from './text';

/** What Slack user ids look like (`U…`, or `W…` on Enterprise Grid); anything else is not mentioned. */
const SLACK_USER_ID = /^[UW][A-Z0-9]{2,}$/;

// Not exported: only `mention()` makes one, so a string from a payload or a user can never pass for it.
const MENTION: unique symbol = Symbol('mention');

/** A user mention the bot writes itself, from an id it holds (a click's user, a batch's decider). */
export interface Mention {
  readonly [MENTION]: string;
}

/** Notice text: the bot's own words and mentions; every string part is escaped, only mentions stay live mrkdwn. */
export type NoticePart = string | Mention;
export type NoticeText = string | readonly NoticePart[];

/**
 * `<@U…>` for an id that looks like a Slack user id; anything else comes
 * back as plain text, so it is escaped like the rest and shows literally.
 */
export function mention(userId: string): NoticePart {
  return SLACK_USER_ID.test(userId) ? { [MENTION]: userId } : userId;
}

function isMention(part: NoticePart): part is Mention {
  return typeof part === 'object' && MENTION in part;
}

/** The text as mrkdwn: `escape` for every string part, `<@id>` for mentions. */
export function renderNoticeText(text: NoticeText, escape: (part: string) => string = escapeMrkdwn): string {
  const parts: readonly NoticePart[] = typeof text === 'string' ? [text] : text;
  return parts.map((part) => (isMention(part) ? `<@${part[MENTION]}>` : escape(part))).join('');
}
