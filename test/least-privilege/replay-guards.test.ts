import type { ApprovalStore } from '../../src/approvals/approval-store';
import type { ApprovalRecord, DecideRequest, DecideResult } from '../../src/approvals/approval-types';
import { silentLogger } from '../../src/logger';
import {
  REPLAY_REDIS_MISSING,
  refuseApprovedBatch,
  refusingApprovals,
  skipRecovery,
  withReplayReason,
} from '../../src/redis-acl/replay-access';
import type { DecideBatchResult } from '../../src/runbook/replay/decide-batch';

const RECORD = { manifest: { id: 'b-000000000001' }, state: 'approved' } as unknown as ApprovalRecord;

/** The replay entry points without a replay connection: each refuses, none moves a job. */
describe('replay guards without REPLAY_REDIS_URL', () => {
  it('turns an Approve into a failing precondition for the store’s atomic decision, and leaves Deny alone', async () => {
    const seen: DecideRequest[] = [];
    const store = {
      get: () => Promise.resolve(RECORD),
      auditAttempt: () => Promise.resolve(),
      decide: (_id: string, request: DecideRequest): Promise<DecideResult> => {
        seen.push(request);
        return Promise.resolve({ code: 'precondition-failed' } as DecideResult);
      },
    };
    const guarded = refusingApprovals(store);
    const base = { userId: 'U1', userAllowed: true, manifestHash: 'h' };
    await guarded.decide('b-1', { ...base, decision: 'approve' });
    await guarded.decide('b-1', { ...base, decision: 'approve', preconditionFailure: 'Stripe down' });
    await guarded.decide('b-1', { ...base, decision: 'deny' });
    expect(seen.map((r) => r.preconditionFailure)).toEqual([
      'no replay connection (REPLAY_REDIS_URL)',
      'Stripe down; no replay connection (REPLAY_REDIS_URL)',
      undefined,
    ]);
  });

  it('tells the clicker why, only when the approval was refused for a precondition', () => {
    const outcome = (code: string): DecideBatchResult =>
      ({ result: { code }, approverReason: '', preconditionReasons: [] }) as unknown as DecideBatchResult;
    expect(withReplayReason(outcome('precondition-failed')).preconditionReasons).toEqual([
      REPLAY_REDIS_MISSING,
    ]);
    expect(withReplayReason(outcome('self-approval')).preconditionReasons).toEqual([]);
  });

  it('closes an approved batch as failed with the reason, once, and moves nothing', async () => {
    const finished: string[] = [];
    let claims = 0;
    const store: Pick<ApprovalStore, 'get' | 'claimForExecution' | 'finish'> = {
      get: () => Promise.resolve(RECORD),
      claimForExecution: () =>
        Promise.resolve(++claims === 1 ? { code: 'claimed' } : { code: 'not-approved' }),
      finish: (_id, outcome, summary) => {
        finished.push(`${outcome}: ${summary}`);
        return Promise.resolve({ code: 'finished' });
      },
    };
    const first = await refuseApprovedBatch(store, 'owner-1', 'b-000000000001');
    const second = await refuseApprovedBatch(store, 'owner-2', 'b-000000000001');
    expect(first).toEqual({ kind: 'precondition-failed', record: RECORD, reasons: [REPLAY_REDIS_MISSING] });
    expect(second.kind).toBe('not-claimed');
    expect(finished).toEqual([`failed: not run: ${REPLAY_REDIS_MISSING}`]);
  });

  it('leaves unfinished journals for later and logs which', async () => {
    const errors: unknown[] = [];
    const logger = {
      ...silentLogger,
      error: (obj: unknown) => errors.push(obj),
    } as unknown as typeof silentLogger;
    const journal = {
      listUnfinished: () =>
        Promise.resolve([
          { batch: { id: 'b-9', queuePrefix: 'bull', queue: 'q', jobs: [] }, owner: null, createdAt: 1 },
        ]),
    };
    expect(await skipRecovery(journal, logger)).toEqual([]);
    expect(errors).toEqual([{ batches: ['b-9'] }]);
  });
});
