import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { prefixOf } from '../../src/queues/census-prefix';
import { billingWorkflow } from '../../src/workflows/billing';
import { recordingsWorkflow } from '../../src/workflows/recordings';
import { webhooksWorkflow } from '../../src/workflows/webhooks';

/**
 * A large backlog of given-up jobs in BullMQ 6.7's own key layout, plus
 * unrelated keys under known prefixes, for benchmarks on a PRIVATE Redis
 * (see private-redis.ts). Written by a server-side Lua script in chunks, so a
 * million jobs take seconds, not the hours a Worker would.
 *
 * Per queue `<queuePrefix>:<queue>` it writes what a BullMQ 6.7 Worker leaves
 * after a job's last attempt fails: the job hash (name, data, opts, timestamp,
 * delay, priority, processedOn, ats, atm, failedReason, stacktrace,
 * finishedOn), its id in the `failed` zset scored by finishedOn, the `id`
 * counter (INCRBY, so a later `add()` gets a fresh id) and the `meta` hash a
 * Queue writes. The `events` stream is not written: it is capped and nothing
 * here reads it.
 */
export interface SeedBacklogSpec {
  /** BullMQ prefix, e.g. `bull`: queues live at `<queuePrefix>:<queue>`. */
  readonly queuePrefix: string;
  /** Given-up jobs in all, split over the three workflows by `split`. */
  readonly jobs: number;
  /** Keys under other prefixes (see UNRELATED_PREFIXES); default 0. */
  readonly unrelatedKeys?: number;
  /** Base of webhook URLs; default `http://127.0.0.1:9/hooks` (discard port: nothing answers). */
  readonly webhookUrl?: string;
  /** Shares of `jobs` for webhooks, recordings, billing; default 0.5 / 0.25 / 0.25. */
  readonly split?: { readonly webhooks: number; readonly recordings: number; readonly billing: number };
  /** finishedOn is spread over the hour before this (ms); default now. */
  readonly now?: number;
  /** Jobs (or keys) per Lua call: each call blocks the server for about this many writes. */
  readonly chunk?: number;
}

export interface SeedBacklogResult {
  /** Jobs written per queue name (`webhook-delivery`, …). */
  readonly perQueue: Record<string, number>;
  /** Jobs per second over the job-writing phase. */
  readonly jobsPerSecond: number;
  /** Wall time of the whole seeding, jobs and unrelated keys. */
  readonly ms: number;
  /**
   * The truth for a census: keys written per census prefix (`prefixOf`, with
   * each queue counted as jobs + failed + id + meta). Exact when seeded into an
   * empty database.
   */
  readonly keysByPrefix: Record<string, number>;
  /** Sum of keysByPrefix. */
  readonly totalKeys: number;
}

export interface UnrelatedPrefix {
  /** What the census calls it (`prefixOf` of its keys). */
  readonly prefix: string;
  /** Keys are `<head><n>`. */
  readonly head: string;
  readonly type: 'string' | 'hash';
  /** Share of the unrelated keys; all shares add up to 1. */
  readonly share: number;
}

/**
 * Known proportions, so a census can be checked: with 1M jobs and 2M keys the
 * first six hold ≥ 1 % of the database each, the last three less.
 */
export const UNRELATED_PREFIXES: readonly UnrelatedPrefix[] = [
  { prefix: 'cache:page', head: 'cache:page:', type: 'string', share: 0.35 },
  { prefix: 'sess:*', head: 'sess:', type: 'hash', share: 0.25 },
  { prefix: 'ratelimit:api', head: 'ratelimit:api:', type: 'string', share: 0.2 },
  { prefix: 'feature:flags', head: 'feature:flags:', type: 'hash', share: 0.1 },
  { prefix: 'audit:log', head: 'audit:log:', type: 'string', share: 0.06 },
  { prefix: 'upload:tmp', head: 'upload:tmp:', type: 'hash', share: 0.025 },
  { prefix: 'lock:job', head: 'lock:job:', type: 'string', share: 0.009 },
  { prefix: 'cfg:svc', head: 'cfg:svc:', type: 'hash', share: 0.004 },
  { prefix: 'misc:x', head: 'misc:x:', type: 'string', share: 0.002 },
];

type SeedWorkflow = 'webhooks' | 'recordings' | 'billing';

const QUEUES: Record<SeedWorkflow, { readonly queue: string; readonly names: readonly string[] }> = {
  webhooks: { queue: webhooksWorkflow.queue, names: webhooksWorkflow.handlers },
  recordings: { queue: recordingsWorkflow.queue, names: recordingsWorkflow.handlers },
  billing: { queue: billingWorkflow.queue, names: billingWorkflow.handlers },
};

/** Attempts each workflow's producer allows; the seeded jobs used them all. */
const ATTEMPTS: Record<SeedWorkflow, number> = { webhooks: 5, recordings: 3, billing: 3 };
const DEFAULT_SPLIT = { webhooks: 0.5, recordings: 0.25, billing: 0.25 } as const;
const DEFAULT_WEBHOOK_URL = 'http://127.0.0.1:9/hooks';
const DEFAULT_CHUNK = 2_000;
/** Lua calls in flight at once: hides the round trip, Redis runs them one by one anyway. */
const IN_FLIGHT = 4;
/** Characters a URL may have here: the Lua script writes it into JSON unescaped. */
const SAFE_URL = /^https?:\/\/[A-Za-z0-9._~:/?#@!$&'()*+,;=%-]+$/;

/**
 * seed-failed-jobs-1.lua (inline: the bench build copies no .lua files).
 * KEYS[1] <prefix>:<queue>:failed
 * ARGV[1] job key head `<prefix>:<queue>:`
 * ARGV[2] workflow: webhooks | recordings | billing
 * ARGV[3] first job id (the caller has INCRBY'd the id counter past the last)
 * ARGV[4] how many jobs
 * ARGV[5] now (ms): finishedOn falls in the hour before it
 * ARGV[6] webhook URL base
 * ARGV[7] attempts allowed (all used)
 * ARGV[8], ARGV[9] job names (handler names; the first gets 70 %)
 * Returns the number of jobs written.
 */
export const SEED_FAILED_JOBS_LUA = `
local rcall = redis.call
local failedKey = KEYS[1]
local head = ARGV[1]
local kind = ARGV[2]
local first = tonumber(ARGV[3])
local n = tonumber(ARGV[4])
local now = tonumber(ARGV[5])
local hook = ARGV[6]
local attempts = tonumber(ARGV[7])
local name1 = ARGV[8]
local name2 = ARGV[9] or ARGV[8]
local HOUR = 3600000
local fmt = string.format
local function q(s) return '"' .. s .. '"' end
local opts = '{"attempts":' .. attempts .. ',"backoff":{"type":"exponential","delay":1000}}'
local backoffTotal = 1000 * (2 ^ (attempts - 1) - 1)
local zargs = {}
for k = 0, n - 1 do
  local id = first + k
  local sid = fmt('%d', id)
  local finishedOn = now - ((id * 1000003) % HOUR)
  local tenant = 'tenant-' .. fmt('%d', id % 40)
  local name = name1
  if id % 10 >= 7 then name = name2 end
  local data, reason, frame
  if kind == 'webhooks' then
    local wh = 'wh_' .. fmt('%d', id % 300)
    local url = hook .. '/' .. tenant .. '/' .. wh
    local conv = 'conv_' .. sid
    data = '{"tenantId":' .. q(tenant) .. ',"webhookId":' .. q(wh) .. ',"url":' .. q(url) ..
      ',"event":"conversation.ended","conversationId":' .. q(conv) ..
      ',"body":{"conversationId":' .. q(conv) .. ',"durationSec":' .. fmt('%d', id % 900) .. '}}'
    local status = 503
    if id % 10 >= 9 then status = 504 elseif id % 10 >= 7 then status = 502 end
    reason = 'HTTP ' .. status .. ' from ' .. url
    frame = 'at deliverWebhook (/app/dist/tasks/deliver-webhook.js:88:13)'
  elseif kind == 'recordings' then
    local rec = 'rec_' .. sid
    data = '{"tenantId":' .. q(tenant) .. ',"conversationId":' .. q(rec) .. ',"recordingId":' .. q(rec) ..
      ',"sourceKey":' .. q('recordings/' .. tenant .. '/' .. rec .. '/source.wav') ..
      ',"outputKey":' .. q('recordings/' .. tenant .. '/' .. rec .. '/final.mp3') .. '}'
    if id % 4 == 0 then
      reason = 'ffmpeg exited with code 1'
    else
      reason = 'NoSuchKey: The specified key does not exist.'
    end
    frame = 'at transmux (/app/dist/tasks/recordings.js:41:9)'
  else
    local period = fmt('2026-%02d', 1 + id % 12)
    data = '{"tenantId":' .. q(tenant) .. ',"stripeCustomerId":' .. q('cus_T' .. fmt('%d', id % 40) .. 'x') ..
      ',"subscriptionId":' .. q('sub_S' .. sid) .. ',"period":' .. q(period) .. '}'
    if id % 5 == 0 then
      reason = 'HTTP 429 from https://api.stripe.com/v1/subscription_items'
    else
      reason = 'StripeConnectionError: An error occurred with our connection to Stripe'
    end
    frame = 'at syncUsage (/app/dist/tasks/billing.js:57:15)'
  end
  local line = q('Error: ' .. reason .. '\\\\n    ' .. frame)
  local stack = '[' .. string.rep(line .. ',', attempts - 1) .. line .. ']'
  local processedOn = finishedOn - 40 - (id % 200)
  local timestamp = processedOn - backoffTotal - 50 * attempts
  rcall('HSET', head .. sid, 'name', name, 'data', data, 'opts', opts,
    'timestamp', fmt('%d', timestamp), 'delay', '0', 'priority', '0',
    'processedOn', fmt('%d', processedOn), 'ats', attempts, 'atm', attempts,
    'failedReason', reason, 'stacktrace', stack, 'finishedOn', fmt('%d', finishedOn))
  zargs[#zargs + 1] = fmt('%d', finishedOn)
  zargs[#zargs + 1] = sid
  if #zargs >= 1000 then
    rcall('ZADD', failedKey, unpack(zargs))
    zargs = {}
  end
end
if #zargs > 0 then rcall('ZADD', failedKey, unpack(zargs)) end
return n
`;

/**
 * seed-keys-0.lua (inline). ARGV[1] key head, ARGV[2] string | hash,
 * ARGV[3] first index, ARGV[4] how many. Writes `<head><i>`; returns how many.
 */
export const SEED_KEYS_LUA = `
local head = ARGV[1]
local kind = ARGV[2]
local first = tonumber(ARGV[3])
local n = tonumber(ARGV[4])
local fmt = string.format
for i = first, first + n - 1 do
  local si = fmt('%d', i)
  if kind == 'hash' then
    redis.call('HSET', head .. si, 'owner', 'svc-' .. fmt('%d', i % 17), 'v', si)
  else
    redis.call('SET', head .. si, 'v' .. si)
  end
end
return n
`;

/** Split `total` by shares; rounding remainders go to the largest share so the parts add up. */
export function splitByShares(total: number, shares: readonly number[]): number[] {
  const parts = shares.map((share) => Math.floor(total * share));
  const rest = total - parts.reduce((a, b) => a + b, 0);
  const largest = shares.indexOf(Math.max(...shares));
  if (largest >= 0) parts[largest] = (parts[largest] ?? 0) + rest;
  return parts;
}

function bullmqMetaVersion(): string {
  const path = require.resolve('bullmq/package.json');
  const { version } = JSON.parse(readFileSync(path, 'utf8')) as { version: string };
  return `bullmq:${version}`;
}

/** Run `calls` with at most IN_FLIGHT at once. */
async function runChunks(calls: (() => Promise<unknown>)[]): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < calls.length) {
      const call = calls[next++]!;
      await call();
    }
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, calls.length) }, lane));
}

export async function seedBacklog(redis: Redis, spec: SeedBacklogSpec): Promise<SeedBacklogResult> {
  const started = performance.now();
  const webhookUrl = (spec.webhookUrl ?? DEFAULT_WEBHOOK_URL).replace(/\/+$/, '');
  if (!SAFE_URL.test(webhookUrl)) throw new Error(`webhookUrl must be a plain http(s) URL: ${webhookUrl}`);
  if (!Number.isInteger(spec.jobs) || spec.jobs < 0) throw new Error(`jobs must be a whole number ≥ 0`);
  const chunk = spec.chunk ?? DEFAULT_CHUNK;
  const now = spec.now ?? Date.now();
  const split = spec.split ?? DEFAULT_SPLIT;
  const kinds: SeedWorkflow[] = ['webhooks', 'recordings', 'billing'];
  const counts = splitByShares(
    spec.jobs,
    kinds.map((k) => split[k]),
  );

  const perQueue: Record<string, number> = {};
  const keysByPrefix: Record<string, number> = {};
  const metaVersion = bullmqMetaVersion();
  const calls: (() => Promise<unknown>)[] = [];
  for (const [i, kind] of kinds.entries()) {
    const count = counts[i] ?? 0;
    const { queue, names } = QUEUES[kind];
    perQueue[queue] = count;
    if (count === 0) continue;
    const base = `${spec.queuePrefix}:${queue}`;
    const last = await redis.incrby(`${base}:id`, count);
    await redis.hset(`${base}:meta`, { 'opts.maxLenEvents': 10000, version: metaVersion });
    const first = last - count + 1;
    const census = prefixOf(`${base}:1`);
    // Job hashes, plus the failed zset, the id counter and meta.
    keysByPrefix[census] = (keysByPrefix[census] ?? 0) + count + 3;
    for (let offset = 0; offset < count; offset += chunk) {
      const n = Math.min(chunk, count - offset);
      const args = [`${base}:`, kind, first + offset, n, now, webhookUrl, ATTEMPTS[kind], ...names];
      calls.push(() => redis.eval(SEED_FAILED_JOBS_LUA, 1, `${base}:failed`, ...args));
    }
  }
  await runChunks(calls);
  const jobMs = performance.now() - started;

  const unrelated = spec.unrelatedKeys ?? 0;
  const keyCounts = splitByShares(
    unrelated,
    UNRELATED_PREFIXES.map((p) => p.share),
  );
  const keyCalls: (() => Promise<unknown>)[] = [];
  for (const [i, p] of UNRELATED_PREFIXES.entries()) {
    const count = keyCounts[i] ?? 0;
    if (count === 0) continue;
    keysByPrefix[p.prefix] = (keysByPrefix[p.prefix] ?? 0) + count;
    for (let offset = 0; offset < count; offset += chunk) {
      const n = Math.min(chunk, count - offset);
      keyCalls.push(() => redis.eval(SEED_KEYS_LUA, 0, p.head, p.type, offset + 1, n));
    }
  }
  await runChunks(keyCalls);

  const ms = performance.now() - started;
  return {
    perQueue,
    jobsPerSecond: spec.jobs === 0 ? 0 : Math.round(spec.jobs / (jobMs / 1000)),
    ms: Math.round(ms),
    keysByPrefix,
    totalKeys: Object.values(keysByPrefix).reduce((a, b) => a + b, 0),
  };
}
