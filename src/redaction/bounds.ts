import { MASK } from './mask';

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
 * matches whole values, the JWT rule needs all three segments), so no part of
 * the word at the end survives. First the cut steps back to the nearest
 * separator a token never holds (whitespace, quotes, `,:=&;<>`), at most this
 * far: what it passes is dropped.
 */
const STEP_BACK_CHARS = 512;

/** Characters that end a token: a cut just after one splits nothing. */
const SEPARATOR = /[\s"',:=&;<>]/;

/**
 * Characters a token is made of (base64, base64url, URL-safe and
 * percent-encoded): compact JSON often holds no separator for far more than
 * {@link STEP_BACK_CHARS} (a JWT is often longer), so then the run of these
 * before the cut is masked whole, however long.
 */
const TOKEN_CHAR = /[A-Za-z0-9._~+/=%-]/;

/**
 * Whether cutting just before `at` splits no token. `=` separates a key from
 * its value, but `==` is base64 padding inside one.
 */
function separatesAt(text: string, at: number): boolean {
  if (at === 0) return true;
  const before = text.charAt(at - 1);
  if (!SEPARATOR.test(before)) return false;
  return before !== '=' || text.charAt(at) !== '=';
}

export interface CutText {
  readonly kept: string;
  /** Characters left out (or masked at the cut); 0 when `text` fit. */
  readonly cut: number;
}

export function cutText(text: string, limit: number): CutText {
  if (text.length <= limit) return { kept: text, cut: 0 };
  const end = Math.max(0, limit);
  // The cut falls just before a separator: the word before it is whole.
  const next = text.charAt(end);
  if (next !== '=' && SEPARATOR.test(next)) return { kept: text.slice(0, end), cut: text.length - end };
  const floor = Math.max(0, end - STEP_BACK_CHARS);
  for (let at = end; at >= floor; at -= 1) {
    if (separatesAt(text, at)) return { kept: text.slice(0, at), cut: text.length - at };
  }
  let start = end;
  while (start > 0 && TOKEN_CHAR.test(text.charAt(start - 1))) start -= 1;
  if (start === end) return { kept: text.slice(0, end), cut: text.length - end };
  return { kept: `${text.slice(0, start)}${MASK}`, cut: text.length - start };
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
