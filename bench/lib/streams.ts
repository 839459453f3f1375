import type { Redis } from 'ioredis';

/** Reading Redis streams from a mark on: an incident's own events and audit lines. */

const PAGE = 2_000;

/** The newest entry id of a stream ('0-0' when empty or absent): what came later is after it. */
export async function streamMark(redis: Redis, key: string): Promise<string> {
  const newest = await redis.xrevrange(key, '+', '-', 'COUNT', 1);
  return newest[0]?.[0] ?? '0-0';
}

/** Every entry after `mark`, oldest first, as field maps. */
export async function entriesAfter(
  redis: Redis,
  key: string,
  mark: string,
): Promise<{ readonly id: string; readonly flat: readonly string[] }[]> {
  const out: { id: string; flat: string[] }[] = [];
  let start = `(${mark}`;
  for (;;) {
    const page = await redis.xrange(key, start, '+', 'COUNT', PAGE);
    for (const [id, flat] of page) out.push({ id, flat });
    const last = page[page.length - 1];
    if (page.length < PAGE || last === undefined) return out;
    start = `(${last[0]}`;
  }
}

/** One field of a flat `[field, value, …]` entry. */
export function field(flat: readonly string[], name: string): string | undefined {
  for (let i = 0; i + 1 < flat.length; i += 2) if (flat[i] === name) return flat[i + 1];
  return undefined;
}
