import { age, count, perMinute } from '../runbook/format';
import type { CliDiagnosis, CliWorkflow } from './diagnose-schema';
import { oneLine, probeMark, probePaint, severityMark, severityPaint, type Style } from './style';
import { renderTable, type Cell, type Column } from './table';
import { utc } from './when';

const WORKFLOW_COLUMNS: readonly Column[] = [
  { header: 'WORKFLOW' },
  { header: 'QUEUE' },
  { header: 'VERDICT' },
  { header: 'WAITING', align: 'right' },
  { header: 'ACTIVE', align: 'right' },
  { header: 'DELAYED', align: 'right' },
  { header: 'FAILED', align: 'right' },
  { header: 'GIVEN UP', align: 'right' },
  { header: 'WILL RETRY', align: 'right' },
  { header: 'WORKERS', align: 'right' },
  { header: 'TREND' },
];
const CENSUS_COLUMNS: readonly Column[] = [
  { header: 'PREFIX' },
  { header: 'TYPE' },
  { header: 'KEYS', align: 'right' },
  { header: 'WORKFLOWS' },
];
const CENSUS_ROWS = 8;
const ENDPOINT_ROWS = 5;

const estimate = (e: { value: number; exact: boolean }) => count(e.value, e.exact);

export function renderDiagnosis(doc: CliDiagnosis, style: Style): string[] {
  const seconds = ((doc.finishedAt - doc.startedAt) / 1000).toFixed(1);
  const summary = (['critical', 'warning', 'ok'] as const)
    .filter((s) => doc.summary[s] > 0)
    .map((s) => {
      const words = { critical: 'need action', warning: 'to watch', ok: 'fine' }[s];
      return severityPaint(style, s)(`${severityMark[s]} ${doc.summary[s]} ${words}`);
    });
  return [
    style.bold(`Stuck jobs diagnosis ${doc.id}`),
    style.dim(
      `${utc(doc.finishedAt)} · took ${seconds} s · queue prefix ${oneLine(doc.queuePrefix)} · read-only: nothing was changed`,
    ),
    summary.join('   '),
    '',
    ...renderTable(
      WORKFLOW_COLUMNS,
      doc.workflows.map((w) => workflowRow(w, style)),
      style.bold,
    ),
    '',
    ...doc.workflows.flatMap((w) => [...workflowDetails(w, doc.finishedAt, style), '']),
    ...upstreamLines(doc, style),
    '',
    ...censusLines(doc, style),
  ];
}

function workflowRow(w: CliWorkflow, style: Style): Cell[] {
  const r = w.queueReading;
  const verdict: Cell = {
    text: `${severityMark[w.verdict.severity]} ${w.verdict.kind}`,
    paint: severityPaint(style, w.verdict.severity),
  };
  const trend = w.trend
    ? `${w.trend.direction}: in ${perMinute(w.trend.inPerMinute)}, out ${perMinute(w.trend.outPerMinute)}`
    : 'unknown';
  if (!r) return [w.id, oneLine(w.queue), verdict, '—', '—', '—', '—', '—', '—', '—', trend];
  const c = r.counts;
  return [
    w.id,
    oneLine(w.queue),
    verdict,
    count(c.waiting + c.prioritized + c.paused),
    count(c.active),
    count(c.delayed),
    count(c.failed),
    estimate(r.givenUp),
    estimate(r.willRetry),
    r.workers === null ? 'unknown' : count(r.workers),
    trend,
  ];
}

function workflowDetails(w: CliWorkflow, now: number, style: Style): string[] {
  const paint = severityPaint(style, w.verdict.severity);
  const lines = [
    `${style.bold(w.id)} ${style.dim(`(${oneLine(w.title)})`)}: ${paint(`${severityMark[w.verdict.severity]} ${oneLine(w.verdict.headline)}`)}`,
    `  → ${oneLine(w.verdict.action)}`,
  ];
  const r = w.queueReading;
  if (r) {
    const facts = [
      r.oldestWaitingAt === null ? undefined : `oldest waiting ${age(r.oldestWaitingAt, now)}`,
      r.oldestFailedAt === null ? undefined : `oldest failed ${age(r.oldestFailedAt, now)}`,
      r.failedEarly.value > 0 ? `${estimate(r.failedEarly)} stopped early with attempts left` : undefined,
      r.isPaused ? 'queue paused' : undefined,
    ].filter((fact): fact is string => fact !== undefined);
    if (facts.length > 0) lines.push(`  ${facts.join(' · ')}`);
    if (r.topFailureReasons.length > 0) {
      lines.push(`  top failure reasons (of ${count(r.sampled)} sampled):`);
      for (const reason of r.topFailureReasons)
        lines.push(`    ×${count(reason.count)}  ${oneLine(reason.reason)}`);
    }
  }
  if (w.error !== undefined) lines.push(`  ${style.red(`cannot read the queue: ${oneLine(w.error)}`)}`);
  if (w.quiesceHint !== undefined) lines.push(`  ${oneLine(w.quiesceHint)}`);
  return lines;
}

function upstreamLines(doc: CliDiagnosis, style: Style): string[] {
  const lines = [style.bold('Upstream')];
  for (const probe of doc.upstream) {
    const paint = probePaint(style, probe.status);
    lines.push(
      `  ${paint(`${probeMark[probe.status]} ${probe.label} ${probe.status}`)}: ${oneLine(probe.reason)}`,
    );
    if (probe.probe !== 'webhook-endpoints') continue;
    for (const endpoint of doc.webhookEndpoints.slice(0, ENDPOINT_ROWS)) {
      const head =
        endpoint.head.status !== undefined
          ? `HEAD ${endpoint.head.status}`
          : `HEAD failed: ${oneLine(endpoint.head.error ?? 'no answer')}`;
      const codes = Object.entries(endpoint.recentStatusCodes)
        .map(([code, n]) => `${code} ×${n}`)
        .join(', ');
      lines.push(
        `      ${probePaint(style, endpoint.status)(probeMark[endpoint.status])} ${oneLine(endpoint.host)} ${head} · ${endpoint.jobs} jobs${codes ? ` · failed with ${codes}` : ''}`,
      );
    }
  }
  if (doc.upstream.length === 0) lines.push('  (no probes ran)');
  return lines;
}

function censusLines(doc: CliDiagnosis, style: Style): string[] {
  const census = doc.census;
  if (!census.ok)
    return [style.bold('Where is the backlog'), `  ? key census failed: ${oneLine(census.error)}`];
  const how = census.complete
    ? `full SCAN of ${count(census.scannedKeys)} keys in ${census.elapsedMs} ms`
    : `SCAN stopped by the ${census.stoppedBy ?? 'budget'} budget after ${count(census.scannedKeys)} of ${count(census.totalKeys)} keys; counts extrapolated`;
  const rows = census.prefixes
    .slice(0, CENSUS_ROWS)
    .map((p) => [oneLine(p.prefix), p.type, count(p.keys, census.complete), p.workflows.join(', ') || '—']);
  const hidden = census.prefixes.length - rows.length;
  return [
    `${style.bold('Where is the backlog')} ${style.dim(`(${how})`)}`,
    ...(rows.length > 0 ? renderTable(CENSUS_COLUMNS, rows, style.bold) : ['(no keys)']).map((l) => `  ${l}`),
    ...(hidden > 0 ? [`  …and ${hidden} more prefixes (--json lists all)`] : []),
  ];
}
