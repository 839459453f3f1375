import type { ApprovalRecord, ApprovalState } from '../../../src/approvals/approval-types';
import { createBatchManifest, type BatchManifest } from '../../../src/approvals/batch-manifest';
import { DEFAULT_LADDER_STEPS } from '../../../src/approvals/ladder';
import type { GateBlock } from '../../../src/approvals/replay-gate';
import type { CheckResult } from '../../../src/checks/types';
import { silentLogger } from '../../../src/logger';
import type { EndpointsDetails, ProbeResult, ProbeStatus, WebhookTarget } from '../../../src/probes';
import type { JobSummary, SampleState } from '../../../src/queues/types';
import type { BatchVerdict } from '../../../src/runbook/verify/batch-verified';
import type { PlanReplayDeps, PlanReplayRequest } from '../../../src/runbook/plan/plan-replay';
import type { WorkflowId } from '../../../src/workflows';
import { buildWorkflows } from '../../../src/workflows';
import { manifestInput } from '../../approvals/fixtures';

export const NOW = 1_750_000_000_000;
/** Not the manifest default (15 minutes), so a plan that ignores approvalTtlMs shows. */
export const TTL_MS = 10 * 60_000;
export const SESSION = 'sess-1';

/** A given-up webhook delivery as the backend reads it. */
export function hookJob(id: string, over: { tenant?: string; host?: string } & Partial<JobSummary> = {}) {
  const { tenant = 'acme', host = 'a.example', ...fields } = over;
  const data = {
    tenantId: tenant,
    webhookId: `wh-${id}`,
    url: `https://${host}/hooks/${id}`,
    event: 'e',
    body: {},
  };
  const job: JobSummary = {
    id,
    name: 'deliver-webhook',
    state: 'failed',
    data,
    rawData: JSON.stringify(data),
    attemptsMade: 3,
    attemptsAllowed: 3,
    failedReason: 'HTTP 503 from tenant endpoint',
    createdAt: NOW - 3_600_000,
    ...fields,
  };
  return job;
}

/** A batch already in the replay's series. */
export function seriesRecord(state: ApprovalState, batchNumber = 1, jobs = 2): ApprovalRecord {
  const created = NOW - 60_000;
  const manifest = createBatchManifest(
    manifestInput({
      sessionId: SESSION,
      batchNumber,
      createdAt: created,
      expiresAt: created + TTL_MS,
      jobs: Array.from({ length: jobs }, (_, i) => ({ id: `old-${i}`, payloadSha256: 'a'.repeat(64) })),
    }),
    created,
  );
  return { manifest, manifestHash: 'hash', state };
}

export interface Fakes {
  readonly deps: PlanReplayDeps;
  /** Jobs per state, as the backend answers. */
  readonly queue: Record<SampleState, JobSummary[]>;
  readonly blocks: GateBlock[];
  readonly series: {
    records: ApprovalRecord[];
    appended: [string, WorkflowId, string][];
    /** Lock and unlock calls, in order. */
    locks: ['lock' | 'unlock', string, WorkflowId, string][];
    /** Someone else is planning this replay: lockPlanning answers false. */
    busy: boolean;
  };
  readonly created: BatchManifest[];
  /** Audit lines of attempts that never became a batch (refused plans). */
  readonly attempts: { action: string; actor: string; result: string; detail: string }[];
  /** Webhook hosts the probe calls down; every other host is healthy. */
  readonly downHosts: Set<string>;
  readonly probed: { webhooks: WebhookTarget[][]; recordings: number };
  readonly existing: Set<string>;
  verdict: BatchVerdict;
}

/** Every dependency of planReplay, in memory; everything healthy unless a test says otherwise. */
export function fakes(): Fakes {
  const f: Omit<Fakes, 'deps'> = {
    queue: { failed: [], delayed: [], waiting: [] },
    blocks: [],
    series: { records: [], appended: [], locks: [], busy: false },
    created: [],
    attempts: [],
    downHosts: new Set(),
    probed: { webhooks: [], recordings: 0 },
    existing: new Set(),
    verdict: { verified: true, reason: 'all replayed jobs completed', replayed: 2 },
  };
  const pass: CheckResult = { check: 'target-exists', status: 'pass', reason: 'HEAD answered 200' };
  const deps: PlanReplayDeps = {
    backend: {
      readWindow: (_queue, state, size) => {
        const jobs = f.queue[state];
        return Promise.resolve({
          state,
          jobs: jobs.slice(0, size),
          stateCount: jobs.length,
          capped: jobs.length > size,
        });
      },
      readJob: (_queue, state, id) => Promise.resolve(f.queue[state].find((job) => job.id === id)),
    },
    targets: { check: () => Promise.resolve(pass) },
    probes: {
      stripe: () => Promise.resolve({ probe: 'stripe', status: 'ok', reason: 'reachable' }),
      recordings: () => {
        f.probed.recordings += 1;
        return Promise.resolve({
          probe: 'recordings',
          status: 'ok',
          reason: 'bucket rec reachable',
          details: { enabled: true, bucket: 'rec' },
        });
      },
      webhookEndpoints: (targets): Promise<ProbeResult<EndpointsDetails>> => {
        f.probed.webhooks.push([...targets]);
        const hosts = [...new Set(targets.map((t) => new URL(t.url).host))];
        const endpoints = hosts.map((host) => {
          const status: ProbeStatus = f.downHosts.has(host) ? 'down' : 'ok';
          return {
            host,
            jobs: 1,
            recentStatusCodes: {},
            head: { status: status === 'ok' ? 200 : 503 },
            status,
          };
        });
        const anyDown = endpoints.some((e) => e.status !== 'ok');
        return Promise.resolve({
          probe: 'webhook-endpoints',
          status: anyDown ? 'degraded' : 'ok',
          reason: anyDown ? 'some down' : 'all up',
          details: { endpoints },
        });
      },
    },
    workflows: buildWorkflows(undefined),
    windowSize: 100,
    gate: { blocks: () => Promise.resolve(f.blocks) },
    jobs: { existing: (_queue, ids) => Promise.resolve(new Set(ids.filter((id) => f.existing.has(id)))) },
    store: {
      create: (manifest) => {
        f.created.push(manifest);
        return Promise.resolve({ code: 'created', manifestHash: `hash-${manifest.id}` });
      },
      auditAttempt: ({ action, actor, result, detail }) => {
        f.attempts.push({ action, actor, result, detail });
        return Promise.resolve();
      },
    },
    series: {
      lockPlanning: (sessionId, workflow, token) => {
        f.series.locks.push(['lock', sessionId, workflow, token]);
        return Promise.resolve(!f.series.busy);
      },
      unlockPlanning: (sessionId, workflow, token) => {
        f.series.locks.push(['unlock', sessionId, workflow, token]);
        return Promise.resolve();
      },
      append: (sessionId, workflow, batchId) => {
        f.series.appended.push([sessionId, workflow, batchId]);
        return Promise.resolve();
      },
      records: () => Promise.resolve(f.series.records),
    },
    verify: () => Promise.resolve(f.verdict),
    ladder: { steps: DEFAULT_LADDER_STEPS, max: 1000 },
    approvalTtlMs: TTL_MS,
    clock: () => NOW,
    logger: silentLogger,
  };
  return Object.assign(f, { deps });
}

export function request(over: Partial<PlanReplayRequest> = {}): PlanReplayRequest {
  return {
    scope: { teamId: 'T1', channelId: 'C1' },
    sessionId: SESSION,
    workflow: 'webhooks',
    cohort: { tenant: 'acme' },
    dryRun: false,
    requestedBy: 'U-REQ',
    ...over,
  };
}

/** A failed sample on `cohort`, as the gate stores it. */
export function gateBlock(cohort: GateBlock['cohort'], cohortKey: string): GateBlock {
  return {
    workflow: 'webhooks',
    state: 'failed',
    cohortKey,
    cohort,
    sampleId: 's-1',
    at: NOW - 120_000,
    by: 'U-OPS',
    failures: [{ jobId: '42', check: 'well-formed', reason: 'url is missing' }],
  };
}
