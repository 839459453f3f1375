/**
 * How much of one logged value is copied and masked. A log call runs on the
 * event loop, so a careless `log.info({ jobs })` with 200k entries or a 4 MB
 * body must cost a bounded amount of work; what is left out is counted, not
 * silently dropped.
 */
export const MAX_ITEMS_PER_LEVEL = 1_000;
/** One string; past it the rest is cut before masking. */
export const MAX_STRING_CHARS = 64 * 1024;
/** Every value one call copies, across all levels. */
export const MAX_VALUES_PER_CALL = 20_000;
/** Every string character one call masks, across all strings. */
export const MAX_CHARS_PER_CALL = 1024 * 1024;
export const BUDGET_SPENT = '[cut: log line too large]';

/**
 * A secret split by the cut would be masked by no rule (the known-secrets list
 * matches whole values), so the partial word at the end goes too: tokens, keys
 * and connection strings hold no whitespace, and none is longer than this.
 */
const LONGEST_SECRET_CHARS = 512;

export interface CutText {
  readonly kept: string;
  /** Characters left out; 0 when `text` fit. */
  readonly cut: number;
}

export function cutText(text: string, limit: number): CutText {
  if (text.length <= limit) return { kept: text, cut: 0 };
  let end = Math.max(0, limit);
  const floor = Math.max(0, end - LONGEST_SECRET_CHARS);
  while (end > floor && !/\s/.test(text.charAt(end - 1))) end -= 1;
  return { kept: text.slice(0, end), cut: text.length - end };
}

export function cutNote(cut: number): string {
  return `… [cut: ${cut} more characters]`;
}

export function moreItems(count: number): string {
  return `… ${count} more items`;
}

export function moreKeys(count: number): string {
  return `${count} more keys`;
}

/** The key the "more keys" note sits under; it cannot collide with a masked key. */
export const MORE_KEYS_KEY = '…';
