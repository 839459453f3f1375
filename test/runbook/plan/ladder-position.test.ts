import type { ApprovalRecord, ApprovalState } from '../../../src/approvals/approval-types';
import { createBatchManifest } from '../../../src/approvals/batch-manifest';
import { ladderPosition } from '../../../src/runbook/plan/ladder-position';
import type { BatchVerdict } from '../../../src/runbook/verify/batch-verified';
import { manifestInput } from '../../approvals/fixtures';

const NOW = 1_750_000_000_000;
const TTL = 15 * 60_000;

function record(
  state: ApprovalState,
  over: { batchNumber?: number; dryRun?: boolean; expiresAt?: number; summary?: string } = {},
): ApprovalRecord {
  const created = NOW - 60_000;
  const manifest = createBatchManifest(
    manifestInput({
      batchNumber: over.batchNumber ?? 1,
      dryRun: over.dryRun ?? false,
      createdAt: created,
      expiresAt: over.expiresAt ?? created + TTL,
    }),
    created,
  );
  return {
    manifest,
    manifestHash: 'hash',
    state,
    ...(over.summary !== undefined ? { summary: over.summary } : {}),
  };
}

const verified = (replayed: number): BatchVerdict => ({
  verified: true,
  reason: `all ${replayed} replayed jobs completed`,
  replayed,
});

/** Answers per record (by batch id), `verified(2)` for any other; records what it was asked. */
function verifier(verdicts: Map<ApprovalRecord, BatchVerdict> = new Map()) {
  const asked: ApprovalRecord[] = [];
  const verify = (r: ApprovalRecord) => {
    asked.push(r);
    return Promise.resolve(verdicts.get(r) ?? verified(2));
  };
  return { verify, asked };
}

describe('ladderPosition', () => {
  it('is batch 1 with nothing open and nothing to verify for a new replay', async () => {
    const { verify, asked } = verifier();
    expect(await ladderPosition([], NOW, verify)).toEqual({ batchNumber: 1 });
    expect(asked).toEqual([]);
  });

  it('counts neither denied, expired, failed nor dry-run batches, and verifies none of them', async () => {
    const { verify, asked } = verifier();
    const records = [
      record('denied'),
      record('expired'),
      record('failed', { summary: 'not run: preconditions failed right before execution' }),
      record('done', { dryRun: true }),
      record('pending', { dryRun: true }),
    ];

    expect(await ladderPosition(records, NOW, verify)).toEqual({ batchNumber: 1 });
    expect(asked).toEqual([]);
  });

  it.each(['approved', 'executing'] as const)('treats an %s batch as open', async (state) => {
    const open = record(state);
    const position = await ladderPosition([open], NOW, verifier().verify);
    expect(position.open).toBe(open);
    expect(position.batchNumber).toBe(1);
  });

  it('treats a pending batch as open until it expires, and not from then on', async () => {
    const { verify } = verifier();
    const pending = record('pending', { expiresAt: NOW + 1 });
    expect((await ladderPosition([pending], NOW, verify)).open).toBe(pending);

    const lapsed = record('pending', { expiresAt: NOW });
    expect((await ladderPosition([lapsed], NOW, verify)).open).toBeUndefined();
  });

  it('numbers the next batch from the done batches that replayed something', async () => {
    const movedNothing = record('done', { batchNumber: 2 });
    const verdicts = new Map([
      [movedNothing, { verified: false, reason: 'the batch replayed no job', replayed: 0 }],
    ]);
    const records = [
      record('done', { batchNumber: 1 }),
      record('denied', { batchNumber: 2 }),
      movedNothing,
      record('failed', { batchNumber: 2 }),
      record('done', { batchNumber: 2 }),
    ];

    expect((await ladderPosition(records, NOW, verifier(verdicts).verify)).batchNumber).toBe(3);
  });

  it('never asks verify about a failed batch, and does not take it as the previous one', async () => {
    const done = record('done', { batchNumber: 1 });
    const failed = record('failed', { batchNumber: 2, summary: 'not run: preconditions failed' });
    const { verify, asked } = verifier();

    const position = await ladderPosition([done, failed], NOW, verify);

    expect(asked).toEqual([done]);
    expect(position).toEqual({ batchNumber: 2, previous: { record: done, verdict: verified(2) } });
  });

  it('treats a done batch whose verification still watches as open', async () => {
    const done = record('done', { batchNumber: 1 });
    const watching: BatchVerdict = { verified: false, replayed: 3, running: true, reason: 'still watching' };
    const position = await ladderPosition([done], NOW, verifier(new Map([[done, watching]])).verify);
    expect(position.open).toBe(done);
    expect(position.batchNumber).toBe(2);
  });

  it('hands on the verdict of the last done batch as the previous one', async () => {
    const notYet: BatchVerdict = {
      verified: false,
      reason: '1 of 2 replayed jobs have not completed',
      replayed: 2,
    };
    const first = record('done', { batchNumber: 1 });
    const last = record('done', { batchNumber: 2 });
    const open = record('pending', { batchNumber: 3 });
    const { verify, asked } = verifier(new Map([[last, notYet]]));

    const position = await ladderPosition([first, last, open], NOW, verify);

    expect(asked).toContain(last);
    expect(position).toEqual({ batchNumber: 3, open, previous: { record: last, verdict: notYet } });
  });

  it('skips a last done batch that replayed nothing when choosing the previous one', async () => {
    const first = record('done', { batchNumber: 1 });
    const empty = record('done', { batchNumber: 2 });
    const nothing: BatchVerdict = { verified: false, reason: 'the batch replayed no job', replayed: 0 };

    const position = await ladderPosition([first, empty], NOW, verifier(new Map([[empty, nothing]])).verify);

    expect(position).toEqual({ batchNumber: 2, previous: { record: first, verdict: verified(2) } });
  });
});
