import type { ApprovalRecord, AuditEntry } from '../../approvals/approval-types';
import type { IncidentSession } from '../../sessions/session-store';
import { WORKFLOW_IDS } from '../../workflows';
import type { WorkflowId } from '../../workflows/types';
import { replayedIn, type BatchJournal } from '../replay/types';
import type { VerificationStore } from '../verify/verification-store';
import type { BatchFact, IncidentFacts, WorkflowCounts } from './types';

export interface FactsDeps {
  /** The incident's audit entries (its own and its batches'), oldest first. */
  readonly timeline: (sessionId: string, since: number) => Promise<AuditEntry[]>;
  readonly batchesOf: (sessionId: string, workflow: WorkflowId) => Promise<ApprovalRecord[]>;
  readonly verifications: Pick<VerificationStore, 'get'>;
  readonly journal: Pick<BatchJournal, 'entries'>;
}

export interface FactsExtra {
  readonly endedAt?: number;
  readonly endedBecause?: IncidentFacts['endedBecause'];
  readonly countsAfter?: Partial<Record<WorkflowId, WorkflowCounts>>;
  readonly permalink?: string;
}

async function batchFact(deps: FactsDeps, record: ApprovalRecord): Promise<BatchFact> {
  const { manifest } = record;
  const verification = await deps.verifications.get(manifest.id);
  const ran = record.state === 'done' || record.state === 'failed';
  const replayed = ran
    ? (verification?.replayed ?? replayedIn(await deps.journal.entries(manifest.id)).ids.length)
    : undefined;
  return {
    batchId: manifest.id,
    workflow: manifest.workflow,
    kind: manifest.kind,
    batchNumber: manifest.batchNumber,
    jobs: manifest.jobs.length,
    ...(replayed !== undefined ? { replayed } : {}),
    requestedBy: manifest.requestedBy,
    requestedAt: manifest.createdAt,
    state: record.state,
    ...(record.decidedBy ? { decidedBy: record.decidedBy } : {}),
    ...(record.decidedAt !== undefined ? { decidedAt: record.decidedAt } : {}),
    ...(record.finishedAt !== undefined ? { finishedAt: record.finishedAt } : {}),
    ...(verification ? { verification: verification.status } : {}),
  };
}

/**
 * The note and the summary are built from the bot's own record, never from
 * chat text (issue 5, item 4): the session's findings, every batch of the
 * incident with its verification, and the audit stream.
 */
export async function incidentFacts(
  deps: FactsDeps,
  session: IncidentSession,
  extra: FactsExtra = {},
): Promise<IncidentFacts> {
  const records = (
    await Promise.all(WORKFLOW_IDS.map((workflow) => deps.batchesOf(session.id, workflow)))
  ).flat();
  const batches = (await Promise.all(records.map((record) => batchFact(deps, record)))).sort(
    (a, b) => a.requestedAt - b.requestedAt,
  );
  const findings = session.findings;
  return {
    sessionId: session.id,
    channelId: session.channelId,
    threadTs: session.threadTs,
    openedAt: session.openedAt,
    openedBy: session.requestedBy,
    ...(findings?.firstFailureAt !== undefined ? { firstFailureAt: findings.firstFailureAt } : {}),
    symptoms: findings?.symptoms ?? [],
    causes: findings?.causes ?? [],
    countsBefore: findings?.countsBefore ?? {},
    batches,
    // A minute of slack: the diagnosis that opened the session is audited just after it finished.
    timeline: await deps.timeline(session.id, session.openedAt - 60_000),
    ...extra,
  };
}
