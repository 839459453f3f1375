import { UTCDate } from '@date-fns/utc';
import { format } from 'date-fns';
import type { AuditEntry } from '../src/approvals/approval-types';
import type { BuiltMessage } from './diagnosis';
import { BlockId, COMMAND } from './ids';
import { LIMITS } from './limits';
import { context, escapeMrkdwn, externalText, section, truncate } from './text';

const SLACK_USER = /^[UW][A-Z0-9]{2,}$/;
const DETAIL_MAX = 160;

function who(actor: string): string {
  return SLACK_USER.test(actor) ? `<@${actor}>` : `\`${escapeMrkdwn(actor.slice(0, 60))}\``;
}

/** One line: when (UTC), what, who, the result, the batch and the detail. */
export function auditLine(entry: AuditEntry): string {
  const when = format(new UTCDate(entry.at), "yyyy-MM-dd HH:mm:ss 'UTC'");
  const batch = entry.batchId ? ` · batch \`${escapeMrkdwn(entry.batchId.slice(0, 64))}\`` : '';
  const detail = entry.detail ? ` — ${truncate(externalText(entry.detail), DETAIL_MAX, '…')}` : '';
  return `\`${when}\` *${entry.action}* by ${who(entry.actor)}: ${escapeMrkdwn(entry.result)}${batch}${detail}`;
}

/** `/stuckjobs audit [n]`: the newest entries of the audit stream, oldest first, for the person who asked. */
export function auditMessage(entries: readonly AuditEntry[]): BuiltMessage {
  if (entries.length === 0) {
    return {
      text: 'The audit stream is empty.',
      blocks: [section(BlockId.auditEntries, 'The audit stream is empty.')],
    };
  }
  // Lines are dropped from the oldest end, so what fits is always the newest.
  const lines = entries.map(auditLine);
  let shown = lines;
  while (shown.join('\n').length > LIMITS.sectionText && shown.length > 1) shown = shown.slice(1);
  const hidden = lines.length - shown.length;
  return {
    text: `Audit: the ${entries.length} newest entries`,
    blocks: [
      section(BlockId.auditEntries, truncate(shown.join('\n'), LIMITS.sectionText)),
      context(
        BlockId.auditNote,
        `${hidden > 0 ? `${hidden} older entries did not fit; ` : ''}type \`${COMMAND} audit 50\` for more. Every diagnose, sample, plan, decision, refusal, run, verification and note is here.`,
      ),
    ],
  };
}
