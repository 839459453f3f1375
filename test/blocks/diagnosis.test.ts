import type { KnownBlock, SectionBlock } from '@slack/types';
import { diagnosisMessage } from '../../blocks/diagnosis';
import { ActionId, BlockId } from '../../blocks/ids';
import { blockTextLength, findBlockKitViolations, LIMITS } from '../../blocks/limits';
import type { EndpointsDetails } from '../../src/probes/types';
import type { WorkflowDiagnosis } from '../../src/runbook/diagnosis';
import {
  exact,
  makeCounts,
  makeDiagnosis,
  makeProbe,
  makeSnapshot,
  makeWorkflowDiagnosis,
  NOW,
} from '../fixtures/diagnosis';

const byId = (blocks: KnownBlock[], id: string) => blocks.find((b) => 'block_id' in b && b.block_id === id);
const sectionText = (block: KnownBlock | undefined) => {
  const section = block as SectionBlock | undefined;
  return [section?.text?.text ?? '', ...(section?.fields ?? []).map((f) => f.text)].join('\n');
};

describe('diagnosisMessage', () => {
  const givenUp: WorkflowDiagnosis = makeWorkflowDiagnosis({
    snapshot: makeSnapshot({
      counts: makeCounts({ waiting: 12, delayed: 240, failed: 1204 }),
      givenUp: { value: 1204, exact: false, sampled: 100 },
      willRetry: exact(240),
      workers: null,
      oldestFailedAt: NOW - 3 * 3600_000,
      topFailureReasons: [{ reason: 'HTTP 503 from https://acme.example/hook <script>', count: 77 }],
      sample: [],
    }),
    trend: { windowMs: 5000, inPerMinute: 12, outPerMinute: 0, direction: 'growing', clearInMs: null },
    verdict: {
      kind: 'given-up',
      severity: 'critical',
      headline: 'Given up: ≈1,204 jobs exhausted their attempts',
      action: 'replay candidates',
    },
    quiesceHint: 'Tenant-driven: the source cannot be stopped; focus on the consumer.',
  });

  it('shows counts, the given-up / will-retry split, workers, trend and verdict per workflow', () => {
    const { blocks } = diagnosisMessage({
      diagnosis: makeDiagnosis({ workflows: [givenUp] }),
      requestedBy: 'U0REQ',
    });
    const text = sectionText(byId(blocks, `${BlockId.workflowPrefix}webhooks`));
    expect(text).toContain(':red_circle: *Given up: ≈1,204 jobs exhausted their attempts*');
    expect(text).toContain('*Waiting*\n12');
    expect(text).toContain('*Given up*\n≈1,204 of 1,204 failed');
    expect(text).toContain('*Will retry*\n240');
    expect(text).toContain('*Workers*\nunknown (CLIENT LIST unavailable)');
    expect(text).toContain('*Trend*\nin 12/min · out 0/min (growing)');
    expect(text).toContain('*Oldest failed*\n3 hours');
  });

  it('offers Plan replay only for a workflow with given-up jobs', () => {
    const { blocks } = diagnosisMessage({
      diagnosis: makeDiagnosis({
        workflows: [
          givenUp,
          makeWorkflowDiagnosis({ id: 'billing', title: 'Billing', queue: 'billing-housekeeping' }),
        ],
      }),
      requestedBy: 'U0REQ',
    });
    const actions = byId(blocks, `${BlockId.actionsPrefix}webhooks`);
    expect(actions).toMatchObject({
      type: 'actions',
      elements: [{ action_id: ActionId.planReplay, value: JSON.stringify({ w: 'webhooks' }) }],
    });
    expect(byId(blocks, `${BlockId.actionsPrefix}billing`)).toBeUndefined();
  });

  it('escapes failure reasons and keeps the quiesce hint', () => {
    const { blocks } = diagnosisMessage({
      diagnosis: makeDiagnosis({ workflows: [givenUp] }),
      requestedBy: 'U0REQ',
    });
    const notes = JSON.stringify(byId(blocks, `${BlockId.verdictPrefix}webhooks`));
    expect(notes).toContain('HTTP 503 from https://acme.example/hook &lt;script&gt;');
    expect(notes).toContain('×77');
    expect(notes).toContain('Tenant-driven');
  });

  it('shows every upstream line with its status, the failing hosts, and who asked', () => {
    const diagnosis = makeDiagnosis({
      upstream: {
        docker: makeProbe({ probe: 'docker', reason: 'voiceai-tasker healthy' }),
        webhookEndpoints: makeProbe<EndpointsDetails>({
          probe: 'webhook-endpoints',
          status: 'degraded',
          reason: '1 of 2 hosts failing',
          details: {
            endpoints: [
              {
                host: 'acme.example',
                jobs: 240,
                recentStatusCodes: { '503': 240 },
                head: { status: 503 },
                status: 'down',
              },
            ],
          },
        }),
        stripe: makeProbe({ probe: 'stripe', status: 'down', reason: 'timed out after 2500 ms' }),
      },
    });
    const { blocks, text } = diagnosisMessage({ diagnosis, requestedBy: 'U0REQ' });
    const upstream = sectionText(byId(blocks, BlockId.upstream));
    expect(upstream).toContain(':white_check_mark: *Ops containers* ok: voiceai-tasker healthy');
    expect(upstream).toContain(':warning: *Tenant webhook endpoints* degraded: 1 of 2 hosts failing');
    expect(upstream).toContain('`acme.example` HEAD 503 · 240 jobs · failed with 503 ×240');
    expect(upstream).toContain(':x: *Stripe* down: timed out after 2500 ms');
    expect(JSON.stringify(byId(blocks, BlockId.context))).toContain('<@U0REQ>');
    expect(text).toMatch(/^Stuck jobs diagnosis — Webhook delivery: Healthy/);
  });

  it('masks secrets in failure reasons and probe reasons before they reach Slack', () => {
    const leaky = makeWorkflowDiagnosis({
      snapshot: makeSnapshot({
        topFailureReasons: [
          { reason: 'HTTP 401 from https://hooks.acme.example/in?token=s3cr3tvalue&x=1', count: 2 },
        ],
      }),
    });
    const diagnosis = makeDiagnosis({
      workflows: [leaky],
      upstream: {
        docker: makeProbe({
          probe: 'docker',
          status: 'unknown',
          reason: 'cannot reach http://admin:hunter2@ops:2375',
        }),
      },
    });
    const message = diagnosisMessage({ diagnosis, requestedBy: 'U1' });
    const all = JSON.stringify(message);
    expect(all).not.toContain('s3cr3tvalue');
    expect(all).not.toContain('hunter2');
    expect(all).toContain('https://hooks.acme.example/in?token=***');
  });

  it('says when the census was extrapolated, and marks workflow prefixes', () => {
    const diagnosis = makeDiagnosis({
      census: {
        ok: true,
        census: {
          scannedKeys: 50_000,
          totalKeys: 3_000_000,
          complete: false,
          stoppedBy: 'keys',
          elapsedMs: 120,
          prefixes: [
            { prefix: 'bull:webhook-delivery', type: 'hash', keys: 1_200_000, workflows: ['webhooks'] },
          ],
        },
      },
    });
    const census = sectionText(
      byId(diagnosisMessage({ diagnosis, requestedBy: 'U1' }).blocks, BlockId.census),
    );
    expect(census).toContain(
      'SCAN stopped by the keys budget after 50,000 of 3,000,000 keys; counts extrapolated',
    );
    expect(census).toContain('`bull:webhook-delivery` hash · ≈1,200,000 keys ← webhooks');
  });

  it('stays within Block Kit limits with 30 workflows, 200-character reasons and full upstream and census', () => {
    const reason = `HTTP 503 from https://tenant.example/${'x'.repeat(170)}`;
    expect(reason.length).toBeGreaterThanOrEqual(200);
    const workflows = Array.from({ length: 30 }, (_, i) =>
      makeWorkflowDiagnosis({
        // Configurations may define more workflows than the three defaults.
        id: `workflow-${i}` as WorkflowDiagnosis['id'],
        title: `Workflow number ${i} with a long descriptive title`,
        queue: `queue-${i}-${'q'.repeat(60)}`,
        snapshot: makeSnapshot({
          topFailureReasons: Array.from({ length: 5 }, (__, j) => ({
            reason: `${reason}${j}`,
            count: 100 + j,
          })),
        }),
        verdict: {
          kind: 'given-up',
          severity: i % 2 ? 'critical' : 'warning',
          headline: `Given up: ${reason}`,
          action: reason,
        },
      }),
    );
    const longReason = `connection refused (ECONNREFUSED) ${'r'.repeat(400)}`;
    const diagnosis = makeDiagnosis({
      workflows,
      upstream: {
        docker: makeProbe({ probe: 'docker', status: 'unknown', reason: longReason }),
        signoz: makeProbe({ probe: 'signoz', status: 'degraded', reason: longReason }),
        stripe: makeProbe({ probe: 'stripe', status: 'down', reason: longReason }),
        recordings: makeProbe({ probe: 'recordings', status: 'down', reason: longReason }),
        webhookEndpoints: makeProbe<EndpointsDetails>({
          probe: 'webhook-endpoints',
          status: 'degraded',
          reason: longReason,
          details: {
            endpoints: Array.from({ length: 5 }, (_, i) => ({
              host: `host-${i}-${'h'.repeat(200)}.example`,
              jobs: 10,
              recentStatusCodes: { '503': 10, '504': 3 },
              head: { error: longReason },
              status: 'down' as const,
            })),
          },
        }),
      },
      census: {
        ok: true,
        census: {
          scannedKeys: 1,
          totalKeys: 9,
          complete: false,
          stoppedBy: 'time',
          elapsedMs: 300,
          prefixes: Array.from({ length: 15 }, (_, i) => ({
            prefix: `prefix-${i}:${'p'.repeat(300)}`,
            type: 'hash',
            keys: 1000,
            workflows: [],
          })),
        },
      },
    });
    const message = diagnosisMessage({ diagnosis, requestedBy: 'U1' });
    expect(findBlockKitViolations(message)).toEqual([]);
    expect(message.blocks.length).toBeLessThanOrEqual(LIMITS.blocksPerMessage);
    expect(blockTextLength(message.blocks)).toBeLessThanOrEqual(LIMITS.totalText);
    const note = JSON.stringify(byId(message.blocks, BlockId.truncationNote));
    expect(note).toMatch(/\d+ more workflow\(s\) not shown/);
    // critical workflows are kept before warnings
    const shown = message.blocks.filter(
      (b) => 'block_id' in b && b.block_id?.startsWith(BlockId.workflowPrefix),
    );
    expect(shown.length).toBeGreaterThan(0);
    expect(shown.every((b) => sectionText(b).includes(':red_circle:'))).toBe(true);
  });

  it('is valid when every probe failed and the census failed', () => {
    const diagnosis = makeDiagnosis({
      workflows: [
        makeWorkflowDiagnosis({
          snapshot: undefined,
          error: 'ECONNREFUSED',
          verdict: {
            kind: 'unreadable',
            severity: 'critical',
            headline: 'Cannot read the queue: ECONNREFUSED',
            action: 'check Redis',
          },
        }),
      ],
      upstream: {
        docker: makeProbe({ probe: 'docker', status: 'unknown', reason: 'did not answer within 2500 ms' }),
        signoz: makeProbe({ probe: 'signoz', status: 'unknown', reason: 'connection refused' }),
      },
      census: { ok: false, error: 'Connection is closed.' },
    });
    const message = diagnosisMessage({ diagnosis, requestedBy: 'U1' });
    expect(findBlockKitViolations(message)).toEqual([]);
    expect(sectionText(byId(message.blocks, BlockId.census))).toContain(
      'key census failed: Connection is closed.',
    );
  });
});
