import { isBatchVerified } from '../../../src/runbook/verify/batch-verified';
import type { JournalEntry } from '../../../src/runbook/replay/types';
import type { Verification, VerificationPart } from '../../../src/runbook/verify/types';

const part = (name: VerificationPart['name'], status: VerificationPart['status']): VerificationPart => ({
  name,
  status,
  summary: `${name} said ${status}`,
  details: [],
});

function verification(status: Verification['status'], parts: VerificationPart[]): Verification {
  return {
    batchId: 'b-000000000001',
    workflow: 'webhooks',
    status,
    parts,
    startedAt: 1,
    finishedAt: 2,
    replayed: 4,
  };
}

function deps(
  stored: Verification | undefined,
  entries: [string, JournalEntry | 'unreadable'][] = [],
  running = false,
) {
  return {
    verifications: { get: () => Promise.resolve(stored), running: () => Promise.resolve(running) },
    journal: { entries: () => Promise.resolve(new Map(entries)) },
  };
}

describe('isBatchVerified', () => {
  it('unlocks growth only for a stored verification whose result is verified, with its replayed count', async () => {
    const verdict = await isBatchVerified(
      deps(verification('verified', [part('jobs', 'pass')])),
      'b-000000000001',
    );
    expect(verdict).toEqual({ verified: true, replayed: 4, reason: 'verified' });
  });

  it.each(['not-verified', 'inconclusive'] as const)(
    'keeps the ladder closed when %s, naming the parts',
    async (status) => {
      const stored = verification(status, [
        part('jobs', 'pass'),
        part('drain', status === 'inconclusive' ? 'unknown' : 'fail'),
      ]);
      const verdict = await isBatchVerified(deps(stored), 'b-000000000001');
      expect(verdict.verified).toBe(false);
      expect(verdict.replayed).toBe(4);
      expect(verdict.reason).toContain(`${status}: drain`);
      expect(verdict.reason).not.toContain('jobs pass');
    },
  );

  it('is not verified while no verification is stored, counting replayed jobs from the journal', async () => {
    const verdict = await isBatchVerified(
      deps(undefined, [
        ['1', { status: 'replayed', at: 1 }],
        ['2', { status: 'skipped', at: 1, reason: 'gone' }],
        ['3', 'unreadable'],
        ['4', { status: 'replayed', at: 1 }],
      ]),
      'b-000000000001',
    );
    expect(verdict).toEqual({
      verified: false,
      replayed: 2,
      reason: 'its verification has not finished (or never ran)',
    });
  });

  it('says so when the batch replayed nothing', async () => {
    const verdict = await isBatchVerified(
      deps(undefined, [['1', { status: 'skipped', at: 1, reason: 'x' }]]),
      'b-1',
    );
    expect(verdict).toEqual({ verified: false, replayed: 0, reason: 'the batch replayed no job' });
  });

  it('says the verification is still watching, so the ladder can wait for it', async () => {
    const verdict = await isBatchVerified(
      deps(undefined, [['1', { status: 'replayed', at: 1 }]], true),
      'b-1',
    );
    expect(verdict).toEqual({
      verified: false,
      replayed: 1,
      running: true,
      reason: 'its verification is still watching',
    });
  });
});
