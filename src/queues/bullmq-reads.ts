import type { ChainableCommander, Redis } from 'ioredis';
import { JOB_FIELDS, toJobSummary, type JobState } from './job-summary';
import { asNullableStrings, asNumber, asString, asStrings, execReplies } from './redis-replies';
import type { JobSummary, StateCounts } from './types';

/**
 * Plain-command reads of one queue in BullMQ's key layout.
 *
 * Why not BullMQ's own getters: its `getCounts` and `getJobs` Lua scripts RPOP
 * a legacy marker (`0:…`, written by BullMQ ≤ 4) off the `wait`/`paused` list
 * when they find one — a write to Delphi's keys, whose BullMQ version we do not
 * know. Every command here is a read (LLEN, LRANGE, ZCARD, ZRANGE, HEXISTS,
 * GET, HMGET), and none walks a whole state: cost depends on the sample size,
 * never on the backlog.
 */

/** Builds `<prefix>:<queue>:<suffix>`, BullMQ's own key builder. */
export type KeyOf = (suffix: string) => string;

const isLegacyMarker = (id: string): boolean => id.startsWith('0:');

export interface StateRead {
  readonly counts: StateCounts;
  readonly isPaused: boolean;
  readonly added: number;
  readonly oldestFailedAt: number | null;
  /** Next job to run (the wait list's tail: BullMQ pushes new jobs at the head). */
  readonly nextWaitingId: string | null;
  readonly failedIds: readonly string[];
  readonly delayedIds: readonly string[];
  readonly waitingIds: readonly string[];
}

/** BullMQ's lists (the rest are sorted sets): counted with LLEN, not ZCARD. */
const LIST_KEYS = new Set(['wait', 'active', 'paused']);
/** Jobs not yet done, in the order both readings count them. */
const NOT_DONE = ['wait', 'active', 'delayed', 'prioritized', 'paused', 'waiting-children'] as const;
const COUNTED = [...NOT_DONE, 'failed', 'completed'] as const;

/** Queues one O(1) count per key, in order; shared so the two readings cannot drift apart. */
function queueCounts(multi: ChainableCommander, key: KeyOf, keys: readonly string[]): ChainableCommander {
  for (const name of keys) {
    if (LIST_KEYS.has(name)) multi.llen(key(name));
    else multi.zcard(key(name));
  }
  return multi;
}

/** Reads every count, id range and flag in one MULTI, so they describe one instant. */
export async function readState(redis: Redis, key: KeyOf, sampleSize: number): Promise<StateRead> {
  const n = Math.max(0, Math.floor(sampleSize));
  // A range ending at -1 would mean "to the end": never let n = 0 walk a state.
  const last = Math.max(1, n) - 1;
  const replies = await execReplies(
    queueCounts(redis.multi(), key, COUNTED)
      // One extra element so a legacy marker at the tail does not shrink the sample.
      .lrange(key('wait'), -(n + 1), -1)
      .lrange(key('paused'), -2, -1)
      .hexists(key('meta'), 'paused')
      .get(key('id'))
      .zrevrange(key('failed'), 0, last)
      .zrange(key('failed'), 0, '0', 'WITHSCORES')
      .zrange(key('delayed'), 0, String(last)),
  );
  const num = (i: number): number => asNumber(replies[i]);
  const countOf = (name: (typeof COUNTED)[number]): number => num(COUNTED.indexOf(name));
  // LRANGE returns head→tail; reverse so the next job to run comes first.
  const waitTail = asStrings(replies[8]).reverse();
  const pausedTail = asStrings(replies[9]).reverse();
  const waitMarker = waitTail[0] !== undefined && isLegacyMarker(waitTail[0]) ? 1 : 0;
  const pausedMarker = pausedTail[0] !== undefined && isLegacyMarker(pausedTail[0]) ? 1 : 0;
  const waitingIds = waitTail.filter((id) => !isLegacyMarker(id));
  const oldestFailed = asStrings(replies[13]);
  return {
    counts: {
      waiting: Math.max(0, countOf('wait') - waitMarker),
      active: countOf('active'),
      delayed: countOf('delayed'),
      prioritized: countOf('prioritized'),
      paused: Math.max(0, countOf('paused') - pausedMarker),
      failed: countOf('failed'),
      completed: countOf('completed'),
      waitingChildren: countOf('waiting-children'),
    },
    isPaused: num(10) === 1,
    added: num(11),
    oldestFailedAt: oldestFailed[1] !== undefined ? asNumber(oldestFailed[1]) : null,
    nextWaitingId: waitingIds[0] ?? pausedTail.find((id) => !isLegacyMarker(id)) ?? null,
    failedIds: asStrings(replies[12]).slice(0, n),
    delayedIds: asStrings(replies[14]).slice(0, n),
    waitingIds: waitingIds.slice(0, n),
  };
}

export interface JobRequest {
  readonly id: string;
  readonly state: JobState;
}

/** One pipelined HMGET per requested job; jobs removed meanwhile are skipped. */
export async function readJobs(
  redis: Redis,
  key: KeyOf,
  requests: readonly JobRequest[],
): Promise<JobSummary[]> {
  if (requests.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const request of requests) pipeline.hmget(key(request.id), ...JOB_FIELDS);
  const replies = await execReplies(pipeline);
  const jobs: JobSummary[] = [];
  requests.forEach((request, i) => {
    const job = toJobSummary(request.id, request.state, asNullableStrings(replies[i]));
    if (job) jobs.push(job);
  });
  return jobs;
}

/**
 * Like readJobs, but a payload over `maxDataBytes` is not transferred: one
 * pipeline reads every payload's size and the other fields, a second fetches
 * only the payloads that fit.
 */
export async function readJobsCapped(
  redis: Redis,
  key: KeyOf,
  requests: readonly JobRequest[],
  maxDataBytes: number,
): Promise<JobSummary[]> {
  if (requests.length === 0) return [];
  const sizes = redis.pipeline();
  for (const request of requests) sizes.hstrlen(key(request.id), 'data');
  const lengths = (await execReplies(sizes)).map(asNumber);
  const fitting = requests.filter((_, i) => (lengths[i] ?? 0) <= maxDataBytes);
  const jobs = await readJobs(redis, key, fitting);
  const large = requests.filter((_, i) => (lengths[i] ?? 0) > maxDataBytes);
  if (large.length === 0) return jobs;
  const fields = JOB_FIELDS.filter((field) => field !== 'data');
  const rest = redis.pipeline();
  for (const request of large) rest.hmget(key(request.id), ...fields);
  const replies = await execReplies(rest);
  const omitted = large.flatMap((request, i) => {
    const values = asNullableStrings(replies[i]);
    const full = JOB_FIELDS.map((field) =>
      field === 'data' ? null : (values[fields.indexOf(field)] ?? null),
    );
    const job = toJobSummary(request.id, request.state, full);
    const bytes = lengths[requests.indexOf(request)] ?? 0;
    return job ? [{ ...job, data: undefined, rawData: null, omittedDataBytes: bytes }] : [];
  });
  // Keep the window's order.
  const byId = new Map([...jobs, ...omitted].map((job) => [job.id, job]));
  return requests.flatMap((request) => byId.get(request.id) ?? []);
}

export interface StateWindowIds {
  readonly ids: readonly string[];
  readonly count: number;
}

/**
 * The first `size` ids of one state and its count, in one MULTI: failed newest
 * first, delayed soonest due first, waiting next to run first.
 */
export async function readStateWindow(
  redis: Redis,
  key: KeyOf,
  state: JobState,
  size: number,
): Promise<StateWindowIds> {
  const last = Math.max(1, Math.floor(size)) - 1;
  const multi = redis.multi();
  if (state === 'failed') multi.zcard(key('failed')).zrevrange(key('failed'), 0, last);
  else if (state === 'delayed') multi.zcard(key('delayed')).zrange(key('delayed'), 0, String(last));
  // Waiting jobs sit in `wait` and, with a priority, in `prioritized`; both are read, wait first.
  // One extra element so a legacy marker at the tail does not shrink the window.
  else {
    multi
      .llen(key('wait'))
      .lrange(key('wait'), -(last + 2), -1)
      .zcard(key('prioritized'))
      .zrange(key('prioritized'), 0, String(last));
  }
  const replies = await execReplies(multi);
  if (state !== 'waiting') return { ids: asStrings(replies[1]), count: asNumber(replies[0]) };
  const waitIds = asStrings(replies[1]).reverse();
  const plain = waitIds.filter((id) => !isLegacyMarker(id));
  const markers = waitIds.length - plain.length;
  const ids = [...plain, ...asStrings(replies[3])].slice(0, last + 1);
  return { ids, count: Math.max(0, asNumber(replies[0]) - markers) + asNumber(replies[2]) };
}

/** Whether job `id` is in `state` now (a retried job has left `failed`, though its hash stays). */
export async function isInState(redis: Redis, key: KeyOf, state: JobState, id: string): Promise<boolean> {
  if (state === 'waiting') {
    const [inWait, priority] = await Promise.all([
      redis.lpos(key('wait'), id),
      redis.zscore(key('prioritized'), id),
    ]);
    return inWait !== null || priority !== null;
  }
  return (await redis.zscore(key(state), id)) !== null;
}

export interface RawDepth {
  readonly depth: number;
  /** Of `depth`, the jobs waiting for a time (a retry's backoff, a delay) rather than for a worker. */
  readonly delayed: number;
  readonly added: number;
}

/** Redis commands one `readRawDepth` issues: MULTI, a count per not-done key, two LINDEX, GET, EXEC. */
export const RAW_DEPTH_COMMANDS = NOT_DONE.length + 5;

/**
 * The trend reading: jobs not yet done plus BullMQ's id counter (INCR'd on every
 * add), in one MULTI so the two numbers belong to the same instant.
 */
export async function readRawDepth(redis: Redis, key: KeyOf): Promise<RawDepth> {
  const replies = await execReplies(
    queueCounts(redis.multi(), key, NOT_DONE)
      .lindex(key('wait'), -1)
      .lindex(key('paused'), -1)
      .get(key('id')),
  );
  const markers = [replies[6], replies[7]].filter((tail) => {
    const id = asString(tail);
    return id !== null && isLegacyMarker(id);
  }).length;
  const depth = replies.slice(0, 6).reduce<number>((sum, reply) => sum + asNumber(reply), 0) - markers;
  return { depth: Math.max(0, depth), delayed: asNumber(replies[2]), added: asNumber(replies[8]) };
}
