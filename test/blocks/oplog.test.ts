import type { ContextBlock, KnownBlock, SectionBlock } from '@slack/types';
import { BlockId } from '../../blocks/ids';
import { blockTextLength, findBlockKitViolations, LIMITS } from '../../blocks/limits';
import { cutMrkdwn, incidentSummaryMessage, noteMessage } from '../../blocks/oplog';
import type { AuditEntry } from '../../src/approvals/approval-types';
import type { BatchFact } from '../../src/runbook/oplog/types';
import {
  APPROVER,
  auditEntry,
  batchFact,
  cause,
  counts,
  incidentFacts,
  REQUESTER,
  utc,
} from '../runbook/oplog/fixtures';

function block(message: { blocks: readonly KnownBlock[] }, id: string): KnownBlock | undefined {
  return message.blocks.find((b) => b.block_id === id);
}

function sectionText(message: { blocks: readonly KnownBlock[] }, id: string): string {
  return (block(message, id) as SectionBlock | undefined)?.text?.text ?? '';
}

function contextTexts(message: { blocks: readonly KnownBlock[] }, id: string): string[] {
  const found = block(message, id) as ContextBlock | undefined;
  return (found?.elements ?? []).map((e) => ('text' in e ? e.text : ''));
}

/** No `<` left open: a cut mention or link would render broken. */
function balancedAngles(text: string): boolean {
  return text.lastIndexOf('<') <= text.lastIndexOf('>') && !/<[^>]*</.test(text);
}

function manyBatches(n: number): BatchFact[] {
  return Array.from({ length: n }, (_, i) =>
    batchFact({
      batchId: `b-${i}`,
      batchNumber: i + 1,
      requestedAt: utc(9, 45) + i * 60_000,
      decidedAt: utc(9, 50) + i * 60_000,
      verification: i % 3 === 0 ? 'not-verified' : 'verified',
    }),
  );
}

function manyEntries(n: number): AuditEntry[] {
  return Array.from({ length: n }, (_, i) =>
    auditEntry({
      at: utc(9, 0) + i * 1_000,
      actor: i % 2 === 0 ? APPROVER : REQUESTER,
      result: i % 2 === 0 ? 'approved' : 'self-approval',
      detail: `attempt ${i} ${'d'.repeat(i % 7 === 0 ? 400 : 10)}`,
    }),
  );
}

const longCauses = Array.from({ length: 12 }, (_, i) =>
  cause({ text: `cause ${i} <${'x'.repeat(2_000)}> & more`, suspected: i % 2 === 0, inDelphi: i === 11 }),
);

describe('noteMessage', () => {
  it('puts the paragraph in a code block under the "Operations-log draft" header, with its facts', () => {
    const message = noteMessage(incidentFacts());
    expect(findBlockKitViolations(message)).toEqual([]);
    const header = block(message, BlockId.oplogHeader);
    expect(header?.type).toBe('header');
    expect((header as { text: { text: string } }).text.text).toBe('Operations-log draft');
    const note = sectionText(message, BlockId.oplogNote);
    expect(note.startsWith('```\nSince 2026-11-28 09:12 UTC.')).toBe(true);
    expect(note.endsWith('\n```')).toBe(true);
    expect(note).toContain(`approved by <@${APPROVER}> at 09:50 UTC`);
    expect(note).toContain('webhooks failed 120 → 3');
    expect(message.text).toContain('Operations-log draft: Since 2026-11-28 09:12 UTC.');
  });

  it('escapes record text for mrkdwn and keeps it from closing the code block', () => {
    const message = noteMessage(incidentFacts({ causes: [cause({ text: 'a <b> & ```c``` <!channel>' })] }));
    const note = sectionText(message, BlockId.oplogNote);
    expect(note).toContain("a &lt;b&gt; &amp; '''c''' &lt;!channel&gt;");
    expect(note.match(/```/g)).toHaveLength(2);
    expect(findBlockKitViolations(message)).toEqual([]);
  });

  it('shows the Getting help line only when a cause is inside Delphi', () => {
    const inside = noteMessage(incidentFacts({ causes: [cause({ inDelphi: true })] }));
    expect(sectionText(inside, BlockId.oplogNote)).toContain(
      'The root cause is inside Delphi: file it via Getting help.',
    );
    expect(contextTexts(inside, BlockId.oplogFooter).some((t) => t.includes('Getting help'))).toBe(true);
    const upstream = noteMessage(incidentFacts());
    expect(sectionText(upstream, BlockId.oplogNote)).not.toContain('Getting help');
    expect(contextTexts(upstream, BlockId.oplogFooter).some((t) => t.includes('Getting help'))).toBe(false);
  });

  it('caps long causes first, with a note, keeping the paragraph whole and valid', () => {
    const message = noteMessage(incidentFacts({ causes: longCauses.slice(0, 4) }));
    expect(findBlockKitViolations(message)).toEqual([]);
    const note = sectionText(message, BlockId.oplogNote);
    expect(note.length).toBeLessThanOrEqual(LIMITS.sectionText);
    expect(note).toContain('Verified result'); // later sentences survive
    expect(note).toContain('(suspected)');
    expect(contextTexts(message, BlockId.oplogFooter).some((t) => t.startsWith(':scissors: Shortened'))).toBe(
      true,
    );
  });

  it('cuts the paragraph as a last resort, without breaking a mention, and says so', () => {
    const message = noteMessage(incidentFacts({ causes: longCauses, batches: manyBatches(120) }));
    expect(findBlockKitViolations(message)).toEqual([]);
    const note = sectionText(message, BlockId.oplogNote);
    expect(note.length).toBeLessThanOrEqual(LIMITS.sectionText);
    expect(note.endsWith('… (cut)\n```')).toBe(true);
    expect(balancedAngles(note)).toBe(true);
    const footer = contextTexts(message, BlockId.oplogFooter);
    expect(footer.some((t) => t.startsWith(':scissors: Cut'))).toBe(true);
    // The cut paragraph lost its last sentence; the footer still carries it.
    expect(footer.some((t) => t.includes('Getting help'))).toBe(true);
    expect(message.text.length).toBeLessThanOrEqual(LIMITS.fallbackText);
  });
});

describe('incidentSummaryMessage', () => {
  it('says who opened it and when, when and why it ended, and the root cause', () => {
    const message = incidentSummaryMessage(incidentFacts({ causes: [cause({ suspected: true })] }));
    expect(findBlockKitViolations(message)).toEqual([]);
    expect((block(message, BlockId.summaryHeader) as { text: { text: string } }).text.text).toBe(
      'Incident summary',
    );
    const overview = sectionText(message, BlockId.summaryOverview);
    expect(overview).toContain(`*Opened* by <@${REQUESTER}> at 2026-11-28 09:20 UTC`);
    expect(overview).toContain('*First failure* 2026-11-28 09:12 UTC');
    expect(overview).toContain('*Ended* 2026-11-28 10:40 UTC: the backlog cleared');
    expect(overview).toContain('tenant acme.example returned 503 from 09:12 to 09:47 UTC (suspected)');
    expect(overview).not.toContain('Getting help');
  });

  it('says an open incident is still open', () => {
    const message = incidentSummaryMessage(incidentFacts({ endedAt: undefined, endedBecause: undefined }));
    expect(sectionText(message, BlockId.summaryOverview)).toContain('*Ended* not yet');
    expect(message.text).toContain('still open');
  });

  it('shows counts before → after as one field per workflow', () => {
    const message = incidentSummaryMessage(
      incidentFacts({
        countsBefore: { webhooks: counts({ failed: 120, givenUp: 118 }), billing: counts({ failed: 7 }) },
        countsAfter: { webhooks: counts({ failed: 3 }) },
      }),
    );
    const fields = (block(message, BlockId.summaryCounts) as SectionBlock).fields!.map((f) => f.text);
    expect(fields).toHaveLength(2);
    expect(fields[0]).toBe('*webhooks*\nfailed 120 → 3\ngiven up 118 → 0');
    expect(fields[1]).toContain('*billing* (not counted after)');
    expect(fields[1]).toContain('failed 7');
  });

  it('lists each batch with its verification and the overall result', () => {
    const message = incidentSummaryMessage(
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
            requestedAt: utc(10, 10),
            state: 'denied',
            replayed: undefined,
            verification: undefined,
            decidedAt: utc(10, 12),
          }),
        ],
      }),
    );
    const text = sectionText(message, BlockId.summaryBatches);
    expect(text).toContain(
      `• Batch 1 of webhooks: 5 jobs replayed, requested by <@${REQUESTER}>, approved by <@${APPROVER}> at 09:50 UTC · :white_check_mark: verified`,
    );
    expect(text).toContain('• Batch 2 of webhooks: 5 jobs replayed');
    expect(text).toContain(':x: not verified');
    expect(text).toContain(`• Batch 3 of webhooks (5 jobs) denied by <@${APPROVER}> at 10:12 UTC\n`);
    expect(text).toContain('1 of 2 batches that ran not verified.');
    expect(message.text).toContain('2 batches ran, 1 not verified');
  });

  it('gives the timeline one line per audited step, oldest first, refusals included', () => {
    const message = incidentSummaryMessage(
      incidentFacts({
        timeline: [
          auditEntry({ at: utc(9, 50) }),
          auditEntry({ at: utc(9, 48), actor: REQUESTER, result: 'self-approval', to: 'pending' }),
          auditEntry({ at: utc(9, 45), action: 'create', actor: REQUESTER, result: 'created' }),
        ],
      }),
    );
    const lines = sectionText(message, BlockId.summaryTimeline).split('\n');
    expect(lines[0]).toBe('*Timeline* (3 audited steps, oldest first)');
    expect(lines.slice(1)).toEqual([
      `09:45 UTC request by <@${REQUESTER}>: batch created (batch 1 of webhooks)`,
      `09:48 UTC approve by <@${REQUESTER}>: refused, the requester cannot approve their own batch (batch 1 of webhooks)`,
      `09:50 UTC approve by <@${APPROVER}>: approved (batch 1 of webhooks)`,
    ]);
  });

  it('links the thread when there is a permalink, and only a plain https one', () => {
    const linked = incidentSummaryMessage(incidentFacts());
    expect(contextTexts(linked, BlockId.summaryLink)).toEqual([
      ':thread: <https://delphi.slack.com/archives/C0INCIDENT/p1795857600000100|Open the incident thread>',
    ]);
    expect(block(incidentSummaryMessage(incidentFacts({ permalink: undefined })), BlockId.summaryLink)).toBe(
      undefined,
    );
    const forged = incidentSummaryMessage(incidentFacts({ permalink: 'https://evil.example/|click me' }));
    expect(block(forged, BlockId.summaryLink)).toBe(undefined);
  });

  it('stays within Block Kit limits with 500 timeline steps, 120 batches and long causes, saying how many are left out', () => {
    const facts = incidentFacts({
      causes: longCauses,
      batches: manyBatches(120),
      timeline: manyEntries(500),
      symptoms: [{ workflow: 'webhooks', headline: 'h'.repeat(5_000) }],
    });
    const message = incidentSummaryMessage(facts);
    expect(findBlockKitViolations(message)).toEqual([]);
    expect(blockTextLength(message.blocks)).toBeLessThanOrEqual(LIMITS.totalText);

    const timeline = sectionText(message, BlockId.summaryTimeline).split('\n');
    const shown = timeline.filter((l) => / UTC /.test(l)).length;
    const moreLine = timeline.find((l) => l.startsWith('…and '));
    const more = /^…and (\d+) more \(the audit stream has every step\)$/.exec(moreLine ?? '');
    expect(more).not.toBeNull();
    expect(shown).toBeGreaterThan(5);
    expect(shown + Number(more![1])).toBe(500);
    expect(timeline[1]).toMatch(/^09:00 UTC approve/); // oldest first
    // Both ends kept, the middle dropped: how it began and how it ended.
    const index = timeline.indexOf(moreLine!);
    expect(index).toBeGreaterThan(1);
    expect(index).toBeLessThan(timeline.length - 1);
    expect(timeline.every(balancedAngles)).toBe(true);

    const batches = sectionText(message, BlockId.summaryBatches);
    const moreBatches = /…and (\d+) more batches/.exec(batches);
    expect(moreBatches).not.toBeNull();
    expect(batches.split('\n').filter((l) => l.startsWith('• ')).length + Number(moreBatches![1])).toBe(120);
    expect(batches).toContain('40 of 120 batches that ran not verified.');
    expect(sectionText(message, BlockId.summaryOverview)).toContain('Getting help');
  });
});

describe('cutMrkdwn', () => {
  it('never ends inside a mention or an escape', () => {
    const text = `approved by <@${APPROVER}> &amp; more`;
    for (let max = 12; max < text.length; max += 1) {
      const cut = cutMrkdwn(text, max, '…');
      expect(cut.length).toBeLessThanOrEqual(max);
      expect(balancedAngles(cut)).toBe(true);
      expect(cut).not.toMatch(/&[a-z]*…$/);
    }
  });
});
