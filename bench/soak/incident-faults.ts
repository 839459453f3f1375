import type { AuditEntry } from '../../src/approvals/approval-types';
import { parseAuditEntry } from '../../src/approvals/audit';
import { SANDBOX_IDS } from '../../src/sandbox/world';
import { entriesAfter, streamMark } from '../lib/streams';
import type { Posted, SoakDriver } from './driver';
import type { FaultKind, IncidentSpec } from './incident-spec';
import { BYSTANDER, SECOND_APPROVER, type SoakWorld } from './world';

/**
 * The faults an incident injects that the bot owes a refusal for: each is
 * made to happen, and its refusal checked in the audit stream (the rule's own
 * code, for this batch and this person) and in the ephemeral the person got.
 * The incident's step sequence (run-incident.ts) says when.
 */

const { requester: REQUESTER, approver: APPROVER } = SANDBOX_IDS;

export interface RefusalCheck {
  readonly fault: FaultKind;
  /** The audit result code the refusal must carry. */
  readonly code: string;
  readonly happened: boolean;
  /** What happened instead, when it did not. */
  readonly instead?: string;
}

export class IncidentFaults {
  readonly refusals: RefusalCheck[] = [];
  private readonly auditKey: string;

  constructor(
    private readonly world: SoakWorld,
    private readonly spec: IncidentSpec,
    private readonly driver: SoakDriver,
  ) {
    this.auditKey = `${world.config.statePrefix}:audit`;
  }

  /** Whether this incident drew `fault`. */
  has(fault: FaultKind): boolean {
    return this.spec.faults.includes(fault);
  }

  /** The audit stream's last id now: entries after it are what came since. */
  auditMark(): Promise<string> {
    return streamMark(this.world.redis, this.auditKey);
  }

  async auditSince(mark: string): Promise<AuditEntry[]> {
    const entries = await entriesAfter(this.world.redis, this.auditKey, mark);
    return entries.map(({ id, flat }) => parseAuditEntry(id, flat));
  }

  /** A plan the bot must refuse with `code` (audited as action `plan`). */
  async refusedPlan(fault: FaultKind, text: string, code: string): Promise<void> {
    const mark = await this.auditMark();
    const answer = await this.driver.plan(text);
    const audited = (await this.auditSince(mark)).filter((e) => e.action === 'plan' && e.actor === REQUESTER);
    const happened = answer.kind === 'refused' && audited.some((e) => e.result === code);
    this.refusals.push({
      fault,
      code,
      happened,
      ...(happened
        ? {}
        : {
            instead:
              answer.kind === 'posted'
                ? `batch ${answer.batchId} posted`
                : audited.map((e) => e.result).join(','),
          }),
    });
    // A plan that should have been refused but was posted must not stay open: withdraw it.
    if (answer.kind === 'posted') await this.driver.click(answer.ts, 'deny', REQUESTER);
  }

  /** A click the bot must refuse with `code`, audited for this batch and person, and told to them. */
  async refusedClick(
    fault: FaultKind,
    batch: Posted,
    user: string,
    code: string,
    value?: string,
  ): Promise<void> {
    const mark = await this.auditMark();
    const seen = this.driver.ephemeralCount(user);
    await this.driver.click(batch.ts, 'approve', user, value !== undefined ? { value } : {});
    await this.driver.ephemeral(user, seen);
    const audited = (await this.auditSince(mark)).filter(
      (e) => e.action === 'approve' && e.actor === user && e.batchId === batch.batchId,
    );
    const happened = audited.some((e) => e.result === code);
    this.refusals.push({
      fault,
      code,
      happened,
      ...(happened ? {} : { instead: audited.map((e) => e.result).join(',') || 'nothing audited' }),
    });
  }

  /** The clicks on the canary that must each be refused before the real approval. */
  async refusedClicks(canary: Posted): Promise<void> {
    const { world, spec } = this;
    if (this.has('self-approval'))
      await this.refusedClick('self-approval', canary, REQUESTER, 'self-approval');
    if (this.has('not-an-approver'))
      await this.refusedClick('not-an-approver', canary, BYSTANDER, 'not-an-approver');
    if (this.has('tampered-value')) {
      const otherHash = canary.hash.replace(/^./, (c) => (c === '0' ? '1' : '0'));
      const value = JSON.stringify({ b: canary.batchId, h: otherHash });
      await this.refusedClick('tampered-value', canary, APPROVER, 'hash-mismatch', value);
    }
    if (this.has('upstream-down-at-approval')) {
      world.tenants.setStatus(spec.tenant, 503);
      try {
        await this.refusedClick('upstream-down-at-approval', canary, APPROVER, 'precondition-failed');
      } finally {
        world.tenants.setStatus(spec.tenant, 200);
      }
    }
  }

  /**
   * The approval as a double click, a race with a second approver and a
   * retried delivery, all at once: exactly one approves, the other three are
   * refused as `not-pending`. Waits for the batch to finish.
   */
  async doubleClick(batch: Posted): Promise<void> {
    const mark = await this.auditMark();
    await Promise.all([
      this.driver.click(batch.ts, 'approve', APPROVER),
      this.driver.click(batch.ts, 'approve', APPROVER),
      this.driver.click(batch.ts, 'approve', SECOND_APPROVER),
      this.driver.click(batch.ts, 'approve', APPROVER, {
        headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' },
      }),
    ]);
    await this.driver.waitForState(batch.batchId, 'done', 'failed');
    const decided = (await this.auditSince(mark)).filter(
      (e) => e.action === 'approve' && e.batchId === batch.batchId,
    );
    const approved = decided.filter((e) => e.result === 'approved').length;
    const notPending = decided.filter((e) => e.result === 'not-pending').length;
    for (let i = 0; i < 3; i++) {
      const happened = approved === 1 && i < notPending;
      this.refusals.push({
        fault: 'double-click',
        code: 'not-pending',
        happened,
        ...(happened ? {} : { instead: decided.map((e) => e.result).join(',') }),
      });
    }
  }
}
