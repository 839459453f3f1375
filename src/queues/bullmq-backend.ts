import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger';
import {
  isInState,
  readJobsCapped,
  readJobs,
  readRawDepth,
  readState,
  readStateWindow,
  type JobRequest,
  type KeyOf,
} from './bullmq-reads';
import { addEstimates, extrapolate, isGivenUp, isRetrying, topFailureReasons } from './estimates';
import type {
  DepthReading,
  JobSummary,
  JobWindow,
  QueueBackend,
  QueueSnapshot,
  SampleState,
  SnapshotOptions,
} from './types';
import { workersFromClients } from './workers';

export interface BullmqBackendOptions {
  /** Shared with the rest of the bot; the backend never closes it. */
  readonly connection: Redis;
  /** Delphi's BullMQ key prefix (`QUEUE_PREFIX`, default `bull`). */
  readonly prefix: string;
  readonly logger: Logger;
}

/**
 * Read-only inspection of Delphi's BullMQ queues.
 *
 * Safety: a diagnosis must never write to Delphi's keys. What BullMQ's Queue
 * would write, and how each is avoided:
 * - the constructor HSETs `<prefix>:<queue>:meta` (version, maxLenEvents):
 *   `skipMetasUpdate: true`;
 * - `getJobCounts` / `getJobs` run Lua that RPOPs legacy wait-list markers:
 *   not used; counts and samples are plain read commands (bullmq-reads.ts);
 * - connection init sends INFO for a version check: harmless but pointless on
 *   every lazily created Queue, so `skipVersionCheck: true`.
 * The Queue is kept for what it does read-only: its key builder and
 * `getWorkers()` (CLIENT LIST, matched on BullMQ's worker connection names).
 */
export class BullmqBackend implements QueueBackend {
  private readonly queues = new Map<string, Queue>();
  private readonly log: Logger;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: BullmqBackendOptions) {
    this.log = options.logger.child({ component: 'bullmq-backend', prefix: options.prefix });
  }

  async snapshot(queueName: string, options: SnapshotOptions): Promise<QueueSnapshot> {
    const queue = this.queueFor(queueName);
    const key: KeyOf = (suffix) => queue.toKey(suffix);
    const redis = this.options.connection;
    const n = Math.max(0, Math.floor(options.sampleSize));

    const [state, workers] = await Promise.all([readState(redis, key, n), this.countWorkers(queue)]);
    // Counts and ids come from one MULTI: that instant is the snapshot's time.
    const readAt = Date.now();
    const requests: JobRequest[] = [
      ...state.failedIds.map((id) => ({ id, state: 'failed' as const })),
      ...state.delayedIds.map((id) => ({ id, state: 'delayed' as const })),
      ...state.waitingIds.map((id) => ({ id, state: 'waiting' as const })),
    ];
    // With a sample size of 0 the next job to run is still read, for its age.
    const next = state.nextWaitingId;
    const nextOutsideSample = next !== null && !state.waitingIds.includes(next);
    if (nextOutsideSample) requests.push({ id: next, state: 'waiting' });
    const jobs = await readJobs(redis, key, requests);
    const sample = nextOutsideSample
      ? jobs.filter((job) => !(job.state === 'waiting' && job.id === next))
      : jobs;
    // LIFO adds and promoted retries make the tail not always the oldest: take the sample's minimum.
    const waitingAges = jobs
      .filter((job) => job.state === 'waiting' && job.createdAt > 0)
      .map((job) => job.createdAt);
    const inState = (s: JobSummary['state']): JobSummary[] => sample.filter((job) => job.state === s);
    const failed = inState('failed');
    const delayed = inState('delayed');
    const waiting = inState('waiting');
    const givenUpInSample = failed.filter(isGivenUp).length;
    const { counts } = state;

    return {
      queue: queueName,
      takenAt: readAt,
      counts,
      isPaused: state.isPaused,
      workers,
      oldestWaitingAt: waitingAges.length > 0 ? Math.min(...waitingAges) : null,
      oldestFailedAt: state.oldestFailedAt,
      givenUp: extrapolate(givenUpInSample, failed.length, counts.failed),
      failedEarly: extrapolate(failed.length - givenUpInSample, failed.length, counts.failed),
      willRetry: addEstimates(
        extrapolate(delayed.filter(isRetrying).length, delayed.length, counts.delayed),
        extrapolate(waiting.filter(isRetrying).length, waiting.length, counts.waiting),
      ),
      topFailureReasons: topFailureReasons(failed),
      sample,
      reading: {
        at: readAt,
        depth:
          counts.waiting +
          counts.active +
          counts.delayed +
          counts.prioritized +
          counts.paused +
          counts.waitingChildren,
        delayed: counts.delayed,
        added: state.added,
      },
    };
  }

  workers(queueName: string): Promise<number | null> {
    return this.countWorkers(this.queueFor(queueName));
  }

  async readDepth(queueName: string): Promise<DepthReading> {
    const queue = this.queueFor(queueName);
    const raw = await readRawDepth(this.options.connection, (suffix) => queue.toKey(suffix));
    return { at: Date.now(), ...raw };
  }

  async readWindow(
    queueName: string,
    state: SampleState,
    size: number,
    maxDataBytes = Number.POSITIVE_INFINITY,
  ): Promise<JobWindow> {
    const queue = this.queueFor(queueName);
    const key: KeyOf = (suffix) => queue.toKey(suffix);
    const window = await readStateWindow(this.options.connection, key, state, size);
    const requests = window.ids.map((id) => ({ id, state }));
    const jobs = Number.isFinite(maxDataBytes)
      ? await readJobsCapped(this.options.connection, key, requests, maxDataBytes)
      : await readJobs(this.options.connection, key, requests);
    return { state, jobs, stateCount: window.count, capped: window.count > window.ids.length };
  }

  async readJob(queueName: string, state: SampleState, id: string): Promise<JobSummary | undefined> {
    const queue = this.queueFor(queueName);
    const key: KeyOf = (suffix) => queue.toKey(suffix);
    if (!(await isInState(this.options.connection, key, state, id))) return undefined;
    const [job] = await readJobs(this.options.connection, key, [{ id, state }]);
    return job;
  }

  /** Idempotent; closes every Queue even if one fails, and leaves the shared connection open. */
  close(): Promise<void> {
    this.closing ??= this.closeQueues();
    return this.closing;
  }

  private async closeQueues(): Promise<void> {
    const queues = [...this.queues.entries()];
    this.queues.clear();
    const results = await Promise.allSettled(queues.map(([, queue]) => queue.close()));
    results.forEach((result, i) => {
      if (result.status === 'rejected') {
        this.log.warn({ err: result.reason as unknown, queue: queues[i]?.[0] }, 'closing a queue failed');
      }
    });
  }

  /** One Queue per name, created on first use and shared by every later call. */
  private queueFor(name: string): Queue {
    if (this.closing) throw new Error('BullmqBackend is closed');
    const cached = this.queues.get(name);
    if (cached) return cached;
    const queue = new Queue(name, {
      connection: this.options.connection,
      prefix: this.options.prefix,
      skipMetasUpdate: true,
      skipVersionCheck: true,
    });
    // Without a listener an 'error' event (a Redis blip) would crash the bot.
    queue.on('error', (err: Error) => this.log.warn({ err, queue: name }, 'bullmq queue error'));
    this.queues.set(name, queue);
    return queue;
  }

  /** Null means unknown (CLIENT LIST refused or failed); never a guessed count. */
  private async countWorkers(queue: Queue): Promise<number | null> {
    try {
      return workersFromClients(await queue.getWorkers());
    } catch (err) {
      this.log.warn({ err, queue: queue.name }, 'could not list workers');
      return null;
    }
  }
}
