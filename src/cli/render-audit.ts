import type { AuditEntry } from '../approvals/approval-types';
import { oneLine, type Style } from './style';
import { utc } from './when';

/** `stuckjobs audit --json`: the newest entries of the bot's audit stream, oldest first. */
export interface CliAudit {
  readonly command: 'audit';
  readonly exitCode: 0;
  readonly entries: readonly AuditEntry[];
}

/** One line per entry, as `/stuckjobs audit` shows them: when, what, who, result, batch, detail. */
export function renderAudit(doc: CliAudit, style: Style): string[] {
  if (doc.entries.length === 0) return ['The audit stream is empty.'];
  return doc.entries.map((entry) => {
    const batch = entry.batchId ? ` · batch ${oneLine(entry.batchId)}` : '';
    const detail = entry.detail ? ` — ${oneLine(entry.detail)}` : '';
    return `${style.dim(utc(entry.at))}  ${style.bold(entry.action)} by ${oneLine(entry.actor)}: ${oneLine(entry.result)}${batch}${detail}`;
  });
}
