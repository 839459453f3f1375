import {
  BUDGET_SPENT,
  cutNote,
  cutText,
  MAX_CHARS_PER_CALL,
  MAX_ITEMS_PER_LEVEL,
  MAX_STRING_CHARS,
  MAX_VALUES_PER_CALL,
  MORE_KEYS_KEY,
  moreItems,
  moreKeys,
} from './bounds';
import { MAX_DEPTH, redactString, TOO_DEEP } from './json';
import { secretMarker } from './marker';
import { isSecretKey } from './secret-keys';
import { maskFreeText } from './text';
import type { RedactionCounter, RedactionOptions } from './types';

export const CIRCULAR = '[circular]';
export const UNREADABLE = '[unreadable]';

interface CopyContext {
  readonly extraSecretKeys: readonly string[];
  /** Objects on the current path only: a value shared by two branches is not a cycle. */
  readonly ancestors: WeakSet<object>;
  /** Required by the maskers; a log line has no use for the tally. */
  readonly counter: RedactionCounter;
  /** What this call may still copy (see ./bounds). */
  readonly budget: { values: number; chars: number };
}

/** Plain assignment would treat a `__proto__` key as the prototype. */
function define(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** At most {@link MAX_ITEMS_PER_LEVEL} entries; `total` says how many there were, for the note. */
function copyEntries(
  entries: Iterable<readonly [string, unknown]>,
  total: number,
  depth: number,
  context: CopyContext,
): object {
  const result: Record<string, unknown> = {};
  let copied = 0;
  for (const [key, value] of entries) {
    if (copied >= MAX_ITEMS_PER_LEVEL) break;
    copied += 1;
    // JSON drops functions too; copying one would let pino call a `toJSON` we never masked.
    if (typeof value === 'function') continue;
    const shownKey = maskFreeText(key, context.extraSecretKeys, context.counter);
    define(
      result,
      shownKey,
      isSecretKey(key, context.extraSecretKeys) ? secretMarker(value) : copy(value, depth, context),
    );
  }
  if (total > copied) define(result, MORE_KEYS_KEY, moreKeys(total - copied));
  return result;
}

function copyItems(items: Iterable<unknown>, total: number, depth: number, context: CopyContext): unknown[] {
  const result: unknown[] = [];
  for (const item of items) {
    if (result.length >= MAX_ITEMS_PER_LEVEL) break;
    result.push(copy(item, depth, context));
  }
  if (total > result.length) result.push(moreItems(total - result.length));
  return result;
}

/** Array items by index, so a 200k-item array is never walked past the bound. */
function* arrayItems(value: readonly unknown[]): Generator<unknown> {
  const end = Math.min(value.length, MAX_ITEMS_PER_LEVEL);
  for (let index = 0; index < end; index += 1) yield value[index];
}

/** Own enumerable properties; a throwing getter must not take the log line down with it. */
function* ownEntries(value: object, keys: readonly string[]): Generator<readonly [string, unknown]> {
  for (const key of keys) {
    let entry: unknown;
    try {
      entry = (value as Record<string, unknown>)[key];
    } catch {
      entry = UNREADABLE;
    }
    yield [key, entry];
  }
}

function copyObject(value: object, keys: readonly string[], depth: number, context: CopyContext): object {
  return copyEntries(ownEntries(value, keys), keys.length, depth, context);
}

function copyString(value: string, depth: number, context: CopyContext): string {
  const { budget } = context;
  const { kept, cut } = cutText(value, Math.min(MAX_STRING_CHARS, budget.chars));
  budget.chars -= kept.length;
  const masked = redactString(kept, depth, context.extraSecretKeys, context.counter);
  return cut === 0 ? masked : `${masked}${cutNote(cut)}`;
}

/** What JSON.stringify would print for a value with its own `toJSON` (URL, Decimal, a class). */
function jsonForm(value: object): { readonly value: unknown } | undefined {
  const toJSON: unknown = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON !== 'function') return undefined;
  const json: unknown = toJSON.call(value, '');
  return json === value ? undefined : { value: json };
}

/** Everything but strings and primitives; may throw (a hostile Proxy), which {@link copy} catches. */
function copyContainer(value: object, inner: number, context: CopyContext): unknown {
  if (Array.isArray(value)) return copyItems(arrayItems(value), value.length, inner, context);
  if (value instanceof Date) return new Date(value.getTime());
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) return `[binary ${value.byteLength} bytes]`;
  if (value instanceof Map) {
    const map = value as Map<unknown, unknown>;
    const entries = (function* () {
      for (const [key, item] of map) yield [String(key), item] as const;
    })();
    return copyEntries(entries, map.size, inner, context);
  }
  if (value instanceof Set) return copyItems(value as Set<unknown>, value.size, inner, context);
  if (value instanceof Error) {
    // The shape pino's err serializer gives, so a redacted error still logs usefully.
    const { name, message, stack } = value;
    const keys = Object.keys(value);
    const entries: Iterable<readonly [string, unknown]> = (function* () {
      yield ['type', name] as const;
      yield ['message', message] as const;
      yield ['stack', stack] as const;
      yield* ownEntries(value, keys);
    })();
    return copyEntries(entries, keys.length + 3, inner, context);
  }
  // Printed by JSON as a string: the string is what gets masked (a URL would otherwise log as `{}`).
  if (value instanceof URLSearchParams) return copy(value.toString(), inner, context);
  const json = jsonForm(value);
  if (json) return copy(json.value, inner, context);
  return copyObject(value, Object.keys(value), inner, context);
}

/** `depth` counts the containers around `value`, as in {@link renderStoredJson}. */
function copy(value: unknown, depth: number, context: CopyContext): unknown {
  if (typeof value === 'function') return undefined;
  if (context.budget.values <= 0) return BUDGET_SPENT;
  context.budget.values -= 1;
  if (typeof value === 'string') return copyString(value, depth, context);
  if (value === null || typeof value !== 'object') return value;
  if (context.ancestors.has(value)) return CIRCULAR;
  if (depth >= MAX_DEPTH) return TOO_DEEP;
  context.ancestors.add(value);
  try {
    return copyContainer(value, depth + 1, context);
  } catch {
    // A Proxy whose traps throw, a throwing toJSON or iterator: the line is still written.
    return UNREADABLE;
  } finally {
    context.ancestors.delete(value);
  }
}

/**
 * A deep copy for structured logging with the preview's rules: values under secret
 * keys become markers, strings are masked (JSON held in strings included), cycles
 * become `[circular]` and nesting past the bound `[too deep]`. Values with a
 * `toJSON` (a URL) are copied as JSON would print them, functions are dropped, and
 * the work is bounded (./bounds): long arrays, objects and strings are cut with a
 * note. Never throws: what cannot be read becomes `[unreadable]`. Numbers,
 * booleans and other primitives are returned as they are.
 */
export function redactValue(value: unknown, options: RedactionOptions = {}): unknown {
  try {
    return copy(value, 0, {
      extraSecretKeys: options.extraSecretKeys ?? [],
      ancestors: new WeakSet<object>(),
      counter: { count: 0 },
      budget: { values: MAX_VALUES_PER_CALL, chars: MAX_CHARS_PER_CALL },
    });
  } catch {
    return UNREADABLE;
  }
}
