import { parseCommandText } from '../../../handlers/commands/parse';
import { UsageError } from '../../../src/errors';
import type { WorkflowId } from '../../../src/workflows/types';

const ids: WorkflowId[] = ['webhooks', 'recordings', 'billing'];

function usageErrorFor(text: string): string {
  try {
    parseCommandText(text, ids);
  } catch (error) {
    if (error instanceof UsageError) return error.message;
    throw error;
  }
  throw new Error(`expected a usage error for ${JSON.stringify(text)}`);
}

describe('parseCommandText', () => {
  it('reads diagnose with and without workflows', () => {
    expect(parseCommandText('diagnose', ids)).toEqual({ kind: 'diagnose' });
    expect(parseCommandText('  Diagnose   all ', ids)).toEqual({ kind: 'diagnose' });
    expect(parseCommandText('diagnose webhooks billing webhooks', ids)).toEqual({
      kind: 'diagnose',
      workflowIds: ['webhooks', 'billing'],
    });
  });

  it('treats empty text and help as help', () => {
    expect(parseCommandText('', ids)).toEqual({ kind: 'help' });
    expect(parseCommandText('help', ids)).toEqual({ kind: 'help' });
  });

  it('normalises control characters pasted from a terminal', () => {
    expect(parseCommandText('diagnose\u0007\twebhooks\u200b', ids)).toEqual({
      kind: 'diagnose',
      workflowIds: ['webhooks'],
    });
  });

  it('says what to type for an unknown subcommand', () => {
    expect(usageErrorFor('replay-everything now')).toBe(
      '`replay-everything` is not a /stuckjobs command. Type `/stuckjobs diagnose`, `/stuckjobs sample <workflow>`, `/stuckjobs replay <workflow>` or `/stuckjobs help`.',
    );
  });

  it('lists the workflows for an unknown one', () => {
    const message = usageErrorFor('diagnose sms');
    expect(message).toContain('Unknown workflow `sms`');
    expect(message).toContain('`/stuckjobs diagnose recordings`');
  });

  it('refuses very long text without echoing it back', () => {
    const message = usageErrorFor(`diagnose ${'x'.repeat(2000)}`);
    expect(message).toMatch(/^That command is \d+ characters long/);
    expect(message.length).toBeLessThan(200);
  });

  it('reads --new on diagnose', () => {
    expect(parseCommandText('diagnose --new webhooks', ids)).toEqual({
      kind: 'diagnose',
      workflowIds: ['webhooks'],
      fresh: true,
    });
  });

  describe('sample', () => {
    it('defaults to 3 failed jobs of all cohorts', () => {
      expect(parseCommandText('sample webhooks', ids)).toEqual({
        kind: 'sample',
        request: { workflowId: 'webhooks', state: 'failed', count: 3, cohort: {} },
      });
    });

    it('reads n, the state and every filter, with quoted and curly-quoted values', () => {
      expect(
        parseCommandText(
          'sample billing 7 --state delayed --tenant T-Acme --reason “Stripe 500” --handler=close-billing-period',
          ids,
        ),
      ).toEqual({
        kind: 'sample',
        request: {
          workflowId: 'billing',
          state: 'delayed',
          count: 7,
          cohort: { tenant: 'T-Acme', reason: 'Stripe 500', handler: 'close-billing-period' },
        },
      });
      expect(parseCommandText('sample webhooks --reason "HTTP 503"', ids)).toMatchObject({
        request: { cohort: { reason: 'HTTP 503' } },
      });
    });

    it('says what to type for each mistake', () => {
      expect(usageErrorFor('sample')).toMatch(/^Which workflow\? Type `\/stuckjobs sample <workflow> \[n\]/);
      expect(usageErrorFor('sample webhooks 11')).toMatch(/^Sample 1 to 10 jobs, not 11\./);
      expect(usageErrorFor('sample webhooks --state stuck')).toMatch(/^`--state stuck` is not a state\./);
      expect(usageErrorFor('sample webhooks --tenant')).toMatch(/^`--tenant` needs a value\./);
      expect(usageErrorFor('sample webhooks --colour red')).toMatch(
        /^`--colour` is not an option of sample\./,
      );
      expect(usageErrorFor('sample sms')).toContain('`/stuckjobs sample webhooks`');
    });
  });

  describe('replay', () => {
    it('reads the cohort, the batch size, exclusions and --dry-run', () => {
      expect(
        parseCommandText(
          'replay webhooks --tenant T-Acme --reason "HTTP 503" --batch 5 --exclude tenant=T-Beta --exclude handler=x&reason=y --dry-run',
          ids,
        ),
      ).toEqual({
        kind: 'replay',
        request: {
          workflowId: 'webhooks',
          cohort: { tenant: 'T-Acme', reason: 'HTTP 503' },
          exclude: [{ tenant: 'T-Beta' }, { handler: 'x', reason: 'y' }],
          batchSize: 5,
          dryRun: true,
        },
      });
    });

    it('leaves the size to the ladder when none is given', () => {
      expect(parseCommandText('replay billing', ids)).toEqual({
        kind: 'replay',
        request: { workflowId: 'billing', cohort: {}, exclude: [], dryRun: false },
      });
    });

    it('says what to type for each mistake', () => {
      expect(usageErrorFor('replay')).toMatch(/^Which workflow\? Type `\/stuckjobs replay <workflow>/);
      expect(usageErrorFor('replay webhooks --batch ten')).toMatch(/^`--batch ten` is not a batch size/);
      expect(usageErrorFor('replay webhooks --batch 0')).toMatch(/^`--batch 0` is not a batch size/);
      expect(usageErrorFor('replay webhooks --exclude acme')).toMatch(/^`--exclude acme` names no cohort/);
      expect(usageErrorFor('replay webhooks 5')).toMatch(/^`5` is not an option of replay; .*--batch N/);
      expect(usageErrorFor('replay webhooks --dry-run=yes')).toMatch(/^`--dry-run` takes no value\./);
      expect(usageErrorFor('replay webhooks --force')).toMatch(/^`--force` is not an option of replay\./);
    });
  });

  describe('enqueue', () => {
    it('reads ids separated by spaces or commas, once each, with a tenant', () => {
      expect(parseCommandText('enqueue recordings rec-1,rec-2 rec-3 rec-1 --tenant T-Acme', ids)).toEqual({
        kind: 'enqueue',
        request: {
          workflowId: 'recordings',
          ids: ['rec-1', 'rec-2', 'rec-3'],
          tenant: 'T-Acme',
          dryRun: false,
        },
      });
    });

    it('reads --batch to enqueue fewer ids than the ladder allows', () => {
      expect(parseCommandText('enqueue recordings a b c --tenant t --batch 2 --dry-run', ids)).toEqual({
        kind: 'enqueue',
        request: { workflowId: 'recordings', ids: ['a', 'b', 'c'], tenant: 't', batchSize: 2, dryRun: true },
      });
    });

    it('needs at least one id', () => {
      expect(usageErrorFor('enqueue recordings --tenant T')).toMatch(
        /^Which ids\? Type `\/stuckjobs enqueue/,
      );
    });
  });
});
