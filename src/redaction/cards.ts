import { countIf } from './mask';
import type { RedactionCounter } from './types';

/**
 * A run that could be a payment card number (PAN): 13 to 19 digits, written
 * solid or in groups split by single spaces or dashes. Atomic like the phone
 * candidate (lookahead and backreference), so a run followed by a letter is
 * skipped whole; not inside a longer word, decimal or `+` number.
 */
const CANDIDATE = /(?<![\w+.-])(?=(\d(?:[ -]?\d){12,18}))\1(?![\w-]|\.\d)/g;

/**
 * The leading digits card networks use (Visa 4, Mastercard 51–55 and 2221–2720,
 * Amex 34/37, Diners 30/36/38, JCB 35, Discover and UnionPay 6). Epoch
 * timestamps (1…) and Slack ts values never start so; ids that happen to also
 * pass the Luhn check are hidden too, an accepted over-redaction.
 */
const NETWORK_PREFIX = /^(?:4|5[1-5]|2[2-7]|3[0-8]|6)/;

function passesLuhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    const digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    const weighted = i % 2 === 1 ? digit * 2 : digit;
    sum += weighted > 9 ? weighted - 9 : weighted;
  }
  return sum % 10 === 0;
}

export function looksLikeCardNumber(candidate: string): boolean {
  const digits = candidate.replace(/\D/g, '');
  return digits.length >= 13 && digits.length <= 19 && NETWORK_PREFIX.test(digits) && passesLuhn(digits);
}

/**
 * `4000 0012 3456 7890` -> `**** **** **** 7890`: the last four digits stay (what
 * receipts and support tools show, enough to match a customer's report),
 * separators keep their places, every other digit goes.
 */
export function maskCardNumber(card: string): string {
  const total = card.replace(/\D/g, '').length;
  let index = 0;
  let masked = '';
  for (const char of card) {
    if (char >= '0' && char <= '9') {
      masked += index >= total - 4 ? char : '*';
      index += 1;
    } else {
      masked += char;
    }
  }
  return masked;
}

export function maskCardNumbers(text: string, counter?: RedactionCounter): string {
  if (!/\d{4}/.test(text)) return text;
  return text.replace(CANDIDATE, (match) => {
    if (!looksLikeCardNumber(match)) return match;
    countIf(counter, true);
    return maskCardNumber(match);
  });
}
