import { maskKnownSecrets } from './known-secrets';
import { maskSecretPairs } from './pairs';
import { maskPersonalData } from './personal';
import type { RedactionCounter } from './types';
import { maskUrlSecrets } from './urls';

/**
 * Every free-text rule in one pass order: the bot's own credentials, URL parts and
 * bare tokens, values next to secret names, then personal data. Used for JSON string values, keys, non-JSON
 * payloads and strings in log fields alike, so all previews hide the same things.
 */
export function maskFreeText(
  text: string,
  extraSecretKeys: readonly string[] = [],
  counter?: RedactionCounter,
): string {
  const withoutKnown = maskKnownSecrets(text, counter);
  const withoutSecrets = maskSecretPairs(maskUrlSecrets(withoutKnown, counter), extraSecretKeys, counter);
  return maskPersonalData(withoutSecrets, counter);
}
