import { countIf, MASK } from './mask';
import { maskBareTokens } from './tokens';
import type { RedactionCounter } from './types';

/**
 * Any `scheme://…` run, not only http(s): config and probe reasons also carry
 * `redis://:password@host` and the like, and the same rules fit them. The URL ends at
 * whitespace, quotes, angle brackets, backslashes and `|` (Slack's `<url|label>`).
 */
const URL_PATTERN = /\b[A-Za-z][A-Za-z0-9+.-]{1,20}:\/\/[^\s<>"'`\\|{}^]+/g;

/** Sentence punctuation after a URL belongs to the sentence, not the URL. */
const TRAILING_PUNCTUATION = new Set(['.', ',', ';', ':', '!', '?', '*']);

/** Random-looking path segments: tokens, hex digests, base64url ids. */
const TOKEN_SEGMENT = /^[A-Za-z0-9_-]{20,}={0,2}$/;
const JWT_SEGMENT = /^(?:eyJ[\w-]+\.[\w-]+\.[\w-]*|[\w-]{10,}\.[\w-]{10,}\.[\w-]{10,})$/;
const ALL_LETTERS = /^[A-Za-z]*$/;
const ALL_DIGITS = /^[0-9]*$/;

/**
 * A slug such as `recording-2026-11-28-final` mixes letters and digits only across
 * its words; a token mixes them inside its pieces (`3f9a8c7d-2b1e-…`). Pieces of up to
 * three characters (`v2`, `3d`) do not count as mixing.
 */
function isSlug(body: string): boolean {
  const pieces = body.split(/[-_]/);
  return (
    pieces.length > 1 &&
    pieces.every((piece) => ALL_LETTERS.test(piece) || ALL_DIGITS.test(piece) || piece.length <= 3)
  );
}

/** True for path segments that look like credentials or capability ids rather than names. */
export function looksLikeSecretSegment(segment: string): boolean {
  if (JWT_SEGMENT.test(segment)) return true;
  if (!TOKEN_SEGMENT.test(segment)) return false;
  const body = segment.replace(/=+$/, '');
  return /[0-9]/.test(body) && /[A-Za-z]/.test(body) && !isSlug(body);
}

/** Names stay (they say what was sent); every non-empty value goes. */
function maskParameters(parameters: string): string {
  return parameters
    .split('&')
    .map((parameter) => {
      const equals = parameter.indexOf('=');
      if (equals < 0) return looksLikeSecretSegment(parameter) ? MASK : parameter;
      return equals === parameter.length - 1 ? parameter : parameter.slice(0, equals + 1) + MASK;
    })
    .join('&');
}

/** Matrix parameters (`;jsessionid=…`) are parameters too. */
function maskSegment(segment: string): string {
  const [head = '', ...parameters] = segment.split(';');
  const maskedHead = looksLikeSecretSegment(head) ? MASK : head;
  return parameters.length === 0 ? maskedHead : [maskedHead, maskParameters(parameters.join(';'))].join(';');
}

/** Userinfo, secret-looking path segments, query and fragment values; the host is kept. */
function maskUrl(url: string): string {
  const schemeEnd = url.indexOf('://') + 3;
  const afterScheme = url.slice(schemeEnd);
  const authorityMatch = /[/?#]/.exec(afterScheme);
  const authorityEnd = authorityMatch ? authorityMatch.index : afterScheme.length;
  let authority = afterScheme.slice(0, authorityEnd);
  const at = authority.lastIndexOf('@');
  if (at > 0) authority = MASK + authority.slice(at);

  let rest = afterScheme.slice(authorityEnd);
  let fragment: string | undefined;
  const hash = rest.indexOf('#');
  if (hash >= 0) {
    fragment = rest.slice(hash + 1);
    rest = rest.slice(0, hash);
  }
  let query: string | undefined;
  const question = rest.indexOf('?');
  if (question >= 0) {
    query = rest.slice(question + 1);
    rest = rest.slice(0, question);
  }
  const path = rest.split('/').map(maskSegment).join('/');
  // OAuth implicit flows put `access_token=…` in the fragment.
  const maskedFragment =
    fragment === undefined
      ? ''
      : '#' + (fragment.includes('=') ? maskParameters(fragment) : maskSegment(fragment));
  return (
    url.slice(0, schemeEnd) +
    authority +
    path +
    (query === undefined ? '' : '?' + maskParameters(query)) +
    maskedFragment
  );
}

function splitTrailingPunctuation(match: string): { url: string; trailing: string } {
  let end = match.length;
  let open = 0;
  let close = 0;
  for (const char of match) {
    if (char === '(' || char === '[') open += 1;
    else if (char === ')' || char === ']') close += 1;
  }
  while (end > 0) {
    const char = match[end - 1] ?? '';
    if (TRAILING_PUNCTUATION.has(char)) {
      end -= 1;
    } else if ((char === ')' || char === ']') && close > open) {
      // "(see https://x/y)": the parenthesis closes the prose, not the URL.
      close -= 1;
      end -= 1;
    } else {
      break;
    }
  }
  return { url: match.slice(0, end), trailing: match.slice(end) };
}

/**
 * Masks the secret parts of every URL in free text (userinfo, query and fragment
 * values, token-like path segments) and then bare tokens anywhere in the text.
 */
export function maskUrlSecrets(text: string, counter?: RedactionCounter): string {
  if (!text.includes('://')) return maskBareTokens(text, counter);
  const withUrls = text.replace(URL_PATTERN, (match) => {
    const { url, trailing } = splitTrailingPunctuation(match);
    const masked = maskUrl(url);
    countIf(counter, masked !== url);
    return masked + trailing;
  });
  return maskBareTokens(withUrls, counter);
}
