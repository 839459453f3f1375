import { auditLine, auditMessage } from '../../blocks/audit';
import { findBlockKitViolations } from '../../blocks/limits';
import type { AuditEntry } from '../../src/approvals/approval-types';

const entry = (overrides: Partial<AuditEntry> = {}): AuditEntry => ({
  streamId: '1-0',
  at: Date.UTC(2026, 10, 28, 9, 50, 12),
  batchId: 'b-0123456789ab',
  action: 'approve',
  actor: 'U0APPROVER',
  result: 'approved',
  from: 'pending',
  to: 'approved',
  detail: '',
  session: 'd-1',
  ...overrides,
});

describe('audit message', () => {
  it('writes when in UTC, what, who (a mention for people), the result and the batch', () => {
    expect(auditLine(entry())).toBe(
      '`2026-11-28 09:50:12 UTC` *approve* by <@U0APPROVER>: approved · batch `b-0123456789ab`',
    );
    expect(
      auditLine(
        entry({ actor: 'stuckjobs', action: 'verify', result: 'verified', batchId: '', detail: 'jobs pass' }),
      ),
    ).toBe('`2026-11-28 09:50:12 UTC` *verify* by `stuckjobs`: verified — jobs pass');
  });

  it('keeps the newest entries when they do not all fit, and says how many were left out', () => {
    const many = Array.from({ length: 50 }, (_, i) =>
      entry({ streamId: `${i}-0`, detail: `step ${i} ${'d'.repeat(150)}`, at: Date.UTC(2026, 10, 28, 9, i) }),
    );
    const message = auditMessage(many);
    const shown = JSON.stringify(message.blocks);
    expect(shown).toContain('step 49 ');
    expect(shown).not.toContain('step 0 ');
    expect(shown).toMatch(/\d+ older entries did not fit/);
    expect(findBlockKitViolations(message)).toEqual([]);
  });

  it('says so when the stream is empty', () => {
    expect(auditMessage([]).text).toBe('The audit stream is empty.');
  });
});
