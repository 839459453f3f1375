import type { Redis } from 'ioredis';
import type { ErrorRateWindow, ProbeResult, SignozDetails } from '../../probes/types';
import type { QueueBackend } from '../../queues/types';
import type { WorkflowId } from '../../workflows/types';
import type { Clock } from '../diagnose';
import { replayedIn, type BatchJournal } from '../replay/types';
import { drainPart, type DrainReading } from './drain';
import { errorRatePart } from './error-rate';
import { followJobs, jobsPart } from './job-outcomes';
import type { CompletedJob, Verification, VerificationPart, VerificationStatus } from './types';
import type { VerificationStore } from './verification-store';

export interface VerifyDeps {
  /** Delphi's Redis: reads only. */
  readonly redis: Redis;
  readonly queuePrefix: string;
  readonly backend: Pick<QueueBackend, 'readDepth' | 'workers'>;
  readonly journal: Pick<BatchJournal, 'entries'>;
  readonly downstream: (workflow: WorkflowId, jobs: readonly CompletedJob[]) => Promise<VerificationPart>;
  /** Undefined when SigNoz is not configured. */
  readonly signoz?: () => Promise<ProbeResult<SignozDetails>>;
  readonly store: VerificationStore;
  readonly clock: Clock;
  /** How long to watch at most (runbook: "observe the result end to end"). */
  readonly windowMs: number;
  readonly pollMs: number;
}

export interface VerifyRequest {
  readonly batchId: string;
  readonly workflow: WorkflowId;
  readonly queue: string;
  /** SigNoz's error rate when the incident was diagnosed. */
  readonly baseline?: ErrorRateWindow;
}

/** One-line status of the watch so far, for the message edited in place. */
export interface VerifyProgress {
  readonly elapsedMs: number;
  readonly windowMs: number;
  readonly completed: number;
  readonly failedAgain: number;
  readonly replayed: number;
}

/**
 * The part that decides: any `fail` makes the batch not verified; otherwise
 * any `unknown` leaves it inconclusive; only passes (and parts that do not
 * apply here) verify it. Only `verified` unlocks a larger batch.
 */
export function combine(parts: readonly VerificationPart[]): VerificationStatus {
  if (parts.some((part) => part.status === 'fail')) return 'not-verified';
  if (parts.some((part) => part.status === 'unknown')) return 'inconclusive';
  return 'verified';
}

/** A drain trend needs some time to mean anything; capped by the configured window. */
export const MIN_DRAIN_MS = 30_000;

/** Metrics points read: the last hour of BullMQ's per-minute completion counts. */
const METRICS_POINTS = 60;

/**
 * What the workers can do: the median of the non-zero per-minute completion
 * counts BullMQ recorded in the last hour (minutes in which they completed
 * nothing, as during a stall, are left out). The workers record them only with
 * the `metrics` option; null otherwise, and the prediction falls back to the
 * completions observed during the watch. Plain reads.
 */
async function metricsPerMinute(redis: Redis, queueKey: string): Promise<number | null> {
  const points = (await redis.lrange(`${queueKey}:metrics:completed:data`, 0, METRICS_POINTS - 1))
    .map(Number)
    .filter((n) => Number.isFinite(n) && n > 0)
    .sort((a, b) => a - b);
  if (points.length === 0) return null;
  return points[Math.floor(points.length / 2)] ?? null;
}

async function reading(deps: VerifyDeps, queue: string, queueKey: string): Promise<DrainReading> {
  const [depth, completed] = await Promise.all([
    deps.backend.readDepth(queue),
    deps.redis.zcard(`${queueKey}:completed`),
  ]);
  return { at: deps.clock.now(), depth: depth.depth, delayed: depth.delayed, completed };
}

/**
 * Runbook step 4 for one batch: watch (bounded by `windowMs`) until every
 * replayed job completed or failed again, then judge the four parts — the
 * jobs themselves, the drain against what the workers predict, the
 * downstream effect, the error rate against the diagnosis's baseline — and
 * store the result where the ladder reads it. Reads only.
 */
export async function verifyBatch(
  deps: VerifyDeps,
  request: VerifyRequest,
  onProgress?: (progress: VerifyProgress) => void,
): Promise<Verification | 'already-running'> {
  // One watch per batch: a second (a re-verify typed meanwhile, another replica) would race to store its result.
  if (!(await deps.store.begin(request.batchId, deps.windowMs + LOCK_SLACK_MS))) return 'already-running';
  try {
    return await watchAndJudge(deps, request, onProgress);
  } finally {
    await deps.store.end(request.batchId);
  }
}

/** Beyond the window: the last reads, the probes and the store, each bounded by its own timeout. */
const LOCK_SLACK_MS = 60_000;

async function watchAndJudge(
  deps: VerifyDeps,
  request: VerifyRequest,
  onProgress?: (progress: VerifyProgress) => void,
): Promise<Verification> {
  const queueKey = `${deps.queuePrefix}:${request.queue}`;
  const startedAt = deps.clock.now();
  const { ids: replayedIds, unreadable } = replayedIn(await deps.journal.entries(request.batchId));
  // The drain is a trend: even a canary that settles at once is watched this long.
  const minDrainMs = Math.min(deps.windowMs, MIN_DRAIN_MS);
  const [start, workers, metrics] = await Promise.all([
    reading(deps, request.queue, queueKey),
    deps.backend.workers(request.queue),
    metricsPerMinute(deps.redis, queueKey),
  ]);

  let outcomes = await followJobs(deps.redis, queueKey, replayedIds);
  for (;;) {
    const elapsedMs = deps.clock.now() - startedAt;
    onProgress?.({
      elapsedMs,
      windowMs: deps.windowMs,
      completed: outcomes.completed.length,
      failedAgain: outcomes.failedAgain.length,
      replayed: replayedIds.length,
    });
    if ((outcomes.pending.length === 0 && elapsedMs >= minDrainMs) || elapsedMs >= deps.windowMs) break;
    await deps.clock.sleep(Math.min(deps.pollMs, deps.windowMs - elapsedMs));
    outcomes = await followJobs(deps.redis, queueKey, replayedIds);
  }
  const end = await reading(deps, request.queue, queueKey);

  const parts: VerificationPart[] = [
    jobsPart(outcomes, replayedIds.length, unreadable),
    drainPart({ start, end, workers, metricsPerMinute: metrics }),
    await deps.downstream(request.workflow, outcomes.completed),
    errorRatePart(deps.signoz ? await deps.signoz() : 'not-configured', request.baseline),
  ];
  const verification: Verification = {
    batchId: request.batchId,
    workflow: request.workflow,
    status: combine(parts),
    parts,
    startedAt,
    finishedAt: deps.clock.now(),
    replayed: replayedIds.length,
  };
  await deps.store.save(verification);
  return verification;
}
