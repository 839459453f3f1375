import type { Redis } from 'ioredis';
import { z } from 'zod';
import { AUDIT_ACTIONS, type AuditEntry } from './approval-types';

/**
 * An audit line is trimmed only far beyond any incident's length; the bound
 * exists so a runaway loop cannot fill Redis, not to forget anything.
 */
export const AUDIT_MAXLEN = 100_000;

const PAGE = 500;

const digits = z
  .string()
  .regex(/^\d+$/)
  .transform((s) => Number(s));

const auditFieldsSchema = z.object({
  at: digits,
  batch: z.string(),
  action: z.enum(AUDIT_ACTIONS),
  actor: z.string(),
  result: z.string(),
  from: z.string(),
  to: z.string(),
  detail: z.string(),
  session: z.string().default(''),
});

/** Redis hands back `[field, value, field, value, …]`; the scripts write each field once. */
function pairs(flat: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i] ?? ''] = flat[i + 1] ?? '';
  return out;
}

/** Throws on an entry that does not parse: an audit trail that reads wrong must not read as clean. */
export function parseAuditEntry(streamId: string, flat: readonly string[]): AuditEntry {
  const fields = auditFieldsSchema.parse(pairs(flat));
  return {
    streamId,
    at: fields.at,
    batchId: fields.batch,
    action: fields.action,
    actor: fields.actor,
    result: fields.result,
    from: fields.from,
    to: fields.to,
    detail: fields.detail,
    session: fields.session,
  };
}

export interface AuditQuery {
  /** Only this batch's entries; the scan stops at the batch's `create` entry. */
  readonly batchId?: string;
  /**
   * Only this incident's entries: those written with the session, and every
   * entry of a batch created in it. The scan stops at `since`.
   */
  readonly sessionId?: string;
  /** Epoch ms: entries older than this end the scan. */
  readonly since?: number;
  /** How many stream entries to read at most, newest first. */
  readonly maxScan?: number;
}

/**
 * Audit entries, oldest first. One stream holds every batch (one place to
 * read during an incident review), so a batch's trail is found by walking back
 * from the newest entry to the batch's creation.
 */
export async function readAudit(
  redis: Redis,
  streamKey: string,
  query: AuditQuery = {},
): Promise<AuditEntry[]> {
  const maxScan = query.maxScan ?? 10_000;
  const found: AuditEntry[] = [];
  let end = '+';
  let scanned = 0;
  while (scanned < maxScan) {
    const page = await redis.xrevrange(streamKey, end, '-', 'COUNT', Math.min(PAGE, maxScan - scanned));
    if (page.length === 0) break;
    scanned += page.length;
    let reachedCreation = false;
    for (const [id, flat] of page) {
      const entry = parseAuditEntry(id, flat);
      if (query.since !== undefined && entry.at < query.since) {
        reachedCreation = true;
        break;
      }
      if (query.batchId !== undefined && entry.batchId !== query.batchId) continue;
      found.push(entry);
      if (query.batchId !== undefined && entry.action === 'create' && entry.result === 'created') {
        reachedCreation = true;
        break;
      }
    }
    const last = page[page.length - 1];
    if (reachedCreation || last === undefined) break;
    end = `(${last[0]}`;
  }
  const oldestFirst = found.reverse();
  if (query.sessionId === undefined) return oldestFirst;
  const batches = new Set(
    oldestFirst.filter((e) => e.session === query.sessionId && e.batchId !== '').map((e) => e.batchId),
  );
  return oldestFirst.filter(
    (e) => e.session === query.sessionId || (e.batchId !== '' && batches.has(e.batchId)),
  );
}
