/**
 * Markers keep a secret's size class so on-call can still tell "empty token" from
 * "token present" without seeing a single character of it. Lengths are UTF-16 code
 * units; the classes are coarse enough that the unit does not matter.
 */
export function markerForLength(length: number): string {
  if (length <= 0) return '[redacted:empty]';
  if (length < 8) return '[redacted:1-7]';
  if (length < 32) return '[redacted:8-31]';
  return '[redacted:32+]';
}

/** For values that cannot be measured (a cycle); it still says that something was there. */
export const UNMEASURABLE_MARKER = '[redacted]';

/** Strings by their own length; anything else by the length of its JSON text. */
export function secretMarker(value: unknown): string {
  if (typeof value === 'string') return markerForLength(value.length);
  if (typeof value === 'bigint') return markerForLength(value.toString().length);
  try {
    // undefined, functions and symbols have no JSON text: nothing was stored.
    const json = JSON.stringify(value) as string | undefined;
    return markerForLength(json === undefined ? 0 : json.length);
  } catch {
    return UNMEASURABLE_MARKER;
  }
}
