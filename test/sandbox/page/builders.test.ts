import { approvalMessage } from '../../../blocks/approval';
import { diagnosisMessage } from '../../../blocks/diagnosis';
import { ActionId, BlockId } from '../../../blocks/ids';
import { createBatchManifest, manifestHash } from '../../../src/approvals/batch-manifest';
import { renderBlocks } from '../../../src/sandbox/page/blocks';
import type { ConfirmData } from '../../../src/sandbox/page/elements';
import { manifestInput } from '../../approvals/fixtures';
import {
  exact,
  makeCounts,
  makeDiagnosis,
  makeSnapshot,
  makeWorkflowDiagnosis,
  NOW,
} from '../../fixtures/diagnosis';
import { buttonsIn, expectNoActiveContent, renderContext, visibleText } from './helpers';

describe('rendering the messages our builders send', () => {
  it('renders the approval message with guarded Approve (primary) and Deny (danger) buttons', () => {
    const manifest = createBatchManifest(manifestInput(), NOW);
    const hash = manifestHash(manifest);
    const message = approvalMessage({
      manifest,
      manifestHash: hash,
      workflowTitle: 'Webhook deliveries',
      ladder: { batchNumber: 1, maxSize: 5, limitedBy: 'first-batch' },
      eligibleTotal: 40,
      excludedCount: 3,
    });
    const html = renderBlocks(message.blocks, renderContext());

    expectNoActiveContent(html);
    expect(html).not.toContain('unsupported');
    const [approve, deny, ...rest] = buttonsIn(html);
    expect(rest).toHaveLength(0);
    expect(approve?.attrs.get('data-action-id')).toBe(ActionId.replayApprove);
    expect(deny?.attrs.get('data-action-id')).toBe(ActionId.replayDeny);
    expect(approve?.classes).toContain('primary');
    expect(deny?.classes).toContain('danger');
    for (const b of [approve, deny]) {
      expect(b?.attrs.get('data-block-id')).toBe(BlockId.approvalActions);
      expect(JSON.parse(b?.attrs.get('data-value') ?? '')).toEqual({ b: manifest.id, h: hash });
    }

    const dialog = JSON.parse(approve?.attrs.get('data-confirm') ?? 'null') as ConfirmData;
    expect(dialog).toMatchObject({ title: 'Replay 2 jobs?', confirm: 'Approve 2 jobs', deny: 'Cancel' });
    expect(dialog.html).toContain('You cannot approve a batch you asked for');
    expect(deny?.attrs.has('data-confirm')).toBe(false);

    const text = visibleText(html);
    expect(text).toContain('Replay batch 1: Webhook deliveries');
    expect(text).toContain('Requested by @requester');
    expect(html).toMatch(/<time datetime="[^"]+Z">\d{4}-\d\d-\d\d \d\d:\d\d UTC<\/time>/);
    expect(html).toContain('<strong>Jobs</strong> 2 of 40 eligible');
  });

  it('renders a diagnosis with its fields, Show samples accessory and Plan replay button, escaping failure reasons', () => {
    const workflow = makeWorkflowDiagnosis({
      snapshot: makeSnapshot({
        counts: makeCounts({ waiting: 12, failed: 1204 }),
        givenUp: exact(1204),
        topFailureReasons: [
          { reason: 'HTTP 503 from https://acme.example/hook <script>alert(1)</script>', count: 77 },
        ],
      }),
      verdict: {
        kind: 'given-up',
        severity: 'critical',
        headline: 'Given up: 1,204 jobs exhausted their attempts',
        action: 'replay candidates',
      },
    });
    const message = diagnosisMessage({
      diagnosis: makeDiagnosis({ workflows: [workflow] }),
      requestedBy: 'U-REQ',
    });
    const html = renderBlocks(message.blocks, renderContext());

    expectNoActiveContent(html);
    expect(html).not.toContain('unsupported');
    expect(visibleText(html)).toContain('<script>alert(1)</script>');
    expect(html).toContain('<div class="fields">');
    expect(html).toContain('<hr>');

    const byAction = new Map(buttonsIn(html).map((b) => [b.attrs.get('data-action-id'), b]));
    const samples = byAction.get(ActionId.showSamples);
    const plan = byAction.get(ActionId.planReplay);
    expect(samples?.attrs.get('data-block-id')).toMatch(new RegExp(`^${BlockId.workflowPrefix}`));
    expect(JSON.parse(samples?.attrs.get('data-value') ?? '')).toEqual({ w: 'webhooks', st: 'failed' });
    expect(plan?.attrs.get('data-block-id')).toMatch(new RegExp(`^${BlockId.actionsPrefix}`));
    expect(plan?.label).toBe('Plan replay (canary)');
  });
});
