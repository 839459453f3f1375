import type { KnownBlock, SectionBlock } from '@slack/types';
import type { ProbeResult } from '../src/probes/types';
import type { Census } from '../src/queues/types';
import type { CensusOutcome, Diagnosis, Severity, WorkflowDiagnosis } from '../src/runbook/diagnosis';
import { age, count, perMinute } from '../src/runbook/format';
import { ActionId, BlockId } from './ids';
import { blockTextLength, LIMITS } from './limits';
import { probeEmoji, severityEmoji } from './status';
import {
  context,
  escapeMrkdwn,
  externalText,
  mrkdwn,
  plain,
  section,
  singleLine,
  slackDate,
  truncate,
} from './text';

export interface DiagnosisView {
  readonly diagnosis: Diagnosis;
  /** Slack user id of whoever asked. */
  readonly requestedBy: string;
}

export interface BuiltMessage {
  readonly text: string;
  readonly blocks: KnownBlock[];
}

const SEVERITY_ORDER: Record<Severity, number> = { critical: 0, warning: 1, ok: 2 };
/** header, summary, upstream, census, footer, two dividers, one truncation note. */
const FIXED_BLOCKS = 8;
const BLOCKS_PER_WORKFLOW = 2;
/**
 * How LIMITS.totalText (12,000) is shared, so the sum of the parts always fits:
 * header, summary and footer take under 1,000; the upstream and census sections
 * are capped below; workflows get the rest.
 */
const TRUNCATION_NOTE_MAX = 400;
const UPSTREAM_TEXT_MAX = 2_500;
const CENSUS_TEXT_MAX = 1_500;
const WORKFLOW_TEXT_BUDGET = LIMITS.totalText - 1_000 - UPSTREAM_TEXT_MAX - CENSUS_TEXT_MAX;
const REASON_MAX = 200;

export function diagnosisMessage(view: DiagnosisView): BuiltMessage {
  const { diagnosis } = view;
  const ordered = [...diagnosis.workflows].sort(
    (a, b) => SEVERITY_ORDER[a.verdict.severity] - SEVERITY_ORDER[b.verdict.severity],
  );
  const shown: KnownBlock[] = [];
  const omitted: WorkflowDiagnosis[] = [];
  let textUsed = 0;
  const seenIds = new Set<string>();
  for (const workflow of ordered) {
    const group = workflowBlocks(workflow, diagnosis.finishedAt, uniqueSuffix(workflow.id, seenIds));
    const size = blockTextLength(group);
    const fits =
      shown.length + BLOCKS_PER_WORKFLOW <= LIMITS.blocksPerMessage - FIXED_BLOCKS &&
      textUsed + size <= WORKFLOW_TEXT_BUDGET;
    if (fits && omitted.length === 0) {
      shown.push(...group);
      textUsed += size;
    } else omitted.push(workflow);
  }

  const blocks: KnownBlock[] = [
    { type: 'header', block_id: BlockId.diagnosisHeader, text: plain(headerText(diagnosis)) },
    section(BlockId.diagnosisSummary, summaryText(diagnosis.workflows)),
    { type: 'divider' },
    ...shown,
  ];
  if (omitted.length > 0) {
    blocks.push(
      context(
        BlockId.truncationNote,
        truncate(
          `:scissors: ${omitted.length} more workflow(s) not shown to stay within Slack's limits: ` +
            omitted.map((w) => `${w.id} (${w.verdict.kind})`).join(', ') +
            '. Use `/stuckjobs diagnose <workflow>` for one of them.',
          TRUNCATION_NOTE_MAX,
        ),
      ),
    );
  }
  blocks.push(
    { type: 'divider' },
    section(BlockId.upstream, upstreamText(diagnosis)),
    section(BlockId.census, censusText(diagnosis.census, diagnosis.queuePrefix)),
    context(
      BlockId.context,
      `Diagnosed ${slackDate(diagnosis.finishedAt)} for <@${view.requestedBy}> · took ${((diagnosis.finishedAt - diagnosis.startedAt) / 1000).toFixed(1)} s · ${diagnosis.id} · read-only: nothing was changed`,
    ),
  );
  return { text: fallbackText(diagnosis), blocks };
}

function headerText(diagnosis: Diagnosis): string {
  const scope = diagnosis.workflows.length === 1 ? `: ${diagnosis.workflows[0]?.id ?? ''}` : '';
  return truncate(`Stuck jobs diagnosis${scope}`, LIMITS.headerText);
}

function summaryText(workflows: readonly WorkflowDiagnosis[]): string {
  const by = (severity: Severity) => workflows.filter((w) => w.verdict.severity === severity).length;
  const parts = [
    by('critical') > 0 ? `${severityEmoji.critical} ${by('critical')} need action` : undefined,
    by('warning') > 0 ? `${severityEmoji.warning} ${by('warning')} to watch` : undefined,
    by('ok') > 0 ? `${severityEmoji.ok} ${by('ok')} fine` : undefined,
  ].filter(Boolean);
  return `${parts.join('   ')}\nThis message is the incident thread: later steps reply under it.`;
}

/** Block ids must be unique in a message, even if a configuration repeats a workflow id. */
function uniqueSuffix(id: string, seen: Set<string>): string {
  let suffix = id;
  for (let n = 2; seen.has(suffix); n++) suffix = `${id}_${n}`;
  seen.add(suffix);
  return suffix;
}

function workflowBlocks(workflow: WorkflowDiagnosis, now: number, idSuffix: string): KnownBlock[] {
  const { verdict, snapshot, trend } = workflow;
  const title =
    `*${escapeMrkdwn(workflow.title)}* · \`${escapeMrkdwn(workflow.queue)}\`\n` +
    `${severityEmoji[verdict.severity]} *${externalText(verdict.headline)}*\n` +
    `→ ${externalText(verdict.action)}`;
  const main: SectionBlock = {
    type: 'section',
    block_id: `${BlockId.workflowPrefix}${idSuffix}`,
    text: mrkdwn(truncate(title, LIMITS.sectionText)),
  };
  if (snapshot) {
    const c = snapshot.counts;
    const fields: [string, string][] = [
      ['Waiting', count(c.waiting + c.prioritized + c.paused)],
      ['Active', count(c.active)],
      ['Delayed', count(c.delayed)],
      [
        'Given up',
        `${count(snapshot.givenUp.value, snapshot.givenUp.exact)} of ${count(c.failed)} failed` +
          (snapshot.failedEarly.value > 0
            ? ` (${count(snapshot.failedEarly.value, snapshot.failedEarly.exact)} stopped early, attempts left)`
            : ''),
      ],
      ['Will retry', count(snapshot.willRetry.value, snapshot.willRetry.exact)],
      ['Workers', snapshot.workers === null ? 'unknown (CLIENT LIST unavailable)' : count(snapshot.workers)],
      [
        'Trend',
        trend
          ? `in ${perMinute(trend.inPerMinute)} · out ${perMinute(trend.outPerMinute)} (${trend.direction})`
          : 'unknown',
      ],
      ['Oldest waiting', snapshot.oldestWaitingAt === null ? '—' : age(snapshot.oldestWaitingAt, now)],
      ['Oldest failed', snapshot.oldestFailedAt === null ? '—' : age(snapshot.oldestFailedAt, now)],
    ];
    if (snapshot.isPaused) fields.push(['Paused', 'yes']);
    main.fields = fields.map(([label, value]) => mrkdwn(truncate(`*${label}*\n${value}`, LIMITS.fieldText)));
    if (c.failed > 0 || snapshot.willRetry.value > 0) {
      main.accessory = {
        type: 'button',
        action_id: ActionId.showSamples,
        text: plain('Show samples'),
        // Given-up jobs first; a queue that only retries shows its retrying (delayed) jobs.
        value: JSON.stringify({ w: workflow.id, st: c.failed > 0 ? 'failed' : 'delayed' }),
      };
    }
  }
  const notes: string[] = [];
  if (snapshot && snapshot.topFailureReasons.length > 0) {
    const sampled = snapshot.sample.length;
    notes.push(
      `Top failure reasons (of ${count(sampled)} sampled): ` +
        snapshot.topFailureReasons
          .map(
            (r) =>
              `\`${truncate(externalText(r.reason.replace(/`/g, "'")), REASON_MAX)}\` ×${count(r.count)}`,
          )
          .join(' · '),
    );
  }
  if (workflow.quiesceHint) notes.push(workflow.quiesceHint);
  if (notes.length === 0) notes.push(snapshot ? 'No failures in the sample.' : 'No queue data.');
  const blocks: KnownBlock[] = [main, context(`${BlockId.verdictPrefix}${idSuffix}`, ...notes)];
  // Only given-up jobs are ever replayed: no button where there are none.
  if (snapshot && snapshot.givenUp.value > 0) {
    blocks.push({
      type: 'actions',
      block_id: `${BlockId.actionsPrefix}${idSuffix}`,
      elements: [
        {
          type: 'button',
          action_id: ActionId.planReplay,
          text: plain('Plan replay (canary)'),
          value: JSON.stringify({ w: workflow.id }),
        },
      ],
    });
  }
  return blocks;
}

function upstreamText(diagnosis: Diagnosis): string {
  const u = diagnosis.upstream;
  const lines = ['*Upstream*'];
  const line = (label: string, result: ProbeResult<unknown> | undefined, extra = '') => {
    if (!result) return;
    lines.push(
      `${probeEmoji[result.status]} *${label}* ${result.status}: ${externalText(result.reason)}${extra}`,
    );
  };
  line('Ops containers', u.docker);
  const dashboard = u.signoz?.details?.dashboardUrl;
  line('SigNoz', u.signoz, dashboard ? ` · <${encodeURI(dashboard)}|dashboard>` : '');
  line('Tenant webhook endpoints', u.webhookEndpoints);
  for (const endpoint of (u.webhookEndpoints?.details?.endpoints ?? []).slice(0, 5)) {
    const codes = Object.entries(endpoint.recentStatusCodes)
      .map(([code, n]) => `${code} ×${n}`)
      .join(', ');
    const head =
      endpoint.head.status !== undefined
        ? `HEAD ${endpoint.head.status}`
        : endpoint.status === 'unknown'
          ? (endpoint.head.error ?? 'not probed')
          : `HEAD failed: ${endpoint.head.error ?? 'no answer'}`;
    lines.push(
      `      ${probeEmoji[endpoint.status]} \`${escapeMrkdwn(truncate(endpoint.host, 100))}\` ${externalText(head)} · ${endpoint.jobs} jobs${codes ? ` · failed with ${codes}` : ''}`,
    );
  }
  line('Recordings bucket', u.recordings);
  line('Stripe', u.stripe);
  return truncate(lines.join('\n'), UPSTREAM_TEXT_MAX);
}

function censusText(outcome: CensusOutcome, queuePrefix: string): string {
  if (!outcome.ok)
    return `*Where is the backlog*\n${probeEmoji.unknown} key census failed: ${externalText(outcome.error)}`;
  const census: Census = outcome.census;
  const how = census.complete
    ? `full SCAN of ${count(census.scannedKeys)} keys in ${census.elapsedMs} ms`
    : `SCAN stopped by the ${census.stoppedBy ?? 'budget'} budget after ${count(census.scannedKeys)} of ${count(census.totalKeys)} keys; counts extrapolated`;
  const rows = census.prefixes.slice(0, 8).map((p) => {
    const mark = p.workflows.length > 0 ? ` ← ${p.workflows.join(', ')}` : '';
    return `\`${escapeMrkdwn(truncate(p.prefix, 120))}\` ${p.type} · ${count(p.keys, census.complete)} keys${mark}`;
  });
  const hidden = census.prefixes.length - rows.length;
  return truncate(
    [
      `*Where is the backlog* (${how}; queue prefix \`${escapeMrkdwn(queuePrefix)}\`)`,
      ...rows,
      hidden > 0 ? `…and ${hidden} more prefixes` : '',
    ]
      .filter(Boolean)
      .join('\n'),
    CENSUS_TEXT_MAX,
  );
}

function fallbackText(diagnosis: Diagnosis): string {
  const parts = diagnosis.workflows.map((w) => `${w.title}: ${singleLine(w.verdict.headline)}`);
  return truncate(externalText(`Stuck jobs diagnosis — ${parts.join('; ')}`), LIMITS.sectionText);
}
