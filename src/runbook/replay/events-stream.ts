import type { Redis } from 'ioredis';
import { asString, asStrings } from '../../queues/redis-replies';

const EVENTS_PAGE = 500;

/** One events-stream entry's fields, by name. */
export type EventFields = (name: string) => string | undefined;

/**
 * Whether BullMQ's events stream (`<prefix>:<queue>:events`) holds an entry,
 * stamped by Redis's clock at or after `sinceMs`, that `matches`. The stream is
 * capped (~10,000 entries by default), so a missing event proves nothing; a
 * present one does. Read in pages: plain XRANGE, never a write.
 */
export async function eventSeen(
  redis: Redis,
  stream: string,
  sinceMs: number,
  matches: (fields: EventFields) => boolean,
): Promise<boolean> {
  let start = `${Math.max(0, sinceMs)}-0`;
  for (;;) {
    const page = (await redis.xrange(stream, start, '+', 'COUNT', EVENTS_PAGE)) as unknown;
    const entries = Array.isArray(page) ? (page as unknown[]) : [];
    for (const entry of entries) {
      if (!Array.isArray(entry)) continue;
      const fields = asStrings(entry[1]);
      const value: EventFields = (name) => {
        for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
        return undefined;
      };
      if (matches(value)) return true;
    }
    if (entries.length < EVENTS_PAGE) return false;
    const last = entries[entries.length - 1];
    const lastId = Array.isArray(last) ? asString(last[0]) : null;
    if (lastId === null) return false;
    start = `(${lastId}`;
  }
}
