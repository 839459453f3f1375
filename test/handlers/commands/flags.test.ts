import { readFlags, type FlagSpec } from '../../../handlers/commands/flags';
import { UsageError } from '../../../src/errors';

const SPEC: FlagSpec = {
  '--batch': 'value',
  '--tenant': 'value',
  '--exclude': 'value',
  '--dry-run': 'switch',
};
const USAGE = 'Usage: `/stuckjobs replay <workflow> [--batch N] [--dry-run]`';

const read = (words: string[], repeatable: string[] = []) =>
  readFlags(words, SPEC, 'replay', USAGE, repeatable);

function usageError(words: string[]): string {
  try {
    read(words);
  } catch (error) {
    if (error instanceof UsageError) return error.message;
    throw error;
  }
  throw new Error(`expected a UsageError for ${JSON.stringify(words)}`);
}

describe('readFlags', () => {
  it('reads value flags, switches and plain words in any order', () => {
    const flags = read(['webhooks', '--dry-run', '--batch', '5', 'extra']);

    expect(flags.values).toEqual(new Map([['--batch', '5']]));
    expect(flags.switches).toEqual(new Set(['--dry-run']));
    expect(flags.words).toEqual(['webhooks', 'extra']);
    expect(flags.repeated).toEqual(new Map());
  });

  it('reads --flag=value, keeping any further = in the value, and flag names case-insensitively', () => {
    const flags = read(['--BATCH=7', '--tenant=a=b', '--exclude=--odd']);

    expect(flags.values).toEqual(
      new Map([
        ['--batch', '7'],
        ['--tenant', 'a=b'],
        ['--exclude', '--odd'],
      ]),
    );
  });

  it('keeps the last value of a repeated flag that is not repeatable', () => {
    expect(read(['--batch', '5', '--batch=9']).values.get('--batch')).toBe('9');
  });

  it('keeps every value of a repeatable flag, in order', () => {
    const flags = read(['--exclude', 'tenant=a', '--batch', '5', '--exclude=handler=x'], ['--exclude']);

    expect(flags.repeated.get('--exclude')).toEqual(['tenant=a', 'handler=x']);
    expect(flags.values.has('--exclude')).toBe(false);
    expect(flags.values.get('--batch')).toBe('5');
  });

  it.each([
    ['at the end', ['--batch']],
    ['followed by another flag', ['--batch', '--dry-run']],
    ['empty after =', ['--batch=']],
  ])('refuses a value flag with no value %s', (_, words) => {
    expect(usageError(words)).toBe(`\`--batch\` needs a value. ${USAGE}`);
  });

  it('refuses a switch given a value', () => {
    expect(usageError(['--dry-run=yes'])).toBe(`\`--dry-run\` takes no value. ${USAGE}`);
  });

  it('names an unknown flag and ends with the usage', () => {
    const message = usageError(['webhooks', '--force']);
    expect(message).toBe(`\`--force\` is not an option of replay. ${USAGE}`);
    expect(message.endsWith(USAGE)).toBe(true);
  });

  it('shortens a long unknown flag in the message', () => {
    const long = `--${'x'.repeat(100)}`;
    expect(usageError([long])).toBe(`\`${long.slice(0, 40)}…\` is not an option of replay. ${USAGE}`);
  });

  it('keeps backticks out of the echoed flag, long or short, so it cannot close the code span', () => {
    expect(usageError(['--x`y'])).toBe(`\`--x'y\` is not an option of replay. ${USAGE}`);
    const long = `--\`*bold*\`${'z'.repeat(60)}`;
    expect(usageError([long])).toBe(
      `\`${long.slice(0, 40).replace(/\`/g, "'")}…\` is not an option of replay. ${USAGE}`,
    );
  });

  it('caps values at 200 characters, repeatable ones too', () => {
    const long = 'y'.repeat(500);
    const flags = read(['--tenant', long, `--exclude=${long}`], ['--exclude']);

    expect(flags.values.get('--tenant')).toBe('y'.repeat(200));
    expect(flags.repeated.get('--exclude')).toEqual(['y'.repeat(200)]);
  });
});
