import { countIf, MASK } from './mask';
import { isSecretKey } from './secret-keys';
import type { RedactionCounter } from './types';

/** `token=abc` in form bodies, connection strings and log lines. */
const ASSIGNMENT = /(?<![\w.-])([A-Za-z_][\w.-]{0,63})=([^\s&;,"'<>]+)/g;
const TRAILING_PUNCTUATION = /[.,)\]}]+$/;

/** `token: 'abc'` as util.inspect and JS literals print it (failure reasons quote these). */
const QUOTED_PROPERTY =
  /(?<![\w-])([A-Za-z_][\w-]{0,63})([ \t]*:[ \t]*)(['"])((?:(?!\3)[^\\\r\n]|\\.){0,4096})\3/g;

/** `"token": …` in JSON that did not parse (cut off, or embedded in prose). */
const JSON_KEY = /"([^"\\\r\n]{1,64})"[ \t\r\n]*:[ \t\r\n]*/g;
const JSON_SCALAR = /[^\s,}\]]+/y;

/** Index just past the closing quote of the string starting at `start`, or the text's end. */
function endOfQuoted(text: string, start: number): number {
  let index = start + 1;
  while (index < text.length) {
    const code = text.charCodeAt(index);
    if (code === 0x5c) index += 2;
    else if (code === 0x22) return index + 1;
    else index += 1;
  }
  return text.length;
}

/**
 * Scanned by hand rather than with one regex: a string value may be megabytes long, and
 * a backtracking regex over it risks exhausting the regex stack.
 */
function maskJsonLikePairs(text: string, extraKeys: readonly string[], counter?: RedactionCounter): string {
  const parts: string[] = [];
  let copied = 0;
  JSON_KEY.lastIndex = 0;
  for (let match = JSON_KEY.exec(text); match; match = JSON_KEY.exec(text)) {
    const key = match[1] ?? '';
    const valueStart = JSON_KEY.lastIndex;
    if (!isSecretKey(key, extraKeys)) continue;
    let valueEnd: number;
    if (text[valueStart] === '"') {
      valueEnd = endOfQuoted(text, valueStart);
    } else {
      JSON_SCALAR.lastIndex = valueStart;
      // Objects and arrays under a secret key cannot be bounded in broken text; their
      // own keys are still scanned by this loop.
      valueEnd =
        text[valueStart] === '{' || text[valueStart] === '[' || !JSON_SCALAR.test(text)
          ? valueStart
          : JSON_SCALAR.lastIndex;
    }
    const value = text.slice(valueStart, valueEnd);
    if (valueEnd === valueStart || value === `"${MASK}"`) continue;
    parts.push(text.slice(copied, valueStart), `"${MASK}"`);
    copied = valueEnd;
    JSON_KEY.lastIndex = valueEnd;
    countIf(counter, true);
  }
  if (copied === 0) return text;
  parts.push(text.slice(copied));
  return parts.join('');
}

function maskAssignments(text: string, extraKeys: readonly string[], counter?: RedactionCounter): string {
  return text.replace(ASSIGNMENT, (match, name: string, value: string) => {
    if (value.startsWith(MASK) || !isSecretKey(name, extraKeys)) return match;
    countIf(counter, true);
    // "(see password=hunter2)." keeps the prose's closing punctuation.
    return `${name}=${MASK}${TRAILING_PUNCTUATION.exec(value)?.[0] ?? ''}`;
  });
}

function maskQuotedProperties(
  text: string,
  extraKeys: readonly string[],
  counter?: RedactionCounter,
): string {
  return text.replace(
    QUOTED_PROPERTY,
    (match, name: string, separator: string, quote: string, value: string) => {
      if (value === MASK || !isSecretKey(name, extraKeys)) return match;
      countIf(counter, true);
      return name + separator + quote + MASK + quote;
    },
  );
}

/**
 * Masks values written next to a secret-sounding name in free text: `password=…`,
 * `token: '…'`, `"apiKey": "…"`. Names are matched with {@link isSecretKey}.
 */
export function maskSecretPairs(
  text: string,
  extraKeys: readonly string[] = [],
  counter?: RedactionCounter,
): string {
  // Most strings hold neither `=` nor `:`; skipping the passes keeps big payloads fast.
  const assigned = text.includes('=') ? maskAssignments(text, extraKeys, counter) : text;
  if (!assigned.includes(':')) return assigned;
  return maskJsonLikePairs(maskQuotedProperties(assigned, extraKeys, counter), extraKeys, counter);
}
