import { spawnSync } from 'node:child_process';
import path from 'node:path';
import {
  orderedTimeline,
  PLAIN_TEXT,
  timelineContext,
  timelineLine,
  utcClock,
  utcStamp,
} from '../../../src/runbook/oplog/timeline';
import { AUDIT_ACTIONS } from '../../../src/approvals/approval-types';
import type { AuditEntry } from '../../../src/approvals/approval-types';
import { typescriptNodeArgs } from '../../helpers/run-typescript';
import { APPROVER, auditEntry, batchFact, incidentFacts, REQUESTER, utc } from './fixtures';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

function line(entry: AuditEntry, facts = incidentFacts()): string {
  return timelineLine(entry, timelineContext(facts, PLAIN_TEXT));
}

describe('UTC times', () => {
  it('formats a stamp and a clock time in UTC, with the date when the day differs', () => {
    expect(utcStamp(utc(9, 12))).toBe('2026-11-28 09:12 UTC');
    expect(utcClock(utc(23, 59), utc(9, 0))).toBe('23:59 UTC');
    expect(utcClock(utc(0, 1, 29), utc(9, 0))).toBe('2026-11-29 00:01 UTC');
    expect(utcStamp(Number.NaN)).toBe('an unknown time');
  });

  it('writes UTC in a process whose time zone is not UTC, inside the hour repeated when DST ends', () => {
    // jest's process.env does not reach the engine's time zone, so run a real node with TZ set.
    const note = path.join(__dirname, '..', '..', '..', 'src', 'runbook', 'oplog', 'note.ts');
    const fixtures = path.join(__dirname, 'fixtures.ts');
    const [flag, hook] = typescriptNodeArgs(note);
    const print = `
const { operationsLogNote } = require(${JSON.stringify(note)});
const { incidentFacts, batchFact } = require(${JSON.stringify(fixtures)});
const { format } = require('date-fns');
const at = Date.UTC(2026, 10, 1, 9, 30);
process.stdout.write(JSON.stringify({
  local: format(at, 'HH:mm'),
  note: operationsLogNote(incidentFacts({
    firstFailureAt: at,
    openedAt: at,
    batches: [batchFact({ decidedAt: Date.UTC(2026, 10, 1, 9, 55) })],
  })),
}));`;
    const child = spawnSync(process.execPath, [flag!, `${hook}\n${print}`], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', TZ: 'America/Los_Angeles' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(child.stderr).toBe('');
    const out = JSON.parse(child.stdout) as { local: string; note: string };
    expect(out.local).toBe('01:30'); // the child really runs in Los Angeles time
    expect(out.note).toContain('Since 2026-11-01 09:30 UTC.');
    expect(out.note).toContain(`approved by <@${APPROVER}> at 09:55 UTC`);
  });
});

describe('timelineLine', () => {
  it('says when, what, who and the result, with the batch it concerns', () => {
    expect(line(auditEntry({ at: utc(9, 50) }))).toBe(
      `09:50 UTC approve by <@${APPROVER}>: approved (batch 1 of webhooks)`,
    );
  });

  it('words refusals with their reason', () => {
    const self = auditEntry({ actor: REQUESTER, result: 'self-approval', to: 'pending' });
    expect(line(self)).toBe(
      `09:50 UTC approve by <@${REQUESTER}>: refused, the requester cannot approve their own batch (batch 1 of webhooks)`,
    );
    const plan = auditEntry({
      at: utc(9, 40),
      action: 'plan',
      batchId: '',
      actor: REQUESTER,
      result: 'blocked',
      detail: 'webhooks: a sample of these jobs failed its checks',
    });
    expect(line(plan)).toBe(
      `09:40 UTC plan by <@${REQUESTER}>: refused, a sample of these jobs failed its checks — webhooks: a sample of these jobs failed its checks`,
    );
  });

  it("calls the bot's own claim and finish steps the bot, and tells a failed run from a finished one", () => {
    const claim = auditEntry({ action: 'claim', actor: 'ops-host:4242:a1b2c3', result: 'claimed' });
    expect(line(claim)).toBe('09:50 UTC run by the bot: started (batch 1 of webhooks)');
    const failed = auditEntry({
      action: 'finish',
      actor: 'ops-host:4242:a1b2c3',
      result: 'finished',
      from: 'executing',
      to: 'failed',
      detail: '2 of 5 replayed',
    });
    expect(line(failed)).toBe(
      '09:50 UTC finish by the bot: finished, failed (batch 1 of webhooks) — 2 of 5 replayed',
    );
  });

  it('shows actions and results it has no words for as recorded, and an unknown batch by id', () => {
    const future = {
      ...auditEntry({ batchId: 'b-elsewhere', actor: 'cli:alice', detail: 'x'.repeat(500) }),
      action: 'rollback',
      result: 'rolled-back',
    } as unknown as AuditEntry;
    const text = line(future);
    expect(text).toMatch(/^09:50 UTC rollback by cli:alice: rolled-back \(batch b-elsewhere\) — x+…$/);
    expect(text.length).toBeLessThan(200);
  });

  it('has words for every audited action, new ones included', () => {
    const facts = incidentFacts();
    for (const action of AUDIT_ACTIONS) {
      expect(line(auditEntry({ action, actor: APPROVER }), facts)).toMatch(/^09:50 UTC [a-z ]+ by /);
    }
    expect(line(auditEntry({ action: 'verify', result: 'verified' }), facts)).toBe(
      `09:50 UTC verify by <@${APPROVER}>: verified (batch 1 of webhooks)`,
    );
    const second = batchFact({ batchId: 'b-2', batchNumber: 2, kind: 'enqueue', workflow: 'recordings' });
    const done = auditEntry({ action: 'done', batchId: 'b-2', result: 'not-verified' });
    expect(line(done, incidentFacts({ batches: [second] }))).toBe(
      `09:50 UTC mark done by <@${APPROVER}>: not verified (enqueue batch 2 of recordings)`,
    );
  });

  it('orders the timeline oldest first and keeps the stream order for equal times', () => {
    const a = auditEntry({ at: utc(9, 50), result: 'first' });
    const b = auditEntry({ at: utc(9, 40), result: 'earlier' });
    const c = auditEntry({ at: utc(9, 50), result: 'second' });
    expect(orderedTimeline([a, b, c]).map((e) => e.result)).toEqual(['earlier', 'first', 'second']);
  });
});
