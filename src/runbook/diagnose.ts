import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { errorMessage } from '../errors';
import type { Logger } from '../logger';
import type { UpstreamProbes } from '../probes';
import type { EndpointsDetails, ProbeResult, UpstreamReport, WebhookTarget } from '../probes/types';
import type { Census, DepthReading, QueueBackend, QueueSnapshot } from '../queues/types';
import type { AnyWorkflow, WorkflowId } from '../workflows/types';
import { statusFromFailureReason } from '../workflows/webhooks';
import type { CensusOutcome, Diagnosis, WorkflowDiagnosis } from './diagnosis';
import { measureTrend, type TrendReadings } from './trend';
import { decideVerdict, quiesceHint } from './verdict';

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface DiagnoseDeps {
  readonly backend: QueueBackend;
  readonly probes: UpstreamProbes;
  readonly census: () => Promise<Census>;
  readonly workflows: readonly AnyWorkflow[];
  readonly queuePrefix: string;
  /** The least time a trend is measured over. */
  readonly trendWindowMs: number;
  /**
   * Readings already taken (the services' background sampler): with one at
   * least `trendWindowMs` old the diagnosis answers without waiting. Without
   * it, or right after start, the diagnosis watches the queues for the window.
   */
  readonly readings?: TrendReadings;
  /** Jobs read per state: bounds the cost of a diagnosis whatever the backlog. */
  readonly sampleSize: number;
  readonly clock: Clock;
  readonly logger: Logger;
}

export interface DiagnoseRequest {
  /** Omit for every workflow. */
  readonly workflowIds?: readonly WorkflowId[];
}

interface QueueRead {
  readonly workflow: AnyWorkflow;
  readonly snapshot?: QueueSnapshot;
  /** The trend's two readings: earlier, then later. */
  readonly first?: DepthReading;
  readonly second?: DepthReading;
  readonly error?: string;
}

/**
 * The runbook's three questions in one pass: queues (where is the backlog),
 * Ops containers and SigNoz (unhealthy or slow), upstream probes (is the
 * upstream healthy). Reads only; every failure becomes part of the answer.
 */
export async function diagnose(deps: DiagnoseDeps, request: DiagnoseRequest = {}): Promise<Diagnosis> {
  const id = `d-${randomUUID().slice(0, 8)}`;
  const log = deps.logger.child({ diagnosis: id });
  const startedAt = deps.clock.now();
  const selected = deps.workflows.filter((w) => !request.workflowIds || request.workflowIds.includes(w.id));
  const has = (workflowId: WorkflowId) => selected.some((w) => w.id === workflowId);

  // Started before the queue reads, not after them: none of these needs a snapshot, and on a
  // Redis that answers nothing the census would otherwise add its own timeout to theirs.
  const censusPromise = deps.census().then(
    (census): CensusOutcome => ({ ok: true, census }),
    (error: unknown): CensusOutcome => ({ ok: false, error: errorMessage(error) }),
  );
  const independentPromise = settleAll({
    docker: deps.probes.docker(),
    signoz: deps.probes.signoz(),
    stripe: has('billing') ? deps.probes.stripe() : undefined,
    recordings: has('recordings') ? deps.probes.recordings() : undefined,
  });

  const snapshots = await Promise.all(selected.map((workflow) => readSnapshot(deps, workflow)));
  const webhookRead = snapshots.find((read) => read.workflow.id === 'webhooks');
  const upstreamPromise = Promise.all([
    independentPromise,
    settleAll({
      webhookEndpoints: webhookRead ? probeWebhookTargets(deps.probes, webhookRead) : undefined,
    }),
  ]).then(([independent, webhooks]) => ({ ...independent, ...webhooks }));

  const reads = await trendReadings(deps, snapshots, startedAt);
  const [upstream, census] = await Promise.all([upstreamPromise, censusPromise]);

  const workflows = reads.map((read) => toWorkflowDiagnosis(read, upstream));
  const finishedAt = deps.clock.now();
  log.info(
    { ms: finishedAt - startedAt, verdicts: workflows.map((w) => `${w.id}:${w.verdict.kind}`) },
    'diagnosis finished',
  );
  return { id, startedAt, finishedAt, queuePrefix: deps.queuePrefix, workflows, upstream, census };
}

async function readSnapshot(deps: DiagnoseDeps, workflow: AnyWorkflow): Promise<QueueRead> {
  try {
    return {
      workflow,
      snapshot: await deps.backend.snapshot(workflow.queue, { sampleSize: deps.sampleSize }),
    };
  } catch (error) {
    deps.logger.warn({ err: error, workflow: workflow.id }, 'queue snapshot failed');
    return { workflow, error: errorMessage(error) };
  }
}

/**
 * Each queue's trend readings. The snapshot's own reading is the later one
 * when a kept reading is at least a window older; otherwise the diagnosis
 * watches: from the oldest kept reading (or its snapshot) until a window has
 * passed, then reads again. Readings carry the backend's time; the wait is
 * measured on the diagnosis clock, as before.
 */
async function trendReadings(
  deps: DiagnoseDeps,
  snapshots: readonly QueueRead[],
  startedAt: number,
): Promise<QueueRead[]> {
  const window = deps.trendWindowMs;
  const planned = snapshots.map((read): QueueRead & { readonly waitMs: number } => {
    if (!read.snapshot) return { ...read, waitMs: 0 };
    const now = read.snapshot.reading;
    const kept = deps.readings?.before(read.workflow.queue, now.at, window);
    if (kept) return { ...read, first: kept, second: now, waitMs: 0 };
    const first = deps.readings?.earliest(read.workflow.queue, now.at) ?? now;
    return { ...read, first, waitMs: window - (now.at - first.at) };
  });
  const waitMs = Math.max(0, ...planned.map((read) => read.waitMs));
  if (waitMs > 0) {
    const remaining = waitMs - (deps.clock.now() - startedAt);
    if (remaining > 0) await deps.clock.sleep(remaining);
  }
  return Promise.all(
    planned.map(async ({ waitMs: _, ...read }) =>
      read.second || !read.first ? read : readSecondDepth(deps, read),
    ),
  );
}

async function readSecondDepth(deps: DiagnoseDeps, read: QueueRead): Promise<QueueRead> {
  const queue = read.workflow.queue;
  try {
    return {
      ...read,
      second: await (deps.readings ? deps.readings.read(queue) : deps.backend.readDepth(queue)),
    };
  } catch (error) {
    // The snapshot stands; only the trend is lost.
    deps.logger.warn({ err: error, workflow: read.workflow.id }, 'second depth reading failed');
    return read;
  }
}

function toWorkflowDiagnosis(read: QueueRead, upstream: Partial<UpstreamReport>): WorkflowDiagnosis {
  const { workflow, snapshot } = read;
  const trend = read.first && read.second ? measureTrend(read.first, read.second) : undefined;
  const verdict = decideVerdict({
    workflow: workflow.id,
    containers: workflow.containers,
    snapshot,
    error: read.error,
    trend,
    docker: upstream.docker,
    upstream: upstreamOf(workflow.id, upstream),
  });
  return {
    id: workflow.id,
    title: workflow.title,
    queue: workflow.queue,
    producer: workflow.producer,
    snapshot,
    error: read.error,
    trend,
    verdict,
    quiesceHint: quiesceHint(workflow.producer, trend),
  };
}

function upstreamOf(id: WorkflowId, upstream: Partial<UpstreamReport>): ProbeResult<unknown> | undefined {
  switch (id) {
    case 'webhooks':
      return upstream.webhookEndpoints;
    case 'recordings':
      return upstream.recordings;
    case 'billing':
      return upstream.stripe;
  }
}

/** Without a sample there are no targets to check, which is not the same as "none failing". */
function probeWebhookTargets(
  probes: UpstreamProbes,
  read: QueueRead,
): Promise<ProbeResult<EndpointsDetails>> {
  if (!read.snapshot) {
    return Promise.resolve({
      probe: 'webhook-endpoints',
      status: 'unknown',
      reason: 'no job sample to read tenant targets from (the queue could not be read)',
    });
  }
  return probes.webhookEndpoints(webhookTargets(read.snapshot.sample));
}

const urlCarrier = z.object({ url: z.string() });

/** The targets of failed and retrying webhook jobs, as far as their payloads say. */
export function webhookTargets(sample: QueueSnapshot['sample']): WebhookTarget[] {
  return sample
    .filter((job) => job.state === 'failed' || job.attemptsMade > 0)
    .flatMap((job) => {
      const parsed = urlCarrier.safeParse(job.data);
      return parsed.success
        ? [{ url: parsed.data.url, failureStatus: statusFromFailureReason(job.failedReason) }]
        : [];
    });
}

type Settled<T> = { [K in keyof T]: Awaited<T[K]> };

/** Probes never reject, but a bug in one must not sink the others. */
async function settleAll<T extends Record<string, Promise<unknown> | undefined>>(
  promises: T,
): Promise<Partial<Settled<T>>> {
  const entries = await Promise.all(
    Object.entries(promises).map(async ([key, promise]) => {
      if (!promise) return [key, undefined] as const;
      try {
        return [key, await promise] as const;
      } catch (error) {
        return [
          key,
          { probe: key, status: 'unknown', reason: `probe failed: ${errorMessage(error)}` },
        ] as const;
      }
    }),
  );
  return Object.fromEntries(entries.filter(([, value]) => value !== undefined)) as Partial<Settled<T>>;
}
