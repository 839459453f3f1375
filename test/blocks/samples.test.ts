import { ActionId, BlockId } from '../../blocks/ids';
import { blockTextLength, findBlockKitViolations, LIMITS } from '../../blocks/limits';
import { samplesMessage } from '../../blocks/samples';
import type { GateBlock } from '../../src/approvals/replay-gate';
import type { SampledJob, SampleOutcome } from '../../src/runbook/inspect/types';

const long = (n: number) => `HTTP 503 from https://t.example/${'p'.repeat(n)}`;

function job(i: number, text: string): SampledJob {
  return {
    id: `${1000 + i}`,
    handler: 'deliver-webhook',
    createdAt: 1_000,
    attemptsMade: 3,
    attemptsAllowed: 3,
    failedReason: long(1500),
    payload: { kind: 'json', text, redactions: 2 },
    checks: [
      { check: 'well-formed', status: 'pass', reason: 'matches' },
      { check: 'target-exists', status: 'unknown', reason: long(900) },
      { check: 'handler-exists', status: 'fail', reason: 'x is not a handler in v0.9.11' },
    ],
  };
}

function outcome(jobs: SampledJob[]): SampleOutcome {
  return {
    id: 's-1',
    request: { workflowId: 'webhooks', state: 'failed', count: jobs.length, cohort: { tenant: 't<1>' } },
    takenAt: 3_600_000,
    platformVersion: 'v0.9.11',
    window: { read: 1000, stateCount: 50_000, matched: 700, capped: true },
    jobs,
    cohorts: {
      givenUpInWindow: 990,
      windowSize: 1000,
      capped: true,
      byHandler: [{ key: 'deliver-webhook', count: 990 }],
      byTenant: Array.from({ length: 5 }, (_, i) => ({ key: `tenant-${i}-${'t'.repeat(300)}`, count: 10 })),
      byReason: [{ key: 'HTTP 503', count: 990 }],
      byHost: [],
    },
    failures: [],
    warnings: [],
  };
}

const gate: GateBlock[] = Array.from({ length: 6 }, (_, i) => ({
  workflow: 'webhooks',
  state: 'failed',
  cohortKey: `tenant=t${i}`,
  cohort: { tenant: `t${i}` },
  sampleId: `s-${i}`,
  at: i,
  by: 'U1',
  failures: Array.from({ length: 6 }, (__, j) => ({
    jobId: `${j}`,
    check: 'well-formed',
    reason: long(400),
  })),
}));

describe('samplesMessage', () => {
  it('stays within Block Kit limits with 10 jobs of 50 KB payloads, long reasons and a full gate', () => {
    const jobs = Array.from({ length: 10 }, (_, i) => job(i, `{\n  "blob": "${'x'.repeat(50_000)}"\n}`));
    const message = samplesMessage({
      outcome: outcome(jobs),
      workflowTitle: 'Webhook delivery',
      requestedBy: 'U1',
      gate,
    });
    expect(findBlockKitViolations(message)).toEqual([]);
    expect(message.blocks.length).toBeLessThanOrEqual(LIMITS.blocksPerMessage);
    expect(blockTextLength(message.blocks)).toBeLessThanOrEqual(LIMITS.totalText);
    const payload = JSON.stringify(
      message.blocks.find((b) => 'block_id' in b && b.block_id === `${BlockId.samplePayloadPrefix}1003`),
    );
    expect(payload).toContain('Truncated: use *Full payload*');
    expect(payload).toContain(`"action_id":"${ActionId.fullPayload}"`);
    expect(payload).toContain('"value":"{\\"w\\":\\"webhooks\\",\\"st\\":\\"failed\\",\\"j\\":\\"1003\\"}"');
    expect(message.text).toBe(
      'Samples of Webhook delivery: 10 job(s); BLOCKED: a check failed; stop and ask before replay',
    );
  });

  it("says blocked at the top from the sample's own failures, even when the gate shows none", () => {
    const failed = {
      ...outcome([job(0, '{}')]),
      failures: [{ jobId: '1000', check: 'handler-exists' as const, reason: 'x' }],
    };
    const message = samplesMessage({ outcome: failed, workflowTitle: 'W', requestedBy: 'U1', gate: [] });
    const top = JSON.stringify(
      message.blocks.find((b) => 'block_id' in b && b.block_id === BlockId.samplesGate),
    );
    expect(top).toContain('Blocked: stop and ask before replay.');
    expect(top).toContain('job 1000: *handler-exists*');
    expect(message.text).toContain('BLOCKED');
  });

  it('has no Full payload button when the payload fits, and escapes what the job holds', () => {
    const shown = job(0, '{\n  "html": "<b>&</b>",\n  "fence": "```"\n}');
    const message = samplesMessage({
      outcome: outcome([shown]),
      workflowTitle: 'W',
      requestedBy: 'U1',
      gate: [],
    });
    const payload = JSON.stringify(
      message.blocks.find((b) => 'block_id' in b && b.block_id === `${BlockId.samplePayloadPrefix}1000`),
    );
    expect(payload).not.toContain('accessory');
    expect(payload).toContain('&lt;b&gt;&amp;&lt;/b&gt;');
    expect(payload).not.toContain('"fence": "```"');
    const summary = JSON.stringify(
      message.blocks.find((b) => 'block_id' in b && b.block_id === BlockId.samplesSummary),
    );
    expect(summary).toContain('the newest 1,000 of 50,000 failed jobs (capped)');
    expect(summary).toContain('filters: tenant=t&lt;1&gt;');
  });
});
