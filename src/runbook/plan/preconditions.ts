import { z } from 'zod';
import { errorMessage } from '../../errors';
import type { UpstreamProbes, WebhookTarget } from '../../probes';
import type { JobSummary } from '../../queues/types';
import type { WorkflowId } from '../../workflows/types';
import { statusFromFailureReason } from '../../workflows/webhooks';

export interface PreconditionDeps {
  readonly probes: Pick<UpstreamProbes, 'recordings' | 'stripe' | 'webhookEndpoints'>;
}

export interface PreconditionRequest {
  readonly workflow: WorkflowId;
  /** The jobs about to be replayed: their webhook hosts are the ones that must be up. */
  readonly jobs: readonly JobSummary[];
}

export interface PreconditionOutcome {
  readonly ok: boolean;
  /** Why not, one line each; empty when ok. */
  readonly reasons: string[];
  /** What was checked and held, one line each: the approval request's ✓ list says only what is true. */
  readonly held: string[];
}

/**
 * The webhook probe asks its busiest hosts only (5 by default): asking it for
 * this many at a time lets every host be asked. A host the probe left out
 * anyway refuses, so a smaller setting fails closed.
 */
const HOSTS_PER_PROBE = 5;
/** Probe calls in flight at once, so a batch with many hosts neither serialises nor floods. */
const PROBES_IN_FLIGHT = 4;

/**
 * Safety invariant 5: the workflow's upstream is healthy now. The caller runs
 * this at plan time, at approval time and right before execution, because
 * health changes in between. Never throws: a failure to check refuses.
 */
export async function checkPreconditions(
  deps: PreconditionDeps,
  request: PreconditionRequest,
): Promise<PreconditionOutcome> {
  try {
    const reasons = await reasonsFor(deps, request);
    return reasons.length === 0
      ? { ok: true, reasons, held: heldLines(request) }
      : { ok: false, reasons, held: [] };
  } catch (error) {
    return {
      ok: false,
      reasons: [`could not check the ${request.workflow} preconditions: ${errorMessage(error)}`],
      held: [],
    };
  }
}

function heldLines(request: PreconditionRequest): string[] {
  switch (request.workflow) {
    case 'recordings':
      return ['RECORDING_ENABLED is on', 'the recordings bucket answers'];
    case 'billing':
      return ['Stripe is reachable'];
    case 'webhooks': {
      const hosts = new Set(
        request.jobs.map((job) => hostOf(urlCarrier.safeParse(job.data).data?.url ?? '')),
      );
      return [`the ${hosts.size} tenant endpoint(s) of these ${request.jobs.length} jobs answer healthy now`];
    }
  }
}

async function reasonsFor(deps: PreconditionDeps, request: PreconditionRequest): Promise<string[]> {
  switch (request.workflow) {
    case 'recordings':
      return recordingsReasons(deps);
    case 'billing':
      return billingReasons(deps);
    case 'webhooks':
      return webhookReasons(deps, request.jobs);
  }
}

async function recordingsReasons(deps: PreconditionDeps): Promise<string[]> {
  const probe = await deps.probes.recordings();
  // Checked apart from the status so the refusal says which half is missing.
  if (probe.details?.enabled !== true) {
    return [`recordings: RECORDING_ENABLED is not on (${probe.reason})`];
  }
  if (probe.status !== 'ok')
    return [`recordings: the recordings bucket is not healthy (${probe.status}): ${probe.reason}`];
  return [];
}

async function billingReasons(deps: PreconditionDeps): Promise<string[]> {
  const probe = await deps.probes.stripe();
  return probe.status === 'ok' ? [] : [`billing: Stripe is not reachable (${probe.status}): ${probe.reason}`];
}

const urlCarrier = z.object({ url: z.string() });

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
}

async function webhookReasons(deps: PreconditionDeps, jobs: readonly JobSummary[]): Promise<string[]> {
  // No job, no endpoint to vouch for: say so rather than pass on nothing.
  if (jobs.length === 0) return ['webhooks: no job of the batch is there to check its endpoint'];
  const reasons: string[] = [];
  const byHost = new Map<string, WebhookTarget[]>();
  for (const job of jobs) {
    const parsed = urlCarrier.safeParse(job.data);
    const host = parsed.success ? hostOf(parsed.data.url) : undefined;
    if (!parsed.success || host === undefined) {
      reasons.push(`webhooks: job ${job.id} has no webhook URL whose host could be checked`);
      continue;
    }
    const targets = byHost.get(host) ?? [];
    targets.push({ url: parsed.data.url, failureStatus: statusFromFailureReason(job.failedReason) });
    byHost.set(host, targets);
  }
  const hosts = [...byHost.keys()];
  const chunks: string[][] = [];
  for (let i = 0; i < hosts.length; i += HOSTS_PER_PROBE) chunks.push(hosts.slice(i, i + HOSTS_PER_PROBE));
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < chunks.length; i = next++) {
      reasons.push(...(await probeHosts(deps, chunks[i] ?? [], byHost)));
    }
  };
  await Promise.all(Array.from({ length: Math.min(PROBES_IN_FLIGHT, chunks.length) }, worker));
  return reasons;
}

/** Every host must be in the answer and `ok`: down, not probed (private) and not asked all refuse. */
async function probeHosts(
  deps: PreconditionDeps,
  hosts: readonly string[],
  byHost: ReadonlyMap<string, readonly WebhookTarget[]>,
): Promise<string[]> {
  const probe = await deps.probes.webhookEndpoints(hosts.flatMap((host) => byHost.get(host) ?? []));
  const endpoints = new Map((probe.details?.endpoints ?? []).map((e) => [e.host, e]));
  const reasons = hosts.flatMap((host) => {
    const endpoint = endpoints.get(host);
    if (!endpoint) return [`webhooks: endpoint ${host} was not checked`];
    if (endpoint.status === 'ok') return [];
    const answer =
      endpoint.head.status !== undefined
        ? `HTTP ${endpoint.head.status}`
        : (endpoint.head.error ?? 'no answer');
    return [
      `webhooks: endpoint ${host} is ${endpoint.status === 'down' ? 'down' : 'not known to be healthy'} (${answer})`,
    ];
  });
  // A probe that is not ok yet named no failing host still refuses, with its own words.
  if (probe.status !== 'ok' && reasons.length === 0) {
    reasons.push(
      `webhooks: endpoints ${hosts.join(', ')} could not be confirmed healthy (${probe.status}): ${probe.reason}`,
    );
  }
  return reasons;
}
