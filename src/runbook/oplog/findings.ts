import { z } from 'zod';
import { WORKFLOW_IDS } from '../../workflows';
import type { QueueSnapshot } from '../../queues/types';
import type { Diagnosis } from '../diagnosis';
import type { Cause, WorkflowCounts } from './types';

const countsSchema = z.object({
  waiting: z.number(),
  delayed: z.number(),
  failed: z.number(),
  givenUp: z.number(),
});

/** What the first diagnosis of an incident found: kept with the session for the note and the summary. */
export const findingsSchema = z.object({
  firstFailureAt: z.number().optional(),
  symptoms: z.array(z.object({ workflow: z.enum(WORKFLOW_IDS), headline: z.string() })),
  causes: z.array(z.object({ text: z.string(), suspected: z.boolean(), inDelphi: z.boolean() })),
  countsBefore: z.partialRecord(z.enum(WORKFLOW_IDS), countsSchema),
});

export type Findings = z.infer<typeof findingsSchema>;

/** Verdicts whose cause is Delphi's own (the consumer), not an upstream. */
const IN_DELPHI = new Set(['consumer-down', 'paused', 'stuck', 'unreadable']);

/** Counts as the summary compares them: what waits, what retries, what failed and what gave up. */
export function countsOf(
  diagnosis: Diagnosis,
): Partial<Record<(typeof WORKFLOW_IDS)[number], WorkflowCounts>> {
  const counts: Partial<Record<(typeof WORKFLOW_IDS)[number], WorkflowCounts>> = {};
  for (const workflow of diagnosis.workflows) {
    if (workflow.snapshot) counts[workflow.id] = countsFromSnapshot(workflow.snapshot);
  }
  return counts;
}

/** One queue's counts as the note and the summary compare them, before and after. */
export function countsFromSnapshot(snapshot: QueueSnapshot): WorkflowCounts {
  const c = snapshot.counts;
  return {
    waiting: c.waiting + c.prioritized + c.paused,
    delayed: c.delayed,
    failed: c.failed,
    givenUp: snapshot.givenUp.value,
  };
}

/**
 * Runbook step 5 asks for when it started, the symptom and the root cause.
 * From a diagnosis: the oldest failed or waiting job, the verdicts that were
 * not healthy, and causes from the consumer's state and the upstream probes.
 * A cause read from failure reasons rather than seen directly is "suspected".
 */
export function findingsOf(diagnosis: Diagnosis): Findings {
  const oldest = diagnosis.workflows
    .flatMap((w) => [w.snapshot?.oldestFailedAt, w.snapshot?.oldestWaitingAt])
    .filter((at): at is number => typeof at === 'number');
  const unhealthy = diagnosis.workflows.filter((w) => w.verdict.kind !== 'healthy');
  const causes: Cause[] = [];
  for (const w of unhealthy) {
    if (IN_DELPHI.has(w.verdict.kind)) {
      causes.push({ text: `${w.title}: ${w.verdict.headline}`, suspected: false, inDelphi: true });
    }
  }
  const { docker, webhookEndpoints, stripe, recordings, signoz } = diagnosis.upstream;
  if (docker && docker.status !== 'ok' && docker.status !== 'unknown') {
    causes.push({
      text: `Ops containers ${docker.status}: ${docker.reason}`,
      suspected: false,
      inDelphi: true,
    });
  }
  for (const endpoint of webhookEndpoints?.details?.endpoints ?? []) {
    const codes = Object.entries(endpoint.recentStatusCodes)
      .map(([code, n]) => `${code} ×${n}`)
      .join(', ');
    if (codes === '' && endpoint.status === 'ok') continue;
    const now = endpoint.head.status !== undefined ? `, HEAD ${endpoint.head.status} at diagnosis` : '';
    causes.push({
      text: `tenant ${endpoint.host} answered ${codes || 'with errors'} to ${endpoint.jobs} job(s)${now}`,
      suspected: true,
      inDelphi: false,
    });
  }
  for (const [label, probe] of [
    ['Stripe', stripe],
    ['the recordings bucket', recordings],
  ] as const) {
    if (probe && (probe.status === 'down' || probe.status === 'degraded')) {
      causes.push({ text: `${label} ${probe.status}: ${probe.reason}`, suspected: false, inDelphi: false });
    }
  }
  if (signoz && (signoz.status === 'down' || signoz.status === 'degraded')) {
    causes.push({ text: `Ops error rate raised: ${signoz.reason}`, suspected: true, inDelphi: true });
  }
  return {
    ...(oldest.length > 0 ? { firstFailureAt: Math.min(...oldest) } : {}),
    symptoms: unhealthy.map((w) => ({ workflow: w.id, headline: w.verdict.headline })),
    causes,
    countsBefore: countsOf(diagnosis),
  };
}
