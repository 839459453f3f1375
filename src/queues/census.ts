import type { ChainableCommander, Redis } from 'ioredis';
import { prefixOf } from './census-prefix';
import { asString } from './redis-replies';
import type { Census, CensusPrefix } from './types';

export interface CensusOptions {
  /**
   * Stop after this many keys have been read from SCAN. Checked after each SCAN
   * reply, so the census reads at most `keyBudget` plus one reply (about
   * `count` keys) — this bounds memory and Redis work on a huge keyspace.
   */
  readonly keyBudget: number;
  /**
   * Wall time the whole census may take, DBSIZE and TYPE sampling included.
   * Checked before each SCAN after the first: the census stops when the next
   * call, its pause and the closing DBSIZE/TYPE round trips (reckoned at the
   * mean SCAN round trip so far) would overrun it. Bounds how long a diagnosis
   * waits on the census, whatever the server's load.
   */
  readonly timeBudgetMs: number;
  /** SCAN COUNT hint per call (default 250): about 0.3 ms of server time each. */
  readonly count?: number;
  /**
   * Pause after each SCAN (default PAUSE_MS): other clients' commands run
   * between ours instead of queueing behind a back-to-back stream of SCANs.
   */
  readonly pauseMs?: number;
  /** Delphi's BullMQ prefix (`bull`): a workflow's queue lives at `<queuePrefix>:<queue>`. */
  readonly queuePrefix: string;
  readonly workflows: readonly { readonly id: string; readonly queue: string }[];
  /** Largest prefixes reported besides the workflows' own (default 15). */
  readonly maxPrefixes?: number;
}

/** TYPE calls are sampled, not per key: at most this many per prefix and in all. */
export const TYPES_PER_PREFIX = 2;
export const TYPES_TOTAL = 100;
const DEFAULT_COUNT = 250;
/**
 * Measured on 3M keys (bench/census.bench.ts, 2 vCPUs): COUNT 250 SCANs back to
 * back took 360–435 ms of Redis time per 1 s census and raised other clients'
 * PING p50 from 0.04 to 0.17–0.51 ms; with 1 ms between calls it took 150–170 ms
 * and p50 stayed at 0.05–0.06 ms. The 26k–120k keys still read in a 0.3–1 s
 * budget put every prefix's share within 0.5 points of the truth. (The p99
 * raise was within that host's noise either way: see the bench's noise floor.)
 */
export const PAUSE_MS = 1;
/** Part of the time budget kept back for timer and scheduling slack on a busy host. */
const TIME_SLACK = 0.05;
const DEFAULT_MAX_PREFIXES = 15;

interface Group {
  keys: number;
  readonly examples: string[];
}

/**
 * What lives in the Redis database, by key prefix: answers "is this really
 * Delphi's queue Redis, and are the queues where we expect them?". SCAN only
 * (never KEYS: it would block Redis for everyone during an incident), bounded
 * by the budgets above. When a budget stops the scan, counts are scaled by
 * DBSIZE / scanned, which assumes SCAN's order is unrelated to prefixes (it
 * walks hash buckets, so it is) and `complete` is false.
 */
export async function runCensus(redis: Redis, options: CensusOptions): Promise<Census> {
  // A queue prefix may itself contain ':' (e.g. `{delphi}:bull`): match workflow queues first.
  const workflowPrefixes = options.workflows.map((w) => `${options.queuePrefix}:${w.queue}`);
  const started = performance.now();
  const count = options.count ?? DEFAULT_COUNT;
  const pauseMs = options.pauseMs ?? PAUSE_MS;
  let scanMs = 0;
  let calls = 0;
  const groups = new Map<string, Group>();
  let scanned = 0;
  let stoppedBy: Census['stoppedBy'];
  let cursor = '0';
  for (;;) {
    const callStarted = performance.now();
    const [next, keys] = await redis.scan(cursor, 'COUNT', count);
    scanMs += performance.now() - callStarted;
    calls += 1;
    cursor = next;
    for (const key of keys) {
      scanned += 1;
      const prefix = workflowPrefixes.find((p) => key.startsWith(`${p}:`)) ?? prefixOf(key);
      const group = groups.get(prefix) ?? { keys: 0, examples: [] };
      group.keys += 1;
      if (group.examples.length < TYPES_PER_PREFIX) group.examples.push(key);
      groups.set(prefix, group);
    }
    if (cursor === '0') break;
    if (scanned >= options.keyBudget) {
      stoppedBy = 'keys';
      break;
    }
    // The pause, the next SCAN, then DBSIZE and the TYPE pipeline (about three round trips), plus slack.
    const meanCallMs = scanMs / calls;
    const reserve = pauseMs + 3 * meanCallMs + TIME_SLACK * options.timeBudgetMs;
    if (performance.now() - started + reserve >= options.timeBudgetMs) {
      stoppedBy = 'time';
      break;
    }
    if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
  const totalKeys = await redis.dbsize();
  // SCAN may return a key twice (rehashing), so a complete scan trusts its own count.
  const scale = stoppedBy === undefined || scanned === 0 ? 1 : totalKeys / scanned;

  const workflowsByPrefix = new Map<string, string[]>();
  for (const workflow of options.workflows) {
    const prefix = `${options.queuePrefix}:${workflow.queue}`;
    workflowsByPrefix.set(prefix, [...(workflowsByPrefix.get(prefix) ?? []), workflow.id]);
  }
  const ranked = [...groups.entries()].sort(([a, ga], [b, gb]) => gb.keys - ga.keys || (a < b ? -1 : 1));
  const chosen = ranked.slice(0, options.maxPrefixes ?? DEFAULT_MAX_PREFIXES);
  for (const prefix of workflowsByPrefix.keys()) {
    if (chosen.some(([p]) => p === prefix)) continue;
    // A workflow's prefix is always reported; 0 keys means none was seen.
    chosen.push([prefix, groups.get(prefix) ?? { keys: 0, examples: [] }]);
  }
  const types = await sampleTypes(redis, chosen);

  const prefixes: CensusPrefix[] = chosen
    .map(([prefix, group]) => ({
      prefix,
      // `none`: no key seen; `unknown`: keys seen, but the TYPE budget ran out before them.
      type: types.get(prefix) ?? (group.keys === 0 ? 'none' : 'unknown'),
      keys: Math.round(group.keys * scale),
      workflows: workflowsByPrefix.get(prefix) ?? [],
    }))
    .sort((a, b) => b.keys - a.keys || (a.prefix < b.prefix ? -1 : 1));
  return {
    scannedKeys: scanned,
    totalKeys,
    complete: stoppedBy === undefined,
    ...(stoppedBy ? { stoppedBy } : {}),
    elapsedMs: Math.round(performance.now() - started),
    prefixes,
  };
}

/**
 * TYPE replies. A key the bot's read-only ACL user may not read (another
 * application's prefix, docs/redis-acl.md) answers NOPERM: its type stays
 * unknown instead of failing the whole census.
 */
async function typeReplies(pipeline: ChainableCommander): Promise<unknown[]> {
  const replies = (await pipeline.exec()) ?? [];
  return replies.map(([error, value]) => {
    if (error?.message.startsWith('NOPERM')) return null;
    if (error) throw error;
    return value;
  });
}

/** One pipelined TYPE per example key, biggest prefixes first, within TYPES_TOTAL. */
async function sampleTypes(redis: Redis, chosen: readonly [string, Group][]): Promise<Map<string, string>> {
  const asks: { prefix: string; key: string }[] = [];
  for (const [prefix, group] of chosen) {
    for (const key of group.examples) if (asks.length < TYPES_TOTAL) asks.push({ prefix, key });
  }
  const result = new Map<string, string>();
  if (asks.length === 0) return result;
  const pipeline = redis.pipeline();
  for (const ask of asks) pipeline.type(ask.key);
  const replies = await typeReplies(pipeline);
  const seen = new Map<string, Set<string>>();
  asks.forEach((ask, i) => {
    const type = asString(replies[i]);
    // `none`: the key expired or was deleted since SCAN saw it; it says nothing.
    if (type === null || type === 'none') return;
    seen.set(ask.prefix, (seen.get(ask.prefix) ?? new Set()).add(type));
  });
  for (const [prefix, set] of seen) result.set(prefix, set.size === 1 ? ([...set][0] ?? 'none') : 'mixed');
  return result;
}
