import { outcomeSummary } from '../../../src/runbook/replay/run-approved-batch';
import { SkipReason, type JobOutcome } from '../../../src/runbook/replay/types';

const replayed = (jobId: string): JobOutcome => ({ jobId, status: 'replayed' });
const skipped = (jobId: string, reason?: string): JobOutcome => ({
  jobId,
  status: 'skipped',
  ...(reason !== undefined ? { reason } : {}),
});

describe('outcomeSummary', () => {
  it('counts the replayed jobs out of all of them', () => {
    expect(outcomeSummary([replayed('1'), replayed('2')])).toBe('2 of 2 replayed');
  });

  it('groups the skipped jobs by reason, in order of first appearance', () => {
    expect(
      outcomeSummary([
        skipped('1', SkipReason.NotFailed),
        replayed('2'),
        skipped('3', SkipReason.Gone),
        skipped('4', SkipReason.NotFailed),
      ]),
    ).toBe('1 of 4 replayed; left out: 2 no longer failed, 1 no longer exists');
  });

  it('says "skipped" for a skip without a reason', () => {
    expect(outcomeSummary([skipped('1'), replayed('2')])).toBe('1 of 2 replayed; left out: 1 skipped');
  });
});
