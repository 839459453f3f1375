import type { ProbeResult, UpstreamReport } from '../probes/types';
import { maskFreeText } from '../redaction';
import type { CensusOutcome, Diagnosis, WorkflowDiagnosis } from '../runbook/diagnosis';
import type { CliDiagnosis, CliProbe, CliWorkflow } from './diagnose-schema';
import { ExitCode } from './exit-codes';

/** Secrets and personal data masked, as in the Slack message (blocks/text.ts externalText). */
export type Mask = (text: string) => string;

export function maskWith(extraSecretKeys: readonly string[]): Mask {
  return (text) => maskFreeText(text, extraSecretKeys);
}

/** The probes in the order the Slack message lists them, with its labels. */
const PROBES: readonly (readonly [keyof UpstreamReport, string])[] = [
  ['docker', 'Ops containers'],
  ['signoz', 'SigNoz'],
  ['webhookEndpoints', 'Tenant webhook endpoints'],
  ['recordings', 'Recordings bucket'],
  ['stripe', 'Stripe'],
];

/** 1 when any verdict is warning or critical, else 0. */
export function diagnosisExitCode(diagnosis: Diagnosis): ExitCode {
  return diagnosis.workflows.some((w) => w.verdict.severity !== 'ok')
    ? ExitCode.NeedsAction
    : ExitCode.Healthy;
}

/** The engine's Diagnosis as the CLI prints it: numbers as they are, no payloads, outside text masked. */
export function toCliDiagnosis(diagnosis: Diagnosis, mask: Mask): CliDiagnosis {
  const by = (severity: string) => diagnosis.workflows.filter((w) => w.verdict.severity === severity).length;
  const upstream: CliProbe[] = PROBES.flatMap(([key, label]) => {
    const result: ProbeResult<unknown> | undefined = diagnosis.upstream[key];
    return result ? [probeView(result, label, mask)] : [];
  });
  return {
    command: 'diagnose',
    exitCode: diagnosisExitCode(diagnosis) === ExitCode.Healthy ? 0 : 1,
    id: diagnosis.id,
    startedAt: diagnosis.startedAt,
    finishedAt: diagnosis.finishedAt,
    queuePrefix: diagnosis.queuePrefix,
    summary: { critical: by('critical'), warning: by('warning'), ok: by('ok') },
    workflows: diagnosis.workflows.map((w) => workflowView(w, mask)),
    upstream,
    webhookEndpoints: (diagnosis.upstream.webhookEndpoints?.details?.endpoints ?? []).map((endpoint) => ({
      host: endpoint.host,
      jobs: endpoint.jobs,
      status: endpoint.status,
      head: {
        ...(endpoint.head.status !== undefined ? { status: endpoint.head.status } : {}),
        ...(endpoint.head.error !== undefined ? { error: mask(endpoint.head.error) } : {}),
      },
      recentStatusCodes: { ...endpoint.recentStatusCodes },
    })),
    census: censusView(diagnosis.census, mask),
  };
}

function probeView(result: ProbeResult<unknown>, label: string, mask: Mask): CliProbe {
  return {
    probe: result.probe,
    label,
    status: result.status,
    reason: mask(result.reason),
    ...(result.latencyMs !== undefined ? { latencyMs: result.latencyMs } : {}),
  };
}

function workflowView(workflow: WorkflowDiagnosis, mask: Mask): CliWorkflow {
  const { snapshot, trend } = workflow;
  return {
    id: workflow.id,
    title: workflow.title,
    queue: workflow.queue,
    producer: workflow.producer,
    verdict: {
      kind: workflow.verdict.kind,
      severity: workflow.verdict.severity,
      headline: mask(workflow.verdict.headline),
      action: mask(workflow.verdict.action),
    },
    queueReading: snapshot
      ? {
          counts: { ...snapshot.counts },
          isPaused: snapshot.isPaused,
          givenUp: { value: snapshot.givenUp.value, exact: snapshot.givenUp.exact },
          failedEarly: { value: snapshot.failedEarly.value, exact: snapshot.failedEarly.exact },
          willRetry: { value: snapshot.willRetry.value, exact: snapshot.willRetry.exact },
          workers: snapshot.workers,
          oldestWaitingAt: snapshot.oldestWaitingAt,
          oldestFailedAt: snapshot.oldestFailedAt,
          sampled: snapshot.sample.length,
          topFailureReasons: snapshot.topFailureReasons.map((r) => ({
            reason: mask(r.reason),
            count: r.count,
          })),
        }
      : null,
    trend: trend ? { ...trend } : null,
    ...(workflow.error !== undefined ? { error: mask(workflow.error) } : {}),
    ...(workflow.quiesceHint !== undefined ? { quiesceHint: workflow.quiesceHint } : {}),
  };
}

function censusView(outcome: CensusOutcome, mask: Mask): CliDiagnosis['census'] {
  if (!outcome.ok) return { ok: false, error: mask(outcome.error) };
  const { census } = outcome;
  return {
    ok: true,
    complete: census.complete,
    scannedKeys: census.scannedKeys,
    totalKeys: census.totalKeys,
    ...(census.stoppedBy ? { stoppedBy: census.stoppedBy } : {}),
    elapsedMs: census.elapsedMs,
    prefixes: census.prefixes.map((p) => ({
      prefix: p.prefix,
      type: p.type,
      keys: p.keys,
      workflows: [...p.workflows],
    })),
  };
}
