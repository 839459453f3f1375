import type { Button, KnownBlock, SectionBlock } from '@slack/types';
import type { GateBlock } from '../src/approvals/replay-gate';
import { age, count } from '../src/runbook/format';
import type { CheckStatus, CohortCount, SampledJob, SampleOutcome } from '../src/runbook/inspect/types';
import type { BuiltMessage } from './diagnosis';
import { ActionId, BlockId } from './ids';
import { blockTextLength, LIMITS } from './limits';
import { context, escapeMrkdwn, externalText, mrkdwn, plain, section, truncate } from './text';

export interface SamplesView {
  readonly outcome: SampleOutcome;
  readonly workflowTitle: string;
  readonly requestedBy: string;
  /** Every block now standing on this workflow, after this sample was recorded. */
  readonly gate: readonly GateBlock[];
}

const checkEmoji: Record<CheckStatus, string> = {
  pass: ':white_check_mark:',
  fail: ':x:',
  unknown: ':grey_question:',
};

/**
 * How LIMITS.totalText (12,000) is shared: the gate and cohort sections are
 * capped, header, summary and footer take well under 1,000, and the jobs
 * share the rest evenly. Each job's payload preview gets what its details and
 * checks leave of its share.
 */
const GATE_TEXT_MAX = 1_500;
const COHORT_FIELD_MAX = 250;
const JOBS_TEXT_BUDGET = 8_400;
const PAYLOAD_PREVIEW_MAX = 2_400;
const PAYLOAD_PREVIEW_MIN = 150;

/** A button value small enough for Slack and parsed with zod on the way back (handlers/actions). */
export function fullPayloadValue(outcome: SampleOutcome, jobId: string): string {
  return JSON.stringify({ w: outcome.request.workflowId, st: outcome.request.state, j: jobId });
}

export function samplesMessage(view: SamplesView): BuiltMessage {
  const { outcome } = view;
  const state = outcome.request.state;
  const share = Math.floor(JOBS_TEXT_BUDGET / Math.max(1, outcome.jobs.length));
  const blocks: KnownBlock[] = [
    {
      type: 'header',
      block_id: BlockId.samplesHeader,
      text: plain(truncate(`Samples: ${outcome.request.workflowId} · ${state}`, LIMITS.headerText)),
    },
    section(BlockId.samplesGate, gateText(view)),
    context(BlockId.samplesSummary, summaryText(outcome)),
    cohortsBlock(outcome),
  ];
  for (const job of outcome.jobs) blocks.push(...jobBlocks(outcome, job, share));
  blocks.push(
    context(
      BlockId.samplesFooter,
      `Sampled for <@${view.requestedBy}> · ${outcome.id} · read-only: nothing was moved, locked or rewritten`,
    ),
  );
  return { text: fallbackText(view), blocks };
}

/** The stored blocks plus this sample's own failures, should recording them somehow have missed any. */
function effectiveGate(view: SamplesView): readonly GateBlock[] {
  const { outcome } = view;
  const unrecorded = outcome.failures.filter(
    (f) => !view.gate.some((b) => b.failures.some((g) => g.jobId === f.jobId && g.check === f.check)),
  );
  if (unrecorded.length === 0) return view.gate;
  return [
    ...view.gate,
    {
      workflow: outcome.request.workflowId,
      state: outcome.request.state,
      cohortKey: 'this sample',
      cohort: {},
      sampleId: outcome.id,
      at: outcome.takenAt,
      by: view.requestedBy,
      failures: unrecorded,
    },
  ];
}

function gateText(view: SamplesView): string {
  const { outcome } = view;
  const gate = effectiveGate(view);
  if (gate.length > 0) {
    const lines = gate.flatMap((block) =>
      block.failures.length > 0
        ? block.failures
            .slice(0, 4)
            .map(
              (f) =>
                `• cohort \`${escapeMrkdwn(block.cohortKey)}\`, job ${escapeMrkdwn(f.jobId)}: *${f.check}* — ${externalText(f.reason)}`,
            )
        : [
            `• cohort \`${escapeMrkdwn(block.cohortKey)}\`: blocked by an earlier sample (${escapeMrkdwn(block.sampleId)})`,
          ],
    );
    return truncate(
      [
        `:no_entry: *Blocked: stop and ask before replay.* A sampled job failed a check; replaying a corrupted payload turns one bug into many.`,
        ...lines,
        'Fix the cause and sample again (a clean sample of the same cohort lifts the block), or exclude the failing cohort when you plan the replay.',
      ].join('\n'),
      GATE_TEXT_MAX,
    );
  }
  if (outcome.jobs.length === 0)
    return ':information_source: No job matched these filters, so nothing was checked.';
  if (outcome.warnings.length > 0) {
    return truncate(
      `:warning: *Not everything could be checked* (unknown is not a pass):\n` +
        outcome.warnings
          .slice(0, 5)
          .map((w) => `• job ${escapeMrkdwn(w.jobId)}: *${w.check}* — ${externalText(w.reason)}`)
          .join('\n'),
      GATE_TEXT_MAX,
    );
  }
  return `:white_check_mark: All three checks passed on ${outcome.jobs.length} sampled ${outcome.jobs.length === 1 ? 'job' : 'jobs'}.`;
}

function summaryText(outcome: SampleOutcome): string {
  const { window, request } = outcome;
  const filters = Object.entries(request.cohort)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${String(v)}`);
  const scope = window.capped
    ? `the newest ${count(window.read)} of ${count(window.stateCount)} ${request.state} jobs (capped)`
    : `all ${count(window.stateCount)} ${request.state} jobs`;
  return externalText(
    `Showing ${outcome.jobs.length} of ${count(window.matched)} matching in ${scope}` +
      (filters.length > 0 ? ` · filters: ${filters.join(', ')}` : '') +
      ` · handlers checked against platform ${outcome.platformVersion}`,
  );
}

function cohortsBlock(outcome: SampleOutcome): SectionBlock {
  const c = outcome.cohorts;
  const list = (title: string, counts: readonly CohortCount[]) =>
    mrkdwn(
      truncate(
        `*${title}*\n` +
          (counts.length === 0
            ? '—'
            : counts.map((x) => `${externalText(x.key)} ×${count(x.count)}`).join('\n')),
        COHORT_FIELD_MAX,
      ),
    );
  const scope = c.capped ? `the newest ${count(c.windowSize)} failed jobs (capped)` : 'all failed jobs';
  return {
    type: 'section',
    block_id: BlockId.samplesCohorts,
    text: mrkdwn(`*What a replay would touch:* ${count(c.givenUpInWindow)} given-up jobs among ${scope}`),
    fields: [
      list('By handler', c.byHandler),
      list('By tenant', c.byTenant),
      list('By failure reason', c.byReason),
      list('By target host', c.byHost),
    ],
  };
}

function jobBlocks(outcome: SampleOutcome, job: SampledJob, share: number): KnownBlock[] {
  const id = externalText(job.id);
  // Reasons and checks get a slice of the job's share; the payload preview gets the rest.
  const reasonMax = Math.max(80, Math.min(400, Math.floor(share * 0.15)));
  const checkMax = Math.max(60, Math.min(300, Math.floor(share * 0.1)));
  const details: SectionBlock = {
    type: 'section',
    block_id: `${BlockId.sampleJobPrefix}${job.id}`.slice(0, LIMITS.id),
    fields: [
      mrkdwn(truncate(`*Job*\n\`${id}\``, 200)),
      mrkdwn(truncate(`*Handler*\n\`${externalText(job.handler || '(none)')}\``, 200)),
      mrkdwn(`*Age*\n${job.createdAt > 0 ? age(job.createdAt, outcome.takenAt) : 'unknown'}`),
      mrkdwn(`*Attempts*\n${job.attemptsMade} of ${job.attemptsAllowed}`),
      mrkdwn(
        truncate(`*Last failure*\n${job.failedReason ? externalText(job.failedReason) : '—'}`, reasonMax),
      ),
    ],
  };
  const checks = context(
    `${BlockId.sampleChecksPrefix}${job.id}`.slice(0, LIMITS.id),
    ...job.checks.map((c) =>
      truncate(`${checkEmoji[c.status]} *${c.check}*: ${externalText(c.reason)}`, checkMax),
    ),
  );
  const previewMax = Math.min(
    PAYLOAD_PREVIEW_MAX,
    Math.max(PAYLOAD_PREVIEW_MIN, share - blockTextLength([details, checks])),
  );
  return [details, checks, payloadBlock(outcome, job, previewMax)];
}

function payloadBlock(outcome: SampleOutcome, job: SampledJob, previewMax: number): SectionBlock {
  const { payload } = job;
  // Fence breakers inside a payload would end the code block early.
  const body = escapeMrkdwn(payload.text.replace(/```/g, '`\u200b``'));
  const note =
    payload.kind === 'not-json'
      ? ':warning: _The stored payload is not JSON; shown as stored._\n'
      : payload.kind === 'empty'
        ? ':warning: _The job has no payload._\n'
        : '';
  const redacted = payload.redactions > 0 ? ` _(${payload.redactions} value(s) redacted)_` : '';
  const truncationNote =
    '\n_Truncated: use *Full payload* for the whole redacted payload as a file in this thread._';
  const fixed = note.length + redacted.length + 8;
  const truncated = fixed + body.length > previewMax;
  const room = Math.max(0, previewMax - fixed - truncationNote.length);
  // Never cut an escape (&amp;) in half.
  const preview = truncated ? `${body.slice(0, room).replace(/&[a-z]*$/, '')}\n…` : body;
  const text = `${note}\`\`\`${preview || ' '}\`\`\`${redacted}${truncated ? truncationNote : ''}`;
  const block: SectionBlock = {
    type: 'section',
    block_id: `${BlockId.samplePayloadPrefix}${job.id}`.slice(0, LIMITS.id),
    text: mrkdwn(truncate(text, LIMITS.sectionText)),
  };
  const value = fullPayloadValue(outcome, job.id);
  if (truncated && value.length <= LIMITS.buttonValue) {
    const button: Button = {
      type: 'button',
      action_id: ActionId.fullPayload,
      text: plain('Full payload'),
      value,
    };
    block.accessory = button;
  }
  return block;
}

function fallbackText(view: SamplesView): string {
  const { outcome } = view;
  const verdict =
    effectiveGate(view).length > 0
      ? 'BLOCKED: a check failed; stop and ask before replay'
      : outcome.warnings.length > 0
        ? 'some checks unknown'
        : outcome.jobs.length > 0
          ? 'all checks passed'
          : 'no job matched';
  return externalText(`Samples of ${view.workflowTitle}: ${outcome.jobs.length} job(s); ${verdict}`);
}
