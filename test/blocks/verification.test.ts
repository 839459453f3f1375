import { BlockId } from '../../blocks/ids';
import { findBlockKitViolations } from '../../blocks/limits';
import { verificationMessage } from '../../blocks/verification';
import { createBatchManifest } from '../../src/approvals/batch-manifest';
import type { Verification, VerificationPart } from '../../src/runbook/verify/types';
import { manifestInput } from '../approvals/fixtures';

const manifest = createBatchManifest(manifestInput({ batchNumber: 2 }), 1_700_000_000_000);
const part = (
  name: VerificationPart['name'],
  status: VerificationPart['status'],
  details: string[] = [],
) => ({
  name,
  status,
  summary: `${name} is ${status}`,
  details,
});
const verification = (status: Verification['status'], parts: VerificationPart[]): Verification => ({
  batchId: manifest.id,
  workflow: 'webhooks',
  status,
  parts,
  startedAt: 0,
  finishedAt: 12_000,
  replayed: 5,
});
const text = (message: { blocks: unknown[] }) => JSON.stringify(message.blocks);

describe('verificationMessage', () => {
  it('shows the watch while it runs', () => {
    const message = verificationMessage({
      manifest,
      progress: { elapsedMs: 4_000, windowMs: 120_000, completed: 3, failedAgain: 1, replayed: 5 },
    });
    expect(message.text).toBe('Verification of batch 2 (webhooks): watching');
    expect(text(message)).toContain(
      'Watching for up to 120 s: 3 of 5 replayed jobs completed, 1 failed again (4 s so far).',
    );
  });

  it('says verified, lists the four parts and how to plan the next batch', () => {
    const message = verificationMessage({
      manifest,
      verification: verification('verified', [
        part('jobs', 'pass'),
        part('drain', 'pass'),
        part('downstream', 'pass'),
        part('error-rate', 'skipped'),
      ]),
    });
    expect(message.text).toBe('Verification of batch 2 (webhooks): verified');
    expect(text(message)).toContain('*Verified.*');
    expect(text(message)).toContain('`/stuckjobs replay webhooks` plans it.');
    expect(text(message)).toContain(':heavy_minus_sign: *Ops error rate*: error-rate is skipped');
  });

  it('keeps the ladder closed when not verified and says what to look at, per failing part', () => {
    const details = Array.from({ length: 8 }, (_, i) => `job ${i} failed again: HTTP 410`);
    const message = verificationMessage({
      manifest,
      verification: verification('not-verified', [part('jobs', 'fail', details), part('drain', 'unknown')]),
    });
    const shown = text(message);
    expect(shown).toContain('*Not verified.* The ladder stays closed');
    expect(shown).toContain('read the new failure reasons');
    expect(shown).toContain('`/stuckjobs verify webhooks`');
    expect(shown).toContain('job 4 failed again');
    expect(shown).not.toContain('job 5 failed again');
    expect(shown).toContain('…and 3 more');
    expect(findBlockKitViolations(message)).toEqual([]);
  });

  it('stays within Block Kit limits with huge part details', () => {
    const huge = Array.from({ length: 500 }, (_, i) => `job ${i} ${'x'.repeat(400)}`);
    const message = verificationMessage({
      manifest,
      verification: verification('inconclusive', [
        part('jobs', 'unknown', huge),
        part('downstream', 'fail', huge),
      ]),
    });
    expect(findBlockKitViolations(message)).toEqual([]);
    expect(message.blocks.map((b) => ('block_id' in b ? b.block_id : ''))).toEqual([
      BlockId.verificationHeader,
      BlockId.verificationResult,
      BlockId.verificationParts,
      BlockId.verificationContext,
    ]);
  });
});
