/** BullMQ's job states that a diagnosis counts. */
export interface StateCounts {
  readonly waiting: number;
  readonly active: number;
  readonly delayed: number;
  readonly prioritized: number;
  readonly paused: number;
  readonly failed: number;
  readonly completed: number;
  readonly waitingChildren: number;
}

/** A number read from a bounded sample: exact when the sample covered everything. */
export interface Estimate {
  readonly value: number;
  readonly exact: boolean;
  /** How many jobs the estimate was read from. */
  readonly sampled: number;
}

export interface FailureReasonCount {
  readonly reason: string;
  readonly count: number;
}

/** One job as a diagnosis sees it: enough to count, group and probe targets. */
export interface JobSummary {
  readonly id: string;
  readonly name: string;
  readonly state: 'failed' | 'delayed' | 'waiting';
  /** The payload as parsed from the stored JSON (unknown: it may be anything). */
  readonly data: unknown;
  /** The payload exactly as stored, for byte-faithful display; null when the field is missing. */
  readonly rawData: string | null;
  /** Set when a window read left a large payload out (its size in bytes): read the job itself for it. */
  readonly omittedDataBytes?: number;
  readonly attemptsMade: number;
  readonly attemptsAllowed: number;
  readonly failedReason?: string;
  /** When the job was created (ms epoch). */
  readonly createdAt: number;
  /** When it last finished or failed (ms epoch). */
  readonly finishedAt?: number;
}

/** Cheap O(1) readings taken twice to measure a trend. */
export interface DepthReading {
  readonly at: number;
  /** Jobs not yet done: waiting + active + delayed + prioritized + paused + waiting-children. */
  readonly depth: number;
  /** Of `depth`, the jobs waiting for a time (a retry's backoff, a delay) rather than for a worker. */
  readonly delayed: number;
  /** BullMQ's id counter: it rises by one for every job added. */
  readonly added: number;
}

export interface QueueSnapshot {
  readonly queue: string;
  readonly takenAt: number;
  readonly counts: StateCounts;
  readonly isPaused: boolean;
  /** Connected workers, or null when the server hides CLIENT LIST (never guessed as 1). */
  readonly workers: number | null;
  readonly oldestWaitingAt: number | null;
  readonly oldestFailedAt: number | null;
  /** Failed jobs whose attempts are exhausted: the worker gave up on them. */
  readonly givenUp: Estimate;
  /** Failed jobs that stopped before their attempts ran out (e.g. an unrecoverable error). */
  readonly failedEarly: Estimate;
  /** Jobs that failed at least once and are scheduled to try again (delayed or waiting). */
  readonly willRetry: Estimate;
  readonly topFailureReasons: readonly FailureReasonCount[];
  /** The bounded sample the estimates and reasons were read from. */
  readonly sample: readonly JobSummary[];
  readonly reading: DepthReading;
}

export type SampleState = JobSummary['state'];

/** A bounded slice of one state, newest (failed) or next-due (delayed, waiting) first. */
export interface JobWindow {
  readonly state: SampleState;
  readonly jobs: readonly JobSummary[];
  /** How many jobs the state holds in all (O(1) count). */
  readonly stateCount: number;
  /** True when the state holds more jobs than the window read. */
  readonly capped: boolean;
}

export interface SnapshotOptions {
  /** Upper bound on jobs read per state; keeps a diagnosis O(1) in the backlog. */
  readonly sampleSize: number;
}

/**
 * What the runbook needs from a queue system. The BullMQ backend implements it;
 * Delphi's job library is not named in its docs, so nothing above this line
 * may depend on BullMQ.
 */
export interface QueueBackend {
  snapshot(queue: string, options: SnapshotOptions): Promise<QueueSnapshot>;
  readDepth(queue: string): Promise<DepthReading>;
  /** Connected workers (CLIENT LIST); null when it cannot be read, never a guess. */
  workers(queue: string): Promise<number | null>;
  /**
   * At most `size` jobs of one state with their stored fields; never more,
   * whatever the backlog. Payloads over `maxDataBytes` are left out (see
   * `omittedDataBytes`), so a window of huge payloads cannot exhaust memory.
   */
  readWindow(queue: string, state: SampleState, size: number, maxDataBytes?: number): Promise<JobWindow>;
  /** One job's stored fields, or undefined when it is gone. */
  readJob(queue: string, state: SampleState, id: string): Promise<JobSummary | undefined>;
  close(): Promise<void>;
}

export interface CensusPrefix {
  readonly prefix: string;
  /** Key type as sampled (string, hash, list, set, zset, stream), or `mixed`. */
  readonly type: string;
  readonly keys: number;
  /** Workflow ids whose queue lives under this prefix. */
  readonly workflows: readonly string[];
}

export interface Census {
  readonly scannedKeys: number;
  readonly totalKeys: number;
  /** False when a budget stopped the scan: counts are then extrapolated from DBSIZE. */
  readonly complete: boolean;
  readonly stoppedBy?: 'keys' | 'time';
  readonly elapsedMs: number;
  readonly prefixes: readonly CensusPrefix[];
}
