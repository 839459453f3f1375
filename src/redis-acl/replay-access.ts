import type { Redis } from 'ioredis';
import type { ApprovalStore } from '../approvals/approval-store';
import type { DecideRequest } from '../approvals/approval-types';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { connectRedis } from '../redis';
import type { PlanReplayRequest, PlanReplayResult } from '../runbook/plan/plan-replay';
import type { DecideBatchResult } from '../runbook/replay/decide-batch';
import type { RunApprovedResult } from '../runbook/replay/run-approved-batch';
import type { BatchJournal } from '../runbook/replay/types';

/** Said wherever a replay is refused for want of the replay connection (plan, approve, run). */
export const REPLAY_REDIS_MISSING =
  'Replay is switched off here: REQUIRE_REPLAY_REDIS_URL is set but REPLAY_REDIS_URL is not, so the bot ' +
  'has no Redis user allowed to move jobs. Diagnose, sample and verify still work; ask whoever runs the ' +
  'bot to set REPLAY_REDIS_URL (docs/redis-acl.md). A dry run (`--dry-run`) still shows the plan.';

/**
 * The connection replay moves and adds jobs on. REPLAY_REDIS_URL gets its own
 * (the replay ACL user); without it replay shares the queue reader's, unless
 * REQUIRE_REPLAY_REDIS_URL says the reader is read-only: then there is none,
 * and every replay entry point refuses (the guards below) while diagnosis runs on.
 */
export interface ReplayConnection {
  readonly redis: Redis | undefined;
  /** Opened for replay alone: closed and health-checked as its own role. */
  readonly own: boolean;
}

export function connectReplayRedis(config: Config, queues: Redis, logger: Logger): ReplayConnection {
  if (config.redis.replayUrl) {
    return { redis: connectRedis(config.redis.replayUrl, { role: 'replay', logger }), own: true };
  }
  if (config.replay.requireOwnRedis) {
    logger.warn('REQUIRE_REPLAY_REDIS_URL is set and REPLAY_REDIS_URL is not: replays will be refused');
    return { redis: undefined, own: false };
  }
  return { redis: queues, own: false };
}

/** A plan refused before any work, audited as planReplay audits its own refusals. */
export async function refusePlan(
  store: Pick<ApprovalStore, 'auditAttempt'>,
  request: PlanReplayRequest,
): Promise<PlanReplayResult> {
  await store.auditAttempt({
    session: request.sessionId,
    action: 'plan',
    actor: request.requestedBy,
    result: 'precondition',
    detail: `${request.workflow}: no replay connection (REPLAY_REDIS_URL)`,
  });
  return { kind: 'refused', reason: 'precondition', message: REPLAY_REDIS_MISSING, details: [] };
}

/**
 * The approval store as the Approve click sees it without a replay connection:
 * every approval carries a failing precondition, so the store's one atomic
 * decision refuses it after every other rule and audits it; Deny is unchanged
 * (closing a batch that cannot run is fine).
 */
export function refusingApprovals(
  store: Pick<ApprovalStore, 'get' | 'decide' | 'auditAttempt'>,
): Pick<ApprovalStore, 'get' | 'decide' | 'auditAttempt'> {
  return {
    get: (batchId) => store.get(batchId),
    auditAttempt: (entry) => store.auditAttempt(entry),
    decide: (batchId, request: DecideRequest) =>
      store.decide(
        batchId,
        request.decision === 'approve'
          ? {
              ...request,
              preconditionFailure: [request.preconditionFailure, 'no replay connection (REPLAY_REDIS_URL)']
                .filter(Boolean)
                .join('; '),
            }
          : request,
      ),
  };
}

/** Names the missing connection among the reasons the clicker is shown. */
export function withReplayReason(outcome: DecideBatchResult): DecideBatchResult {
  if (outcome.result.code !== 'precondition-failed') return outcome;
  return { ...outcome, preconditionReasons: [...outcome.preconditionReasons, REPLAY_REDIS_MISSING] };
}

/**
 * An approved batch reached without a replay connection (approved before a
 * restart with the flag set): claimed once and closed as failed with the
 * reason, exactly as a precondition failing right before execution; nothing moved.
 */
export async function refuseApprovedBatch(
  store: Pick<ApprovalStore, 'get' | 'claimForExecution' | 'finish'>,
  owner: string,
  batchId: string,
): Promise<RunApprovedResult> {
  const claim = await store.claimForExecution(batchId, owner);
  if (claim.code !== 'claimed') return { kind: 'not-claimed', claim };
  const record = await store.get(batchId);
  await store.finish(batchId, 'failed', `not run: ${REPLAY_REDIS_MISSING}`);
  if (!record) return { kind: 'not-claimed', claim };
  return { kind: 'precondition-failed', record, reasons: [REPLAY_REDIS_MISSING] };
}

/** Per journal (one per bot): the batches last reported as skipped, so each sweep does not say it again. */
const reportedSkips = new WeakMap<object, string>();

/**
 * Recovery cannot finish a half-done batch without the connection: leave the
 * journal for a bot that has it (another replica's sweep takes it over, or
 * this one once it runs with REPLAY_REDIS_URL). Said once, and again only
 * when the set of waiting batches changes: the sweep calls this every period.
 */
export async function skipRecovery(
  journal: Pick<BatchJournal, 'listUnfinished'>,
  logger: Logger,
): Promise<[]> {
  const batches = (await journal.listUnfinished()).map((u) => u.batch.id).sort();
  const said = batches.join(',');
  if (said === (reportedSkips.get(journal) ?? '')) return [];
  reportedSkips.set(journal, said);
  if (batches.length > 0) {
    logger.error(
      { batches },
      'unfinished replay batches wait: this bot has no REPLAY_REDIS_URL, so it cannot move jobs; a bot running with it set finishes them on its next recovery pass',
    );
  }
  return [];
}
