import { countIf, MASK } from './mask';
import type { RedactionCounter } from './types';

interface TokenRule {
  /** Cheap `includes` checks: most strings contain none, and skipping the regex keeps a 1 MB payload fast. */
  readonly hints: readonly string[];
  readonly pattern: RegExp;
}

/**
 * Credentials recognisable by shape alone. Group 1 is kept: a prefix such as `xoxb-`
 * or `sk_live_` says which kind of credential was involved, which helps diagnosis
 * and reveals nothing usable. The masked part never matches again (`*` is outside
 * every class), so masking is idempotent.
 */
const PREFIXED_TOKENS: readonly TokenRule[] = [
  // Slack bot, user, app-config and refresh tokens
  { hints: ['xox'], pattern: /\b(xox[abposer]-)[A-Za-z0-9-]+/g },
  // Slack app-level (Socket Mode) tokens
  { hints: ['xapp-'], pattern: /\b(xapp-)[A-Za-z0-9-]+/g },
  // Stripe secret and restricted keys, with and without the mode
  { hints: ['sk_', 'rk_'], pattern: /\b((?:sk|rk)_(?:live|test)_)[A-Za-z0-9]+/g },
  { hints: ['sk_', 'rk_'], pattern: /\b((?:sk|rk)_)[A-Za-z0-9]{16,}/g },
  // Stripe webhook signing secrets
  { hints: ['whsec_'], pattern: /\b(whsec_)[A-Za-z0-9+/=]+/g },
  // AWS access key ids (long-lived and STS)
  { hints: ['AKIA', 'ASIA'], pattern: /\b(AKIA|ASIA)[0-9A-Z]{16}\b/g },
  // GitHub tokens
  { hints: ['_'], pattern: /\b(gh[pousr]_)[A-Za-z0-9]{20,}/g },
  // JWTs: base64url of `{"`, then payload and signature
  { hints: ['eyJ'], pattern: /\b(eyJ)[\w-]{5,}\.[\w-]{5,}\.[\w-]*/g },
  // `Bearer x` as a header writes it; lower-case `bearer` needs a digit in the token so
  // that prose ("the bearer of this message") stays readable.
  { hints: ['Bearer', 'BEARER'], pattern: /\b(Bearer[ \t]+|BEARER[ \t]+)[A-Za-z0-9._~+/=-]+/g },
  { hints: ['bearer'], pattern: /\b(bearer[ \t]+)[A-Za-z._~+/=-]*\d[A-Za-z0-9._~+/=-]*/g },
];

/**
 * PEM private keys, whole or cut off (a truncated failure reason): the armour line
 * stays so the reader sees what kind of secret it was, the key material goes.
 */
const PEM_PRIVATE_KEY =
  /(-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----)(?:(?!-----END )[\s\S])*(-----END [A-Z0-9 ]*PRIVATE KEY-----)?/g;

/** `Basic <base64>` is masked only when it decodes to printable `user:password`, so prose stays. */
const BASIC_AUTH = /\b(Basic[ \t]+)([A-Za-z0-9+/]{4,}={0,2})(?![\w+/=])/g;

/**
 * Header lines quoted in failure reasons. Known schemes are kept so the reader sees
 * which scheme failed; `Bearer ***` left by the rule above is not counted twice.
 */
const AUTH_HEADER =
  /\b((?:proxy-)?authorization|x-api-key|api-key)([ \t]*:[ \t]*)((?:Bearer|Basic|Digest|Token|Bot|Negotiate|HMAC|AWS4-HMAC-SHA256)[ \t]+)?([^\s,;"']+)/gi;

/** A cookie header's value runs to the end of the line and is all secret. */
const COOKIE_HEADER = /\b(set-cookie|cookie)([ \t]*:[ \t]*)([^\r\n"]+)/gi;

function isBasicCredential(encoded: string): boolean {
  const decoded = Buffer.from(encoded, 'base64').toString('latin1');
  return decoded.includes(':') && /^[\x20-\x7e]+$/.test(decoded);
}

/** Masks PEM private keys, Slack, Stripe, AWS, GitHub and JWT tokens and credentials in header form anywhere in text. */
export function maskBareTokens(text: string, counter?: RedactionCounter): string {
  let result = text;
  if (result.includes('PRIVATE KEY-----')) {
    result = result.replace(PEM_PRIVATE_KEY, (match, begin: string, end: string | undefined) => {
      const masked = begin + MASK + (end ?? '');
      countIf(counter, masked !== match);
      return masked;
    });
  }
  for (const { hints, pattern } of PREFIXED_TOKENS) {
    if (!hints.some((hint) => result.includes(hint))) continue;
    result = result.replace(pattern, (_match, kept: string) => {
      countIf(counter, true);
      return kept + MASK;
    });
  }
  if (result.includes('Basic')) {
    result = result.replace(BASIC_AUTH, (match, kept: string, encoded: string) => {
      if (!isBasicCredential(encoded)) return match;
      countIf(counter, true);
      return kept + MASK;
    });
  }
  if (!result.includes(':')) return result; // both header forms below need one
  result = result.replace(
    AUTH_HEADER,
    (match, name: string, separator: string, scheme: string | undefined, credential: string) => {
      if (credential === MASK) return match;
      countIf(counter, true);
      return name + separator + (scheme ?? '') + MASK;
    },
  );
  return result.replace(COOKIE_HEADER, (match, name: string, separator: string, value: string) => {
    if (value.trim() === MASK) return match;
    countIf(counter, true);
    return name + separator + MASK;
  });
}
