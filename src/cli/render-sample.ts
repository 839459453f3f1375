import { count } from '../runbook/format';
import type { CohortCount } from '../runbook/inspect/types';
import type { CliSample } from './sample-view';
import { oneLine, safeBlock, type Style } from './style';
import { utc } from './when';

/** A preview, not the record: `--json` carries the whole (redacted) payload. */
const PAYLOAD_LINES = 30;
const COHORT_ITEMS = 5;

const CHECK_MARK = { pass: '✓', fail: '✗', unknown: '?' } as const;

export function renderSample(doc: CliSample, style: Style): string[] {
  const { request, window } = doc;
  const filters = Object.entries(request.cohort)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${oneLine(String(value))}`);
  const scope = window.capped
    ? `the newest ${count(window.read)} of ${count(window.stateCount)} ${request.state} jobs (capped)`
    : `all ${count(window.stateCount)} ${request.state} jobs`;
  return [
    style.bold(`Samples: ${request.workflowId} · ${request.state}`),
    style.dim(
      `${utc(doc.takenAt)} · ${doc.id} · showing ${doc.jobs.length} of ${count(window.matched)} matching in ${scope}` +
        (filters.length > 0 ? ` · filters: ${filters.join(', ')}` : '') +
        ` · handlers checked against platform ${oneLine(doc.platformVersion)} · read-only`,
    ),
    '',
    ...gateLines(doc, style),
    '',
    ...doc.jobs.flatMap((job) => {
      const lines = [
        style.bold(`Job ${oneLine(job.id)}`) +
          ` · handler ${oneLine(job.handler || '(none)')} · attempts ${job.attemptsMade}/${job.attemptsAllowed} · created ${utc(job.createdAt)}`,
      ];
      if (job.failedReason) lines.push(`  reason: ${oneLine(job.failedReason)}`);
      for (const check of job.checks) {
        const paint =
          check.status === 'pass' ? style.green : check.status === 'fail' ? style.red : style.yellow;
        lines.push(`  ${paint(`${CHECK_MARK[check.status]} ${check.check}`)}: ${oneLine(check.reason)}`);
      }
      lines.push(...payloadLines(job.payload.text, job.payload.redactions, style), '');
      return lines;
    }),
    ...cohortLines(doc),
  ];
}

function gateLines(doc: CliSample, style: Style): string[] {
  if (doc.blocked) {
    const lines = [
      style.red(style.bold('✗ Blocked: stop and ask before replay.')) + ' A sampled job failed a check.',
    ];
    for (const block of doc.gate) {
      if (block.failures.length === 0)
        lines.push(`  cohort ${oneLine(block.cohortKey)}: blocked by an earlier sample (${block.sampleId})`);
      for (const f of block.failures.slice(0, 4)) {
        lines.push(
          `  cohort ${oneLine(block.cohortKey)}, job ${oneLine(f.jobId)}: ${f.check} — ${oneLine(f.reason)}`,
        );
      }
    }
    if (doc.gate.length === 0) {
      for (const f of doc.failures)
        lines.push(`  job ${oneLine(f.jobId)}: ${f.check} — ${oneLine(f.reason)}`);
    }
    lines.push(
      '  Fix the cause and sample again (a clean sample of the same cohort lifts the block), or --exclude the cohort.',
    );
    return lines;
  }
  if (doc.jobs.length === 0) return ['No job matched these filters, so nothing was checked.'];
  if (doc.warnings.length > 0) {
    return [
      style.yellow('! Not everything could be checked (unknown is not a pass):'),
      ...doc.warnings.slice(0, 5).map((w) => `  job ${oneLine(w.jobId)}: ${w.check} — ${oneLine(w.reason)}`),
    ];
  }
  return [
    style.green(
      `✓ All three checks passed on ${doc.jobs.length} sampled ${doc.jobs.length === 1 ? 'job' : 'jobs'}.`,
    ),
  ];
}

function payloadLines(text: string, redactions: number, style: Style): string[] {
  if (text === '') return ['  payload: (empty)'];
  const lines = safeBlock(text).split('\n');
  const shown = lines.slice(0, PAYLOAD_LINES).map((line) => `    ${line}`);
  const more = lines.length - shown.length;
  return [
    `  payload${redactions > 0 ? ` (${redactions} redacted)` : ''}:`,
    ...shown,
    ...(more > 0 ? [style.dim(`    … ${more} more lines (--json for the whole redacted payload)`)] : []),
  ];
}

function cohortLines(doc: CliSample): string[] {
  const c = doc.cohorts;
  const scope = c.capped ? `the newest ${count(c.windowSize)} failed jobs (capped)` : 'all failed jobs';
  const list = (title: string, counts: readonly CohortCount[]) =>
    `  ${title}: ${
      counts.length === 0
        ? '—'
        : counts
            .slice(0, COHORT_ITEMS)
            .map((x) => `${oneLine(x.key)} ×${count(x.count)}`)
            .join(', ')
    }`;
  return [
    `What a replay would touch: ${count(c.givenUpInWindow)} given-up jobs among ${scope}`,
    list('by handler', c.byHandler),
    list('by tenant', c.byTenant),
    list('by failure reason', c.byReason),
    list('by target host', c.byHost),
  ];
}
