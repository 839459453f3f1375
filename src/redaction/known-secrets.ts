import { countIf, MASK } from './mask';
import { maskBareTokens } from './tokens';
import type { RedactionCounter } from './types';

/**
 * The credentials this process was configured with. Shape rules cannot see a
 * bare key an upstream quotes back ("key 8fQ… is not valid"), but the bot
 * knows its own keys: any text holding one has it masked, whatever its shape.
 * Process-wide on purpose: every masker (Slack text, previews, log lines)
 * must apply it, and threading it through each call site would miss one.
 */
const known = new Map<string, string>();
/** `known`, longest first, so a credential that contains another is masked whole. */
let longestFirst: readonly (readonly [string, string])[] = [];

/** Shorter values would mask ordinary words and numbers; no real credential is that short. */
const MIN_LENGTH = 8;

/** The password of a `scheme://user:password@host` URL, if it has one. */
function urlPassword(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    const password = new URL(url).password;
    return password === '' ? undefined : decodeURIComponent(password);
  } catch {
    return undefined;
  }
}

/**
 * What a credential becomes: its public prefix and the mask where the shape rules
 * know one (`sk_live_***`, `AKIA***`, `xoxb-***`, so the reader still sees which
 * kind failed), else the bare mask.
 */
function replacementFor(secret: string): string {
  const shaped = maskBareTokens(secret);
  return /^[A-Za-z_-]{1,10}\*\*\*$/.test(shaped) ? shaped : MASK;
}

/** Remember credentials (undefined and short values are ignored); URLs contribute their password. */
export function rememberSecrets(
  values: readonly (string | undefined)[],
  urls: readonly (string | undefined)[] = [],
): void {
  for (const value of [...values, ...urls.map(urlPassword)]) {
    if (value !== undefined && value.length >= MIN_LENGTH) known.set(value, replacementFor(value));
  }
  longestFirst = [...known].sort(([a], [b]) => b.length - a.length);
}

/** Masks every remembered credential in `text`. */
export function maskKnownSecrets(text: string, counter?: RedactionCounter): string {
  let result = text;
  for (const [secret, replacement] of longestFirst) {
    if (!result.includes(secret)) continue;
    result = result.split(secret).join(replacement);
    countIf(counter, true);
  }
  return result;
}
