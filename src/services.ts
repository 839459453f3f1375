import type { Config } from './config';
import type { Logger } from './logger';
import { createUpstreamProbes } from './probes';
import { BullmqBackend } from './queues/bullmq-backend';
import { runCensus } from './queues/census';
import { NO_SAMPLER, startTrendSampler } from './trend-sampler';
import { closeRedis, connectRedis } from './redis';
import { redisHealth } from './redis-health';
import {
  connectReplayRedis,
  refuseApprovedBatch,
  refusePlan,
  refusingApprovals,
  skipRecovery,
  withReplayReason,
} from './redis-acl/replay-access';
import { diagnose, systemClock, type Clock } from './runbook/diagnose';
import { SessionStore } from './sessions/session-store';
import { RedisDeliveryGuard } from './delivery-guard';
import type { WorkflowId } from './workflows/types';
import { RedisReplayGate } from './approvals/replay-gate';
import { recordSample } from './runbook/inspect/record-sample';
import { createTargetChecker } from './checks';
import { maskFreeText, rememberConfigSecrets, renderStoredJson } from './redaction';
import { sampleJobs, type InspectDeps } from './runbook/inspect/sample';
import type { RenderedPayload } from './runbook/inspect/types';
import { RedisApprovalStore } from './approvals/approval-store';
import { readAudit } from './approvals/audit';
import { incidentFacts } from './runbook/oplog/facts';
import { countsFromSnapshot } from './runbook/oplog/findings';
import { hasOpenWork } from './runbook/plan/open-work';
import type { WorkflowCounts } from './runbook/oplog/types';
import { RedisBatchMessages } from './approvals/batch-messages';
import { RedisReplaySeries } from './approvals/replay-series';
import { redisJobExistence } from './runbook/plan/job-existence';
import { planReplay } from './runbook/plan/plan-replay';
import { decideBatch } from './runbook/replay/decide-batch';
import { defaultOwner } from './runbook/replay/executor';
import { RedisBatchJournal } from './runbook/replay/journal';
import { resumeUnfinished } from './runbook/replay/resume-unfinished';
import { findStrandedApprovals } from './runbook/replay/stranded-approvals';
import { runApprovedBatch } from './runbook/replay/run-approved-batch';
import { isBatchVerified } from './runbook/verify/batch-verified';
import { createDownstreamChecks } from './runbook/verify/downstream';
import { RedisVerificationStore } from './runbook/verify/verification-store';
import { verifyBatch, type VerifyDeps } from './runbook/verify/verify-batch';
import type { Services } from './services-types';

// The ports' types live apart from their wiring; importers keep reading them from here.
export type { HandlerServices, HealthReport, Services } from './services-types';

/** Jobs read per state in a diagnosis; enough for reasons and targets, cheap on any backlog. */
export const DIAGNOSIS_SAMPLE_SIZE = 100;

/**
 * A claim this young with no journal may be another replica checking its
 * preconditions (seconds): recovery leaves it for a later pass.
 */
const CLAIM_GRACE_MS = 2 * 60_000;

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
    health: () => redisHealth(queues, state, replay),
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
