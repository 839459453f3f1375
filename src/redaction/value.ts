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
}

/** Plain assignment would treat a `__proto__` key as the prototype. */
function define(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function copyEntries(
  entries: Iterable<readonly [string, unknown]>,
  depth: number,
  context: CopyContext,
): object {
  const result: Record<string, unknown> = {};
  for (const [key, value] of entries) {
    const shownKey = maskFreeText(key, context.extraSecretKeys, context.counter);
    define(
      result,
      shownKey,
      isSecretKey(key, context.extraSecretKeys) ? secretMarker(value) : copy(value, depth, context),
    );
  }
  return result;
}

/** Own enumerable properties; a throwing getter must not take the log line down with it. */
function* ownEntries(value: object): Generator<readonly [string, unknown]> {
  for (const key of Object.keys(value)) {
    let entry: unknown;
    try {
      entry = (value as Record<string, unknown>)[key];
    } catch {
      entry = UNREADABLE;
    }
    yield [key, entry];
  }
}

/** `depth` counts the containers around `value`, as in {@link renderStoredJson}. */
function copy(value: unknown, depth: number, context: CopyContext): unknown {
  if (typeof value === 'string') return redactString(value, depth, context.extraSecretKeys, context.counter);
  if (value === null || typeof value !== 'object') return value;
  if (context.ancestors.has(value)) return CIRCULAR;
  if (depth >= MAX_DEPTH) return TOO_DEEP;
  context.ancestors.add(value);
  try {
    const inner = depth + 1;
    if (Array.isArray(value)) return value.map((item: unknown) => copy(item, inner, context));
    if (value instanceof Date) return new Date(value.getTime());
    if (value instanceof ArrayBuffer || ArrayBuffer.isView(value))
      return `[binary ${value.byteLength} bytes]`;
    if (value instanceof Map) {
      const entries = [...(value as Map<unknown, unknown>)].map(
        ([key, item]) => [String(key), item] as const,
      );
      return copyEntries(entries, inner, context);
    }
    if (value instanceof Set) return [...(value as Set<unknown>)].map((item) => copy(item, inner, context));
    if (value instanceof Error) {
      // The shape pino's err serializer gives, so a redacted error still logs usefully.
      const { name, message, stack } = value;
      return copyEntries(
        [['type', name], ['message', message], ['stack', stack], ...ownEntries(value)],
        inner,
        context,
      );
    }
    return copyEntries(ownEntries(value), inner, context);
  } finally {
    context.ancestors.delete(value);
  }
}

/**
 * A deep copy for structured logging with the preview's rules: values under secret
 * keys become markers, strings are masked (JSON held in strings included), cycles
 * become `[circular]` and nesting past the bound `[too deep]`. Numbers, booleans and
 * other primitives are returned as they are.
 */
export function redactValue(value: unknown, options: RedactionOptions = {}): unknown {
  return copy(value, 0, {
    extraSecretKeys: options.extraSecretKeys ?? [],
    ancestors: new WeakSet<object>(),
    counter: { count: 0 },
  });
}
