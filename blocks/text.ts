import type { ContextBlock, MrkdwnElement, PlainTextElement, SectionBlock } from '@slack/types';
import { maskFreeText } from '../src/redaction';

/** mrkdwn needs only these three escaped; anything from a queue or an upstream goes through it. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Cut to `max` characters with a visible marker, never mid-way through an escape. */
export function truncate(text: string, max: number, marker = '… (truncated)'): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, Math.max(0, max - marker.length));
  const amp = cut.lastIndexOf('&');
  if (amp !== -1 && amp > cut.length - 5 && !cut.slice(amp).includes(';')) cut = cut.slice(0, amp);
  return `${cut}${marker}`;
}

/**
 * Text that came from outside (failure reasons, upstream answers, payload
 * fields): one line, secrets and personal data masked, mrkdwn-escaped.
 */
export function externalText(text: string): string {
  return escapeMrkdwn(maskFreeText(singleLine(text)));
}

/** Control characters break Slack's rendering and logs alike. */
export function singleLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
}

export const mrkdwn = (text: string): MrkdwnElement => ({ type: 'mrkdwn', text });
export const plain = (text: string): PlainTextElement => ({ type: 'plain_text', text, emoji: true });

export function section(blockId: string, text: string, max = 3000): SectionBlock {
  return { type: 'section', block_id: blockId, text: mrkdwn(truncate(text, max)) };
}

export function context(blockId: string, ...lines: string[]): ContextBlock {
  return {
    type: 'context',
    block_id: blockId,
    elements: lines.slice(0, 10).map((line) => mrkdwn(truncate(line, 3000))),
  };
}

/** `<!date^…>` renders in each reader's time zone; the fallback is UTC. */
export function slackDate(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  const fallback = new Date(ms).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
  return `<!date^${seconds}^{date_short_pretty} {time}|${fallback}>`;
}
