import type { Redis } from 'ioredis';
import type { Config } from './config';
import type { Logger } from './logger';
import { createUpstreamProbes } from './probes';
import { BullmqBackend } from './queues/bullmq-backend';
import { runCensus } from './queues/census';
import type { DepthSamplerStats } from './runbook/depth-sampler';
import { NO_SAMPLER, startTrendSampler } from './trend-sampler';
import { closeRedis, connectRedis } from './redis';
import {
  connectReplayRedis,
  refuseApprovedBatch,
  refusePlan,
  refusingApprovals,
  skipRecovery,
  withReplayReason,
} from './redis-acl/replay-access';
import { diagnose, systemClock, type Clock } from './runbook/diagnose';
import { SessionStore, type IncidentSession, type IncidentSessions } from './sessions/session-store';
import { RedisDeliveryGuard, type DeliveryGuard } from './delivery-guard';
import type { IncidentChannelRule } from './incident-channels';
import type { Diagnosis } from './runbook/diagnosis';
import type { DiagnoseRequest } from './runbook/diagnose';
import type { WorkflowId } from './workflows/types';
import { RedisReplayGate, type GateBlock, type GateScope, type ReplayGate } from './approvals/replay-gate';
import { recordSample } from './runbook/inspect/record-sample';
import { createTargetChecker } from './checks';
import type { SampleState } from './queues/types';
import { maskFreeText, rememberConfigSecrets, renderStoredJson } from './redaction';
import { sampleJobs, type InspectDeps } from './runbook/inspect/sample';
import type { RenderedPayload, SampleOutcome, SampleRequest } from './runbook/inspect/types';
import { RedisApprovalStore, type AuditAttempt } from './approvals/approval-store';
import type { ApprovalRecord, AuditEntry, DecideCode } from './approvals/approval-types';
import { readAudit } from './approvals/audit';
import { incidentFacts, type FactsExtra } from './runbook/oplog/facts';
import { countsFromSnapshot } from './runbook/oplog/findings';
import { hasOpenWork } from './runbook/plan/open-work';
import type { IncidentFacts, WorkflowCounts } from './runbook/oplog/types';
import type { ApproverDirectory } from './approvals/approvers';
import { RedisBatchMessages, type BatchMessages } from './approvals/batch-messages';
import { RedisReplaySeries } from './approvals/replay-series';
import { redisJobExistence } from './runbook/plan/job-existence';
import { planReplay, type PlanReplayRequest, type PlanReplayResult } from './runbook/plan/plan-replay';
import { decideBatch, type DecideBatchRequest, type DecideBatchResult } from './runbook/replay/decide-batch';
import { defaultOwner } from './runbook/replay/executor';
import { RedisBatchJournal } from './runbook/replay/journal';
import type { ReconcileResult } from './runbook/replay/reconcile';
import { resumeUnfinished } from './runbook/replay/resume-unfinished';
import { findStrandedApprovals, type StrandedApprovals } from './runbook/replay/stranded-approvals';
import { runApprovedBatch, type RunApprovedResult } from './runbook/replay/run-approved-batch';
import type { ReplayBatch } from './runbook/replay/types';
import { isBatchVerified } from './runbook/verify/batch-verified';
import { createDownstreamChecks } from './runbook/verify/downstream';
import type { Verification } from './runbook/verify/types';
import { RedisVerificationStore } from './runbook/verify/verification-store';
import { verifyBatch, type VerifyDeps, type VerifyProgress } from './runbook/verify/verify-batch';

/** Jobs read per state in a diagnosis; enough for reasons and targets, cheap on any backlog. */
export const DIAGNOSIS_SAMPLE_SIZE = 100;

/**
 * A claim this young with no journal may be another replica checking its
 * preconditions (seconds): recovery leaves it for a later pass.
 */
const CLAIM_GRACE_MS = 2 * 60_000;

/** What Slack listeners may call: the engine's entry points and ports, never its parts. */
export interface HandlerServices {
  readonly workflowIds: readonly WorkflowId[];
  readonly workflowTitle: (id: WorkflowId) => string;
  readonly diagnose: (request: DiagnoseRequest) => Promise<Diagnosis>;
  /**
   * Runbook step 2: read-only samples with their three checks, recorded in
   * the replay gate (binding on replay), with the blocks now standing.
   */
  readonly sample: (
    scope: GateScope,
    request: SampleRequest,
    by: string,
  ) => Promise<{ readonly outcome: SampleOutcome; readonly gate: readonly GateBlock[] }>;
  /** One job's whole payload, redacted; undefined when the job is gone. */
  readonly fullPayload: (
    workflowId: WorkflowId,
    state: SampleState,
    jobId: string,
  ) => Promise<RenderedPayload | undefined>;
  readonly gate: ReplayGate;
  /** Runbook step 3 up to the approval request: a stored, pending (or dry-run) manifest, or why not. */
  readonly planReplay: (request: PlanReplayRequest) => Promise<PlanReplayResult>;
  /** One Approve or Deny click, every rule checked and audited; `directory` resolves approver groups. */
  readonly decideBatch: (
    directory: ApproverDirectory,
    request: DecideBatchRequest,
  ) => Promise<DecideBatchResult>;
  /** The requester takes back a pending batch (a denial by its requester): nothing is replayed. */
  readonly withdrawBatch: (batchId: string, manifestHash: string, requester: string) => Promise<DecideCode>;
  /** Claim and run an approved batch; exactly one caller runs it. */
  readonly runApprovedBatch: (
    batchId: string,
    onProgress?: (done: number, total: number) => void,
  ) => Promise<RunApprovedResult>;
  /** Finish batches a crash left half done (at start, and again for busy ones). */
  readonly resumeUnfinished: (
    onProgress?: (batch: ReplayBatch, done: number, total: number) => void,
  ) => Promise<ReconcileResult[]>;
  /** Approved batches a crash left unsettled: ones to run now, ones closed (with the thread's line), ones still busy. */
  readonly strandedApprovals: () => Promise<StrandedApprovals>;
  /**
   * Runbook step 4 for a batch that ran: watch, judge the four parts, store
   * the result the ladder reads. Undefined when there is no such batch.
   */
  readonly verifyBatch: (
    batchId: string,
    onProgress?: (progress: VerifyProgress) => void,
  ) => Promise<Verification | 'already-running' | undefined>;
  /** One audit line for a step that is not a batch transition (diagnose, sample, verify, note, done). */
  readonly audit: (entry: AuditAttempt) => Promise<void>;
  /** The incident's batches of a workflow, oldest first (dry runs left out). */
  readonly batchesOf: (sessionId: string, workflow: WorkflowId) => Promise<ApprovalRecord[]>;
  /** Everything the note and the summary say, from the bot's own record. */
  readonly incidentFacts: (session: IncidentSession, extra?: FactsExtra) => Promise<IncidentFacts>;
  /** Counts per workflow now (bounded reads), for "before and after". */
  readonly countsNow: (
    workflowIds: readonly WorkflowId[],
  ) => Promise<Partial<Record<WorkflowId, WorkflowCounts>>>;
  /** A batch of the incident awaits approval, runs, or is being verified. */
  readonly hasOpenWork: (sessionId: string) => Promise<boolean>;
  /** Whether the incident had an audited step since `since` (epoch ms). */
  readonly activeSince: (sessionId: string, since: number) => Promise<boolean>;
  /** The newest audit entries, oldest first. */
  readonly auditLatest: (count: number) => Promise<AuditEntry[]>;
  /** Where each batch's approval request sits in Slack. */
  readonly batchMessages: BatchMessages;
  readonly sessions: IncidentSessions;
  /** A copy of a signed request (same trigger_id) is acted on once (test/adversarial). */
  readonly deliveries: DeliveryGuard;
  /** INCIDENT_CHANNELS: where `/stuckjobs` may run; empty = anywhere. */
  readonly incidentChannels: readonly IncidentChannelRule[];
  /** Shown in the acknowledgement so nobody wonders whether the bot heard them. */
  readonly trendWindowMs: number;
  readonly logger: Logger;
}

export interface HealthReport {
  readonly ok: boolean;
  readonly [part: string]: unknown;
}

export interface Services extends HandlerServices {
  /** Redis connections by role (the depth sampler has its own, `stuckjobs:trend`). */
  readonly redis: { readonly queues: Redis; readonly state: Redis; readonly replay?: Redis };
  /** What the background depth sampler has read and what it costs. */
  trendSampler(): DepthSamplerStats;
  /** What `GET /healthz` reports: both Redis roles answer PING. */
  health(): Promise<HealthReport>;
  close(): Promise<void>;
}

async function ping(client: Redis): Promise<string> {
  try {
    return (await client.ping()) === 'PONG' ? 'ok' : 'unexpected reply';
  } catch (error) {
    return error instanceof Error ? error.message : 'unreachable';
  }
}

/** The composition root's engine half: every port gets its real implementation here. */
export interface ServicesOptions {
  /**
   * Keep recent queue readings in the background so a diagnosis answers at
   * once (default). A one-shot process (the CLI) has no earlier readings to
   * gain from and leaves it off: its diagnosis watches the window itself.
   */
  readonly sampleTrends?: boolean;
}

export function createServices(
  config: Config,
  logger: Logger,
  clock: Clock = systemClock,
  options: ServicesOptions = {},
): Services {
  // Before any connection can fail: an error quoting a configured credential is masked from the start.
  rememberConfigSecrets(config);
  const queues = connectRedis(config.redis.url, { role: 'queues', logger });
  const state = connectRedis(config.redis.stateUrl, { role: 'state', logger });
  // Least privilege (docs/redis-acl.md): only replay writes Delphi's queues, on its own user when given.
  const replay = connectReplayRedis(config, queues, logger);
  const backend = new BullmqBackend({ connection: queues, prefix: config.queuePrefix, logger });
  const trend = options.sampleTrends === false ? undefined : startTrendSampler(config, logger);
  const probes = createUpstreamProbes(config);
  const sessions = new SessionStore(state, config.statePrefix, logger);
  const deps = {
    backend,
    probes,
    census: () =>
      runCensus(queues, {
        keyBudget: config.census.keyBudget,
        timeBudgetMs: config.census.timeBudgetMs,
        queuePrefix: config.queuePrefix,
        workflows: config.workflows,
      }),
    workflows: config.workflows,
    queuePrefix: config.queuePrefix,
    trendWindowMs: config.trendWindowMs,
    ...(trend ? { readings: trend.sampler } : {}),
    sampleSize: DIAGNOSIS_SAMPLE_SIZE,
    clock,
    logger,
  };
  const targets = createTargetChecker({ config });
  const gate = new RedisReplayGate(state, config.statePrefix, logger);
  const renderPayload = (raw: string | null): RenderedPayload =>
    raw === null
      ? { kind: 'empty', text: '', redactions: 0 }
      : renderStoredJson(raw, { extraSecretKeys: config.redactExtraKeys });
  const inspectDeps: InspectDeps = {
    backend,
    targets,
    renderPayload,
    redactText: (text) => maskFreeText(text, config.redactExtraKeys),
    workflows: config.workflows,
    platformVersion: config.platformVersion,
    windowSize: config.sampleWindow,
    clock,
    logger,
  };
  // The same clock as planning, so an expiry is judged by the clock that set it.
  const store = new RedisApprovalStore(state, config.statePrefix, logger, { clock: () => clock.now() });
  const journal = new RedisBatchJournal(state, config.statePrefix, logger);
  const series = new RedisReplaySeries(state, config.statePrefix, store);
  const verifications = new RedisVerificationStore(state, config.statePrefix);
  const downstream = createDownstreamChecks(config);
  const verifyDeps: VerifyDeps = {
    redis: queues,
    queuePrefix: config.queuePrefix,
    backend,
    journal,
    downstream: (workflow, jobs) => downstream.check(workflow, jobs),
    ...(config.signoz.url ? { signoz: probes.signoz } : {}),
    store: verifications,
    clock,
    windowMs: config.verify.windowMs,
    pollMs: config.verify.pollMs,
  };
  // One owner per process: a restarted bot is a new owner and waits out the old lease.
  const owner = defaultOwner();
  const planDeps = {
    backend,
    targets,
    probes,
    workflows: config.workflows,
    windowSize: config.sampleWindow,
    gate,
    jobs: redisJobExistence(queues, config.queuePrefix),
    store,
    series,
    verify: (record: { manifest: { id: string } }) =>
      isBatchVerified({ verifications, journal }, record.manifest.id),
    ladder: { steps: config.replay.ladderSteps, max: config.replay.maxBatch },
    approvalTtlMs: config.replay.approvalTtlMs,
    clock: () => clock.now(),
    logger,
  };
  const runDeps = {
    store,
    gate,
    backend,
    probes,
    // Never used without `replay.redis`: the replay entry points below refuse first.
    connection: replay.redis ?? queues,
    queuePrefix: config.queuePrefix,
    journal,
    logger,
    owner,
  };
  const queueOf = (id: WorkflowId) => config.workflows.find((w) => w.id === id)?.queue ?? id;
  let closing: Promise<void> | undefined;
  return {
    workflowIds: config.workflows.map((w) => w.id),
    workflowTitle: (id) => config.workflows.find((w) => w.id === id)?.title ?? id,
    diagnose: (request) => diagnose(deps, request),
    sample: async (scope, request, by) => {
      const outcome = await sampleJobs(inspectDeps, request);
      const standing = await recordSample({ backend, gate, workflows: config.workflows }, scope, outcome, by);
      return { outcome, gate: standing };
    },
    fullPayload: async (workflowId, jobState, jobId) => {
      const job = await backend.readJob(queueOf(workflowId), jobState, jobId);
      return job ? renderPayload(job.rawData) : undefined;
    },
    gate,
    // A dry run moves nothing: it plans on the read connection even when replay is switched off.
    planReplay: (request) =>
      replay.redis || request.dryRun ? planReplay(planDeps, request) : refusePlan(store, request),
    decideBatch: async (directory, request) => {
      const approvals = replay.redis ? store : refusingApprovals(store);
      const deps = { store: approvals, gate, backend, probes, approvers: config.approvers };
      const outcome = await decideBatch(deps, directory, request);
      return replay.redis ? outcome : withReplayReason(outcome);
    },
    withdrawBatch: async (batchId, manifestHash, requester) =>
      (await store.decide(batchId, { decision: 'deny', userId: requester, userAllowed: false, manifestHash }))
        .code,
    runApprovedBatch: (batchId, onProgress) =>
      replay.redis
        ? runApprovedBatch(runDeps, batchId, onProgress)
        : refuseApprovedBatch(store, owner, batchId),
    resumeUnfinished: (onProgress) =>
      replay.redis ? resumeUnfinished(runDeps, onProgress) : skipRecovery(journal, logger),
    strandedApprovals: () =>
      findStrandedApprovals({
        store,
        journal,
        logger,
        owner,
        clock: () => clock.now(),
        approvalTtlMs: config.replay.approvalTtlMs,
        claimGraceMs: CLAIM_GRACE_MS,
      }),
    verifyBatch: async (batchId, onProgress) => {
      const record = await store.get(batchId);
      if (!record) return undefined;
      const { manifest } = record;
      const session = await sessions.current(manifest.teamId, manifest.channelId);
      const baseline = session?.id === manifest.sessionId ? session.baseline : undefined;
      return verifyBatch(
        verifyDeps,
        {
          batchId,
          workflow: manifest.workflow,
          queue: manifest.queue,
          ...(baseline
            ? { baseline: { errorRate: baseline.errorRate, p95Ms: baseline.p95Ms, spans: baseline.spans } }
            : {}),
        },
        onProgress,
      );
    },
    audit: (entry) => store.auditAttempt(entry),
    batchesOf: (sessionId, workflow) => series.records(sessionId, workflow),
    incidentFacts: (session, extra) =>
      incidentFacts(
        {
          timeline: (sessionId, since) => readAudit(state, store.auditKey, { sessionId, since }),
          batchesOf: (sessionId, workflow) => series.records(sessionId, workflow),
          verifications,
          journal,
        },
        session,
        extra,
      ),
    countsNow: async (workflowIds) => {
      const counts: Partial<Record<WorkflowId, WorkflowCounts>> = {};
      await Promise.all(
        workflowIds.map(async (id) => {
          const snapshot = await backend.snapshot(queueOf(id), { sampleSize: DIAGNOSIS_SAMPLE_SIZE });
          counts[id] = countsFromSnapshot(snapshot);
        }),
      );
      return counts;
    },
    hasOpenWork: (sessionId) => hasOpenWork({ series, verifications }, sessionId, clock.now()),
    activeSince: async (sessionId, since) =>
      (await readAudit(state, store.auditKey, { sessionId, since })).length > 0,
    auditLatest: (count) => readAudit(state, store.auditKey, { maxScan: count }),
    batchMessages: new RedisBatchMessages(state, config.statePrefix),
    sessions,
    deliveries: new RedisDeliveryGuard(state, config.statePrefix, logger),
    incidentChannels: config.incidentChannels,
    trendWindowMs: config.trendWindowMs,
    logger,
    redis: { queues, state, ...(replay.redis ? { replay: replay.redis } : {}) },
    trendSampler: () => trend?.sampler.stats() ?? NO_SAMPLER,
    health: async () => {
      const ownReplay = replay.own && replay.redis ? replay.redis : undefined;
      const [queuesStatus, stateStatus, replayStatus] = await Promise.all([
        ping(queues),
        ping(state),
        ownReplay ? ping(ownReplay) : undefined,
      ]);
      return {
        ok: queuesStatus === 'ok' && stateStatus === 'ok' && (replayStatus ?? 'ok') === 'ok',
        redis: {
          queues: queuesStatus,
          state: stateStatus,
          ...(replayStatus ? { replay: replayStatus } : {}),
          ...(replay.redis ? {} : { replay: 'off: REQUIRE_REPLAY_REDIS_URL without REPLAY_REDIS_URL' }),
        },
      };
    },
    close: () => {
      // Idempotent, and every step runs even if an earlier one fails.
      closing ??= Promise.allSettled([
        trend?.close(),
        backend.close(),
        targets.close(),
        downstream.close(),
      ]).then(async () => {
        const ownReplay = replay.own && replay.redis ? [closeRedis(replay.redis)] : [];
        await Promise.allSettled([closeRedis(queues), closeRedis(state), ...ownReplay]);
      });
      return closing;
    },
  };
}
