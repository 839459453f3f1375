import { tokenize } from '../../handlers/commands/tokenize';
import { commandText, readArgs } from '../../src/cli/args';
import { forTerminal, parseCli } from '../../src/cli/command';
import { createStyle, oneLine } from '../../src/cli/style';
import { renderTable } from '../../src/cli/table';
import { UsageError } from '../../src/errors';

const WORKFLOWS = ['webhooks', 'recordings', 'billing'] as const;

describe('CLI arguments', () => {
  it('takes --json and --help out wherever they are', () => {
    expect(readArgs(['sample', '--json', 'webhooks', '-h'])).toEqual({
      json: true,
      help: true,
      words: ['sample', 'webhooks'],
    });
  });

  it.each([
    [['sample', 'webhooks', '--reason', 'HTTP 503 from x']],
    [['sample', 'webhooks', '--reason', `it's "quoted"`]],
    [['sample', 'webhooks', '--tenant', '']],
    [['replay', 'webhooks', '--exclude', 'reason=a b&tenant=t-1', '--dry-run']],
  ])('joins shell words so the Slack tokenizer splits them back the same: %j', (words) => {
    expect(tokenize(commandText(words))).toEqual(words);
  });

  it('reads the Slack syntax: the same command in both places', () => {
    expect(parseCli(['sample', 'billing', '5', '--tenant', 't 1', '--state', 'delayed'], WORKFLOWS)).toEqual({
      kind: 'sample',
      request: { workflowId: 'billing', state: 'delayed', count: 5, cohort: { tenant: 't 1' } },
    });
    expect(parseCli(['replay', 'webhooks', '--dry-run', '--batch', '3'], WORKFLOWS)).toEqual({
      kind: 'replay-dry-run',
      workflowId: 'webhooks',
      cohort: {},
      exclude: [],
      batchSize: 3,
    });
    expect(() => parseCli(['replay', 'webhooks'], WORKFLOWS)).toThrow(UsageError);
  });

  it('rewrites Slack usage text for a terminal', () => {
    expect(forTerminal('Type `/stuckjobs audit [n]`.')).toBe(
      'Type stuckjobs audit [n]. Type stuckjobs help.',
    );
    expect(forTerminal('or `/stuckjobs help`.')).toBe('or stuckjobs help.');
  });
});

describe('renderTable', () => {
  it('pads columns, right-aligns numbers and leaves no trailing spaces', () => {
    const lines = renderTable(
      [{ header: 'NAME' }, { header: 'N', align: 'right' }, { header: 'NOTE' }],
      [
        ['a', '1', 'x'],
        ['longer', '≈1,204', ''],
      ],
      (text) => text,
    );
    expect(lines).toEqual([
      'NAME         N  NOTE',
      '------  ------  ----',
      'a            1  x',
      'longer  ≈1,204',
    ]);
  });

  it('paints after padding, so colour never shifts the columns', () => {
    const style = createStyle(true);
    const [, , row] = renderTable(
      [{ header: 'V' }, { header: 'W' }],
      [[{ text: 'ok', paint: style.green }, 'w']],
      style.bold,
    );
    expect(row).toBe('\u001b[32mok\u001b[39m  w');
  });
});

it('shows control characters from outside instead of sending them to the terminal', () => {
  expect(oneLine('evil\u001b[2J\nnext\u202e')).toBe('evil\\u001b[2J next\\u202e');
});
