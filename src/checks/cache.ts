export interface TtlCache<T> {
  /** The cached value for `key`, or `load()`'s; concurrent callers of a missing key share one load. */
  get(key: string, load: () => Promise<T>): Promise<T>;
}

interface Entry<T> {
  readonly value: Promise<T>;
  /** Infinity while loading: an answer still on its way is never asked for twice. */
  expiresAt: number;
}

/**
 * Remembers answers for `ttlMs` after they arrive. The TTL only has to cover
 * one sampling (ten jobs to one host must cost one request); keeping answers
 * longer would show a stale `fail` to an operator who re-samples after the
 * tenant fixed the endpoint. Expired entries are swept on each call, so a
 * long-lived checker does not grow without bound. A load that rejects is
 * forgotten at once, and so is an answer `keep` refuses: "the upstream could
 * not be asked" says nothing about the target, and kept for the TTL it would
 * refuse a plan for half a minute after the upstream recovered.
 */
export function createTtlCache<T>(
  ttlMs: number,
  now: () => number = () => performance.now(),
  keep: (value: T) => boolean = () => true,
): TtlCache<T> {
  const entries = new Map<string, Entry<T>>();

  const sweep = (at: number) => {
    for (const [key, entry] of entries) if (entry.expiresAt <= at) entries.delete(key);
  };

  return {
    get(key, load) {
      sweep(now());
      const hit = entries.get(key);
      if (hit) return hit.value;
      const entry: Entry<T> = { value: Promise.resolve().then(load), expiresAt: Infinity };
      entries.set(key, entry);
      entry.value.then(
        (value) => {
          if (keep(value)) entry.expiresAt = now() + ttlMs;
          else if (entries.get(key) === entry) entries.delete(key);
        },
        () => {
          if (entries.get(key) === entry) entries.delete(key);
        },
      );
      return entry.value;
    },
  };
}
