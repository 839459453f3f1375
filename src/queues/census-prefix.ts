/**
 * How the census groups keys. A prefix is the first two `:`-segments
 * (`bull:webhook-delivery`, `stuckjobs:session`) because that is where both
 * BullMQ (`<prefix>:<queue>:…`) and most applications put their namespace.
 * When the second segment is an id, grouping on it would give one "prefix"
 * per object, so those keys fold into `<first>:*`.
 */

const DIGITS = /^\d+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** 16+ hex characters: object ids, hashes, session tokens. */
const LONG_HEX = /^[0-9a-f]{16,}$/i;
/** 26-char Crockford base32: ULIDs. */
const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

export function looksLikeId(segment: string): boolean {
  return DIGITS.test(segment) || UUID.test(segment) || LONG_HEX.test(segment) || ULID.test(segment);
}

export function prefixOf(key: string): string {
  const segments = key.split(':');
  const first = segments[0] ?? '';
  if (segments.length === 1) return looksLikeId(first) ? '*' : first;
  const second = segments[1] ?? '';
  return looksLikeId(second) ? `${first}:*` : `${first}:${second}`;
}
