/**
 * Fragments that make a key secret wherever they appear in it. Matching is by
 * containment on purpose: keys are named freely (`webhookSecret`, `x-api-key`,
 * `stripe_client_secret`), and hiding a harmless value costs a second look, while
 * missing a secret leaks it into Slack. So `tokens_used`, `max_tokens` and
 * `session_count` are redacted too; that over-redaction is accepted.
 * `set-cookie` is covered by `cookie`, `client secret` by `secret`, `credentials`
 * by `credential`.
 */
const SECRET_FRAGMENTS: readonly string[] = [
  'authorization',
  'authtoken',
  'authkey',
  'token',
  'secret',
  'password',
  'passwd',
  'passphrase',
  'pwd',
  'apikey',
  'signature',
  'cookie',
  'privatekey',
  'accesskey',
  'session',
  'credential',
  'bearer',
];

/**
 * Too short to match by containment (`auth` is inside `author`, `sig` inside
 * `signal`), but secret when they are the whole key.
 */
const SECRET_EXACT: ReadonlySet<string> = new Set(['auth', 'sig']);

/** `API-KEY`, `api_key`, `apiKey` and `x.api.key` all become `apikey`/`xapikey`. */
export function normaliseKey(key: string): string {
  return key.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/**
 * Whether a value stored under `key` must never be shown. `extraKeys` (from
 * configuration) match exactly after the same normalisation, so an operator can add
 * `msisdn` without also hiding `msisdnCountry`.
 */
export function isSecretKey(key: string, extraKeys: readonly string[] = []): boolean {
  const normalised = normaliseKey(key);
  if (normalised === '') return false;
  if (SECRET_EXACT.has(normalised)) return true;
  if (SECRET_FRAGMENTS.some((fragment) => normalised.includes(fragment))) return true;
  return extraKeys.some((extra) => normaliseKey(extra) === normalised);
}
