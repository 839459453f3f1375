import { UsageError } from '../../src/errors';

/** `value` flags take the next word (or `--flag=value`); `switch` flags take none. */
export type FlagSpec = Readonly<Record<string, 'value' | 'switch'>>;

export interface ReadFlags {
  /** Last value per value flag (a repeated flag's last word wins, as in most CLIs)… */
  readonly values: ReadonlyMap<string, string>;
  /** …except those listed as repeatable, which keep every value in order. */
  readonly repeated: ReadonlyMap<string, readonly string[]>;
  readonly switches: ReadonlySet<string>;
  /** Words that are not flags, in order. */
  readonly words: readonly string[];
}

/** Values come from the operator and end up in messages and Redis keys' neighbours: keep them short. */
const MAX_VALUE = 200;

/** At most 40 characters, with backticks made quotes, so the word cannot close the code span it is shown in. */
export function shorten(word: string): string {
  const short = word.length > 40 ? `${word.slice(0, 40)}…` : word;
  return short.replace(/`/g, "'");
}

/**
 * Reads `--flag value`, `--flag=value` and `--switch` in any order. An unknown
 * flag or a missing value is a UsageError that ends with `usage`, so the reply
 * says what to type instead.
 */
export function readFlags(
  options: readonly string[],
  spec: FlagSpec,
  verb: string,
  usage: string,
  repeatable: readonly string[] = [],
): ReadFlags {
  const values = new Map<string, string>();
  const repeated = new Map<string, string[]>();
  const switches = new Set<string>();
  const words: string[] = [];
  for (let i = 0; i < options.length; i++) {
    const word = options[i] ?? '';
    if (!word.startsWith('--')) {
      words.push(word);
      continue;
    }
    const [flagWord = '', inline] = word.split(/=(.*)/s, 2);
    const flag = flagWord.toLowerCase();
    const kind = spec[flag];
    if (kind === undefined)
      throw new UsageError(`\`${shorten(word)}\` is not an option of ${verb}. ${usage}`);
    if (kind === 'switch') {
      if (inline !== undefined) throw new UsageError(`\`${flag}\` takes no value. ${usage}`);
      switches.add(flag);
      continue;
    }
    const value = inline ?? options[++i];
    if (value === undefined || value === '' || (inline === undefined && value.startsWith('--'))) {
      throw new UsageError(`\`${flag}\` needs a value. ${usage}`);
    }
    const kept = value.slice(0, MAX_VALUE);
    if (repeatable.includes(flag)) repeated.set(flag, [...(repeated.get(flag) ?? []), kept]);
    else values.set(flag, kept);
  }
  return { values, repeated, switches, words };
}
