import type { ActionsBlock, Button } from '@slack/types';
import { approvalButtonValue, approvalMessage, approvalOutcomeMessage } from '../../blocks/approval';
import type { ApprovalView } from '../../blocks/approval';
import { ActionId, BlockId } from '../../blocks/ids';
import { findBlockKitViolations, LIMITS } from '../../blocks/limits';
import { createBatchManifest, manifestHash } from '../../src/approvals/batch-manifest';
import type { BatchManifest, BatchManifestInput } from '../../src/approvals/batch-manifest';
import { manifestInput, sha } from '../approvals/fixtures';

const NOW = 1_700_000_000_000;

function manifest(overrides: Partial<BatchManifestInput> = {}): BatchManifest {
  return createBatchManifest(manifestInput(overrides), NOW);
}

function jobs(n: number) {
  return Array.from({ length: n }, (_, i) => ({ id: `job-${i}`, payloadSha256: sha(`${i}`) }));
}

function view(m: BatchManifest = manifest()): ApprovalView {
  return {
    manifest: m,
    manifestHash: manifestHash(m),
    workflowTitle: 'Webhook deliveries',
    ladder: { batchNumber: m.batchNumber, maxSize: 5, limitedBy: 'first-batch' },
    eligibleTotal: 40,
    excludedCount: 3,
  };
}

function actions(message: { blocks: readonly unknown[] }): ActionsBlock | undefined {
  return message.blocks.find((b): b is ActionsBlock => (b as { type?: string }).type === 'actions');
}

function buttons(message: { blocks: readonly unknown[] }): Button[] {
  return (actions(message)?.elements ?? []) as Button[];
}

describe('approvalMessage', () => {
  it('carries the contract action ids and a value that parses back to the manifest id and hash', () => {
    const v = view();
    const message = approvalMessage(v);
    const [approve, deny] = buttons(message);
    expect(actions(message)?.block_id).toBe(BlockId.approvalActions);
    expect(approve?.action_id).toBe('replay_approve');
    expect(deny?.action_id).toBe('replay_deny');
    expect(ActionId.replayApprove).toBe('replay_approve');
    expect(ActionId.replayDeny).toBe('replay_deny');
    for (const button of [approve, deny]) {
      expect(button?.value).toBe(JSON.stringify({ b: v.manifest.id, h: v.manifestHash }));
      expect(approvalButtonValue.parse(button?.value)).toEqual({ b: v.manifest.id, h: v.manifestHash });
    }
  });

  it('refuses button values that are not JSON, carry extra keys or a malformed hash', () => {
    const m = manifest();
    expect(approvalButtonValue.safeParse('not json').success).toBe(false);
    expect(approvalButtonValue.safeParse(JSON.stringify({ b: m.id, h: 'abc' })).success).toBe(false);
    expect(
      approvalButtonValue.safeParse(JSON.stringify({ b: m.id, h: manifestHash(m), dryRun: false })).success,
    ).toBe(false);
    expect(approvalButtonValue.safeParse(JSON.stringify({ b: 'b-1:x', h: manifestHash(m) })).success).toBe(
      false,
    );
  });

  it('puts a confirm dialog on Approve that names the job count and the second-person rule, within limits', () => {
    for (const m of [manifest(), manifest({ jobs: jobs(1000) })]) {
      const [approve, deny] = buttons(approvalMessage({ ...view(m), workflowTitle: 'W'.repeat(500) }));
      const confirm = approve?.confirm;
      expect(confirm).toBeDefined();
      expect(confirm!.title!.text.length).toBeLessThanOrEqual(LIMITS.confirmTitle);
      expect(confirm!.text.text.length).toBeLessThanOrEqual(LIMITS.confirmText);
      expect(confirm!.confirm!.text.length).toBeLessThanOrEqual(LIMITS.confirmButton);
      expect(confirm!.deny!.text.length).toBeLessThanOrEqual(LIMITS.confirmButton);
      const count = m.jobs.length === 2 ? '2 jobs' : '1,000 jobs';
      expect(confirm!.text.text).toContain(count);
      expect(confirm!.text.text).toMatch(/cannot approve a batch you asked for/);
      expect(deny?.confirm).toBeUndefined();
    }
  });

  it('styles Approve primary and Deny danger', () => {
    const [approve, deny] = buttons(approvalMessage(view()));
    expect(approve?.style).toBe('primary');
    expect(deny?.style).toBe('danger');
  });

  it('shows who asked, the cohort, counts, ladder reason and expiry', () => {
    const message = approvalMessage(view());
    const summary = JSON.stringify(message.blocks.find((b) => b.block_id === BlockId.approvalSummary));
    expect(summary).toContain('<@U-REQ>');
    expect(summary).toContain('tenant `acme`');
    expect(summary).toContain('2 of 40 eligible');
    expect(summary).toContain('3 excluded');
    expect(summary).toContain('first batch of this replay');
    expect(summary).toContain('<!date^');
    expect(message.blocks[0]).toMatchObject({
      type: 'header',
      text: { text: 'Replay batch 1: Webhook deliveries' },
    });
  });

  it('has no buttons on a dry run and says nothing will be replayed', () => {
    const message = approvalMessage(view(manifest({ dryRun: true })));
    expect(actions(message)).toBeUndefined();
    const dry = JSON.stringify(message.blocks.find((b) => b.block_id === BlockId.approvalDryRun));
    expect(dry).toContain('Dry run: nothing will be replayed');
    expect(message.text).toContain('nothing will be replayed');
    expect(findBlockKitViolations(message)).toEqual([]);
  });

  it('lists 10 job ids and a "more" note for 1,000 jobs', () => {
    const message = approvalMessage(view(manifest({ jobs: jobs(1000) })));
    const listed = JSON.stringify(message.blocks.find((b) => b.block_id === BlockId.approvalJobs));
    expect(listed).toContain('`job-9`');
    expect(listed).not.toContain('`job-10`');
    expect(listed).toContain('…and 990 more');
  });

  it('passes findBlockKitViolations, also with 1,000 jobs, long ids and a 300-character cohort reason', () => {
    const longIds = Array.from({ length: 1000 }, (_, i) => ({
      id: `${i}-${'x'.repeat(250)}`,
      payloadSha256: sha(`${i}`),
    }));
    const cases = [
      manifest(),
      manifest({ jobs: jobs(1000) }),
      manifest({
        jobs: longIds,
        cohort: { tenant: 't<1>&', reason: 'r'.repeat(300), handler: 'h'.repeat(200) },
      }),
      manifest({
        jobs: jobs(1000),
        dryRun: true,
        cohort: { reason: 'token sk_live_abcdefghijklmnop `x` '.repeat(9) },
      }),
    ];
    for (const m of cases) {
      const message = approvalMessage({
        ...view(m),
        ladder: { batchNumber: 3, maxSize: 1000, limitedBy: 'odd <limit>' },
      });
      expect(findBlockKitViolations(message)).toEqual([]);
    }
  });

  it('masks and escapes the cohort', () => {
    const m = manifest({ cohort: { tenant: '<!channel>', reason: 'failed for jane@example.com' } });
    const summary = JSON.stringify(approvalMessage(view(m)).blocks);
    expect(summary).not.toContain('<!channel>');
    expect(summary).not.toContain('jane@example.com');
  });
});

describe('approvalOutcomeMessage', () => {
  it.each(['approved', 'denied', 'expired'] as const)('has no buttons once %s', (outcome) => {
    const m = manifest({ jobs: jobs(1000) });
    const message = approvalOutcomeMessage({ manifest: m, outcome, by: 'U-APP', at: NOW + 60_000 });
    expect(actions(message)).toBeUndefined();
    expect(JSON.stringify(message.blocks)).not.toContain('replay_approve');
    expect(findBlockKitViolations(message)).toEqual([]);
    expect(message.text).toContain(outcome);
  });

  it('names the decider on approval and denial', () => {
    const m = manifest();
    const approved = approvalOutcomeMessage({ manifest: m, outcome: 'approved', by: 'U-APP', at: NOW });
    const denied = approvalOutcomeMessage({ manifest: m, outcome: 'denied', by: 'U-APP', at: NOW });
    expect(JSON.stringify(approved.blocks)).toContain('*Approved* by <@U-APP>');
    expect(JSON.stringify(denied.blocks)).toContain('nothing was replayed');
  });

  it('shows progress while running, then the result with the jobs left out, in the same message', () => {
    const m = manifest({ jobs: jobs(5) });
    const base = { manifest: m, outcome: 'approved' as const, by: 'U-APP', at: NOW };
    const running = approvalOutcomeMessage({ ...base, progress: { done: 2, total: 5 } });
    expect(JSON.stringify(running.blocks)).toContain('replaying 5 jobs… (2 of 5 done)');
    const details = Array.from({ length: 12 }, (_, i) => `job-${i}: payload changed since the plan`);
    const done = approvalOutcomeMessage({ ...base, result: { line: '4 of 5 replayed', details } });
    const text = JSON.stringify(done.blocks);
    expect(text).toContain('*Approved* by <@U-APP>');
    expect(text).toContain('— 4 of 5 replayed');
    expect(text).toContain('job-9: payload changed since the plan');
    expect(text).not.toContain('job-10:');
    expect(text).toContain('…and 2 more');
    expect(done.text).toContain('4 of 5 replayed');
    expect(findBlockKitViolations(done)).toEqual([]);
  });
});

describe('approvalMessage preconditions and notes', () => {
  it('lists each held precondition with a check mark, and notes for the approver', () => {
    const message = approvalMessage({
      ...view(),
      moreEligible: true,
      preconditions: ['Stripe is reachable'],
      notes: ['3 webhooks job(s) of this cohort are still retrying'],
    });
    const summary = JSON.stringify(message.blocks);
    expect(summary).toContain(':heavy_check_mark: Stripe is reachable');
    expect(summary).toContain(':information_source: 3 webhooks job(s) of this cohort are still retrying');
    expect(summary).toContain('of at least 40 eligible');
  });
});
