import { GETTING_HELP_SENTENCE, operationsLogNote } from '../../../src/runbook/oplog/note';
import { APPROVER, batchFact, cause, counts, incidentFacts, REQUESTER, utc } from './fixtures';

describe('operationsLogNote', () => {
  it('says when it started, the symptom, the root cause, what was done, the verified result and the counts, in that order', () => {
    const note = operationsLogNote(incidentFacts());
    expect(note.startsWith('Since 2026-11-28 09:12 UTC.')).toBe(true);
    const order = [
      'Since 2026-11-28 09:12 UTC',
      'Symptom: webhooks: 118 deliveries given up after retries',
      'Root cause: tenant acme.example returned 503 from 09:12 to 09:47 UTC',
      'What was done: batch 1 of webhooks: 5 jobs replayed',
      'Verified result: batch 1 of webhooks verified (all batches verified)',
      'Counts before → after: webhooks failed 120 → 3, given up 118 → 0, waiting 40 → 2.',
    ].map((part) => note.indexOf(part));
    expect(order.every((index) => index >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('falls back to the opening time, and says so, when the first failure is unknown', () => {
    const note = operationsLogNote(incidentFacts({ firstFailureAt: undefined }));
    expect(note).toMatch(/^Since at least 2026-11-28 09:20 UTC \(when the incident was opened/);
  });

  it('names the requester and the approver as Slack mentions, with the approval time', () => {
    const note = operationsLogNote(incidentFacts());
    expect(note).toContain(
      `batch 1 of webhooks: 5 jobs replayed, requested by <@${REQUESTER}>, approved by <@${APPROVER}> at 09:50 UTC`,
    );
  });

  it('gives the full date for a step on a later UTC day than the start', () => {
    const note = operationsLogNote(incidentFacts({ batches: [batchFact({ decidedAt: utc(0, 5, 29) })] }));
    expect(note).toContain(`approved by <@${APPROVER}> at 2026-11-29 00:05 UTC`);
  });

  it('marks suspected causes "suspected" and leaves observed ones plain', () => {
    const note = operationsLogNote(
      incidentFacts({
        causes: [
          cause({ text: 'Ops worker container restarting', suspected: true }),
          cause({ text: 'tenant endpoint returned 503.' }),
        ],
      }),
    );
    expect(note).toContain(
      'Root causes: Ops worker container restarting (suspected); tenant endpoint returned 503.',
    );
    expect(note.match(/suspected/g)).toHaveLength(1);
  });

  it('says the root cause was not identified when there is none', () => {
    expect(operationsLogNote(incidentFacts({ causes: [] }))).toContain('Root cause: not identified.');
  });

  it('ends with the Getting help line only when a cause is inside Delphi', () => {
    const inside = operationsLogNote(
      incidentFacts({
        causes: [cause(), cause({ text: 'Ops queue paused', inDelphi: true, suspected: true })],
      }),
    );
    expect(inside.endsWith(GETTING_HELP_SENTENCE)).toBe(true);
    expect(GETTING_HELP_SENTENCE).toBe('The root cause is inside Delphi: file it via Getting help.');
    const upstream = operationsLogNote(incidentFacts({ causes: [cause({ inDelphi: false })] }));
    expect(upstream).not.toContain('Getting help');
  });

  it('says "enqueued" for enqueue batches and treats denied and expired batches briefly', () => {
    const note = operationsLogNote(
      incidentFacts({
        batches: [
          batchFact({ batchId: 'b-rec-1', workflow: 'recordings', kind: 'enqueue', jobs: 3, replayed: 3 }),
          batchFact({
            batchId: 'b-2',
            batchNumber: 2,
            jobs: 20,
            replayed: undefined,
            state: 'denied',
            decidedAt: utc(10, 2),
            requestedAt: utc(10, 0),
            verification: undefined,
          }),
          batchFact({
            batchId: 'b-3',
            batchNumber: 3,
            jobs: 20,
            replayed: undefined,
            state: 'expired',
            decidedBy: undefined,
            decidedAt: undefined,
            requestedAt: utc(10, 10),
            verification: undefined,
          }),
        ],
      }),
    );
    expect(note).toContain(`enqueue batch 1 of recordings: 3 jobs enqueued, requested by <@${REQUESTER}>`);
    expect(note).toContain(`batch 2 of webhooks (20 jobs) denied by <@${APPROVER}> at 10:02 UTC;`);
    expect(note).toContain('batch 3 of webhooks (20 jobs) expired without a decision.');
    // Only the batch that ran has a verification to report.
    expect(note).toContain('Verified result: enqueue batch 1 of recordings verified (all batches verified).');
  });

  it('says how many jobs of a partly replayed or failed batch moved', () => {
    const note = operationsLogNote(
      incidentFacts({
        batches: [
          batchFact({ jobs: 10, replayed: 9 }),
          batchFact({
            batchId: 'b-2',
            batchNumber: 2,
            requestedAt: utc(10, 0),
            state: 'failed',
            jobs: 20,
            replayed: 4,
          }),
        ],
      }),
    );
    expect(note).toContain('batch 1 of webhooks: 9 of 10 jobs replayed');
    expect(note).toContain('batch 2 of webhooks: failed after 4 of 20 jobs replayed');
  });

  it('reports each batch verification and counts the ones not verified', () => {
    const note = operationsLogNote(
      incidentFacts({
        batches: [
          batchFact(),
          batchFact({
            batchId: 'b-2',
            batchNumber: 2,
            requestedAt: utc(10, 0),
            verification: 'not-verified',
          }),
          batchFact({
            batchId: 'b-3',
            batchNumber: 3,
            requestedAt: utc(10, 20),
            verification: 'inconclusive',
          }),
          batchFact({ batchId: 'b-4', batchNumber: 4, requestedAt: utc(10, 30), verification: undefined }),
        ],
      }),
    );
    expect(note).toContain(
      'Verified result: batch 1 of webhooks verified; batch 2 of webhooks not verified; batch 3 of webhooks inconclusive; batch 4 of webhooks not checked yet (3 not verified).',
    );
  });

  it('gives counts before → after per workflow only when counts after exist', () => {
    const two = operationsLogNote(
      incidentFacts({
        countsBefore: {
          billing: counts({ failed: 7, givenUp: 7 }),
          webhooks: counts({ failed: 1_204, givenUp: 1_200, delayed: 3 }),
        },
        countsAfter: { webhooks: counts({ failed: 0, delayed: 1 }), billing: counts() },
      }),
    );
    expect(two).toContain(
      'Counts before → after: webhooks failed 1,204 → 0, given up 1,200 → 0, delayed 3 → 1; billing failed 7 → 0, given up 7 → 0.',
    );
    const noAfter = operationsLogNote(incidentFacts({ countsAfter: undefined }));
    expect(noAfter).not.toContain('Counts before');
  });

  it('says nothing was replayed when no batch exists, and reports no verification', () => {
    const note = operationsLogNote(incidentFacts({ batches: [] }));
    expect(note).toContain('What was done: nothing was replayed or enqueued.');
    expect(note).not.toContain('Verified result');
  });

  it('is one deterministic paragraph with no line breaks or trailing spaces', () => {
    const facts = incidentFacts({
      symptoms: [{ workflow: 'webhooks', headline: 'line one\nline two\t ' }],
      causes: [cause({ text: '  cause with\r\nbreaks  ' })],
    });
    const note = operationsLogNote(facts);
    expect(note).toBe(operationsLogNote(facts));
    expect(note).not.toMatch(/[\n\r\t]/);
    expect(note).not.toMatch(/\s$/);
    expect(note).not.toMatch(/ {2}/);
    expect(note).toContain('Symptom: webhooks: line one line two.');
  });

  it('masks secrets that reached a cause text', () => {
    const secret = 'sk_live_51Habcdefghijklmnopqrstuvwx';
    const note = operationsLogNote(
      incidentFacts({ causes: [cause({ text: `Stripe rejected key ${secret} with 401` })] }),
    );
    expect(note).not.toContain(secret);
    expect(note).toContain('Stripe rejected key');
  });
});
