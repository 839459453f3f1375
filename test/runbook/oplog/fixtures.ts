import type { AuditEntry } from '../../../src/approvals/approval-types';
import type { BatchFact, Cause, IncidentFacts, WorkflowCounts } from '../../../src/runbook/oplog/types';

export const REQUESTER = 'U01REQUEST';
export const APPROVER = 'U02APPROVE';

/** 2026-11-28 (a Saturday) at hh:mm UTC; `day` moves it within November. */
export function utc(hh: number, mm: number, day = 28): number {
  return Date.UTC(2026, 10, day, hh, mm);
}

export function counts(overrides: Partial<WorkflowCounts> = {}): WorkflowCounts {
  return { waiting: 0, delayed: 0, failed: 0, givenUp: 0, ...overrides };
}

export function cause(overrides: Partial<Cause> = {}): Cause {
  return {
    text: 'tenant acme.example returned 503 from 09:12 to 09:47 UTC',
    suspected: false,
    inDelphi: false,
    ...overrides,
  };
}

/** A replay batch of webhooks that ran and was approved at 09:50 UTC. */
export function batchFact(overrides: Partial<BatchFact> = {}): BatchFact {
  return {
    batchId: 'b-webhooks-1',
    workflow: 'webhooks',
    kind: 'replay',
    batchNumber: 1,
    jobs: 5,
    replayed: 5,
    requestedBy: REQUESTER,
    requestedAt: utc(9, 45),
    state: 'done',
    decidedBy: APPROVER,
    decidedAt: utc(9, 50),
    finishedAt: utc(9, 51),
    verification: 'verified',
    ...overrides,
  };
}

let stream = 0;

export function auditEntry(overrides: Partial<AuditEntry> = {}): AuditEntry {
  const at = overrides.at ?? utc(9, 50);
  stream += 1;
  return {
    streamId: `${at}-${stream}`,
    at,
    batchId: 'b-webhooks-1',
    action: 'approve',
    actor: APPROVER,
    result: 'approved',
    from: 'pending',
    to: 'approved',
    detail: '',
    session: 's-1',
    ...overrides,
  };
}

/** One webhook incident: opened 09:20, first failure 09:12, one verified batch of 5. */
export function incidentFacts(overrides: Partial<IncidentFacts> = {}): IncidentFacts {
  return {
    sessionId: 's-1',
    channelId: 'C0INCIDENT',
    threadTs: '1795857600.000100',
    permalink: 'https://delphi.slack.com/archives/C0INCIDENT/p1795857600000100',
    openedAt: utc(9, 20),
    openedBy: REQUESTER,
    endedAt: utc(10, 40),
    endedBecause: 'backlog-cleared',
    firstFailureAt: utc(9, 12),
    symptoms: [{ workflow: 'webhooks', headline: '118 deliveries given up after retries' }],
    causes: [cause()],
    countsBefore: { webhooks: counts({ failed: 120, givenUp: 118, waiting: 40 }) },
    countsAfter: { webhooks: counts({ failed: 3, givenUp: 0, waiting: 2 }) },
    batches: [batchFact()],
    timeline: [
      auditEntry({
        at: utc(9, 45),
        action: 'create',
        actor: REQUESTER,
        result: 'created',
        from: '',
        to: 'pending',
      }),
      auditEntry({ at: utc(9, 50) }),
    ],
    ...overrides,
  };
}
