import { countIf } from './mask';
import type { RedactionCounter } from './types';

/**
 * A run that could be a phone number: an optional `+`, then digits with single
 * spaces, dashes, dots or parentheses, ending in a digit. The lookahead-and-backreference
 * makes the run atomic, so a run followed by a letter is skipped whole instead of being
 * retried shorter (which would mask half of an id). It is not preceded by a word
 * character, `+`, `-`, `.`, `@` or `#` (ids like `r123`, UUID groups, decimals) and not
 * followed by a word character, `@` or `:` (a date before a time). The length bound
 * keeps the scan linear.
 */
const CANDIDATE = /(?<![\w+\-.@#])(?=(\+?\(?\d[\d ().-]{6,24}\d))\1(?![\w@:])/g;

const DATE_FIRST = /^\d{1,4}[-./]\d{1,2}[-./]\d{1,4}(?: |$)/;
const NANP = /^(?:\([2-9]\d\d\) ?|[2-9]\d\d[-. ])\d{3}[-. ]\d{4}$/;
const BALANCED_PARENS = /^[^()]*(?:\(\d{1,5}\)[^()]*)*$/;

/**
 * Which runs are phone numbers: 8 to 15 digits (E.164's maximum) and one of
 *  - international: starts with `+`;
 *  - national with a trunk prefix: starts with `0` and a first group of at least two
 *    digits (`0170 1234567`, `(030) 123456`; not `0.12345678`);
 *  - North American: `(555) 123-4567`, `555-123-4567` (area code 2-9, as NANP assigns;
 *    the exchange is not checked because examples and test data use `123`).
 * Plain digit runs (`1764288000`, a timestamp), dates (`2026-11-28`, `28.11.2026`) and
 * lists of numbers are not phone numbers. A run of digits with a leading zero, such as
 * a zero-padded id, is treated as one: over-masking is the safer error.
 */
export function looksLikePhoneNumber(candidate: string): boolean {
  const digits = candidate.replace(/\D/g, '');
  if (digits.length < 8 || digits.length > 15) return false;
  if (/[ .-]{2}/.test(candidate) || !BALANCED_PARENS.test(candidate)) return false;
  if (DATE_FIRST.test(candidate)) return false;
  if (candidate.startsWith('+') || candidate.startsWith('(+')) return true;
  const national = candidate.replace(/^\(/, '');
  const firstGroup = /^\d+/.exec(national)?.[0] ?? '';
  if (national.startsWith('0') && firstGroup.length >= 2) return true;
  return NANP.test(candidate);
}

/** ITU-T E.164 country codes of one and two digits; every other code has three. */
const ONE_DIGIT_CODES: ReadonlySet<string> = new Set(['1', '7']);
const TWO_DIGIT_CODES: ReadonlySet<string> = new Set(
  (
    '20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 ' +
    '60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98'
  ).split(' '),
);

export function countryCodeLength(digits: string): number {
  if (ONE_DIGIT_CODES.has(digits.slice(0, 1))) return 1;
  if (TWO_DIGIT_CODES.has(digits.slice(0, 2))) return 2;
  return 3;
}

/**
 * `+49 170 1234567` -> `+49 *** *****67`: the country (useful when a carrier region
 * fails) and the last two digits (enough to match a caller's report) stay; separators
 * keep their places so the shape stays recognisable. Without a `+` there is no country
 * to keep. Numbers too short to hide anything that way are masked completely.
 */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  const international = /^\s*\(?\+/.test(phone);
  let keepFront = international ? countryCodeLength(digits) : 0;
  let keepBack = 2;
  if (digits.length - keepFront - keepBack < 3) {
    keepFront = 0;
    keepBack = 0;
  }
  let index = 0;
  let masked = '';
  for (const char of phone) {
    if (char >= '0' && char <= '9') {
      masked += index < keepFront || index >= digits.length - keepBack ? char : '*';
      index += 1;
    } else {
      masked += char;
    }
  }
  return masked;
}

export function maskPhoneNumbers(text: string, counter?: RedactionCounter): string {
  return text.replace(CANDIDATE, (match) => {
    if (!looksLikePhoneNumber(match)) return match;
    countIf(counter, true);
    return maskPhone(match);
  });
}
