import { UsageError } from '../errors';

/** The command line split into what the CLI reads itself and the words the Slack parser reads. */
export interface CliArgs {
  /** `--json`: one JSON document on stdout instead of tables. */
  readonly json: boolean;
  /** `--help` or `-h` anywhere. */
  readonly help: boolean;
  /** Everything else, in order: `diagnose webhooks`, `sample billing 5 --tenant t-1`, … */
  readonly words: readonly string[];
}

const HELP_FLAGS = new Set(['--help', '-h']);

export function readArgs(argv: readonly string[]): CliArgs {
  return {
    json: argv.includes('--json'),
    help: argv.some((word) => HELP_FLAGS.has(word)),
    words: argv.filter((word) => word !== '--json' && !HELP_FLAGS.has(word)),
  };
}

/** Quote pairs the Slack tokenizer understands (handlers/commands/tokenize.ts). */
const QUOTES: readonly (readonly [string, string])[] = [
  ['"', '"'],
  ["'", "'"],
  ['“', '”'],
  ['‘', '’'],
];
const NEEDS_QUOTES = /[\s"'“”‘’]/;

/**
 * The shell already split the words; join them back into command text that
 * `parseCommandText` splits the same way, so `--reason "HTTP 503"` stays one value
 * and the CLI accepts exactly the syntax of `/stuckjobs` in Slack.
 */
export function commandText(words: readonly string[]): string {
  return words
    .map((word) => {
      if (word !== '' && !NEEDS_QUOTES.test(word)) return word;
      const pair = QUOTES.find(([open, close]) => !word.includes(open) && !word.includes(close));
      if (!pair)
        throw new UsageError(`Cannot pass ${JSON.stringify(word)}: it contains every kind of quote.`);
      return `${pair[0]}${word}${pair[1]}`;
    })
    .join(' ');
}
