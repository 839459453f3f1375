/**
 * The two Redis ACL users the bot runs with (docs/redis-acl.md): one that can
 * only read Delphi's queues, and one for replay that can write them. The lines
 * in the doc are made by `aclSetUserLine` and checked against it by
 * test/least-privilege/acl-doc.test.ts; the least-privilege tests apply
 * exactly these rules to a private redis-server, so doc, tests and code
 * cannot drift apart.
 *
 * Needs Redis 7.0 or later: `%R~` (read-only key patterns) and selectors.
 */

/** One ACL rule and why the bot needs it. */
export interface AclRule {
  readonly rule: string;
  readonly why: string;
}

export interface AclUser {
  readonly name: string;
  /** The variable whose URL carries this user's name and password. */
  readonly env: 'REDIS_URL' | 'REPLAY_REDIS_URL';
  readonly purpose: string;
  readonly rules: readonly AclRule[];
}

export interface AclPrefixes {
  /** QUEUE_PREFIX: Delphi's BullMQ prefix (`bull`). */
  readonly queuePrefix: string;
  /** STATE_PREFIX: the bot's own keys (`stuckjobs`). */
  readonly statePrefix: string;
}

export const READ_USER = 'stuckjobs-read';
export const REPLAY_USER = 'stuckjobs-replay';

/** What the doc shows in place of each user's password. */
export const PASSWORD_PLACEHOLDER: Readonly<Record<string, string>> = {
  [READ_USER]: 'READ_PASSWORD',
  [REPLAY_USER]: 'REPLAY_PASSWORD',
};

/** ACL key patterns are globs: a prefix's own `*?[]\` must match literally. */
export function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/** Rules every connection of the bot needs, whatever it reads or writes. */
const CONNECTION_RULES: readonly AclRule[] = [
  { rule: '+ping', why: 'GET /healthz pings each connection' },
  {
    rule: '+info',
    why: "ioredis's ready check sends INFO before the first command (server facts, no key data)",
  },
  {
    rule: '+client|setname',
    why: 'each connection names itself (stuckjobs:queues, stuckjobs:replay…) so it is recognisable in CLIENT LIST',
  },
  { rule: '+multi', why: 'reads that must describe one instant run in one MULTI' },
  { rule: '+exec', why: 'ends that MULTI' },
  { rule: '+discard', why: 'ioredis may abandon a MULTI that failed to queue' },
];

/** Diagnose, sample, census, verify and the trend sampler: reads of Delphi's queues, nothing else. */
const QUEUE_READS: readonly AclRule[] = [
  {
    rule: '+llen +lrange +lindex +lpos',
    why: 'wait/active/paused lists: counts, the next jobs, whether a job is waiting (bullmq-reads.ts)',
  },
  {
    rule: '+zcard +zrange +zrevrange +zscore',
    why: 'failed/delayed/prioritized/completed sets: counts, windows, a job’s state (bullmq-reads.ts, verify)',
  },
  {
    rule: '+hmget +hget +hexists +hstrlen +exists',
    why: 'job hashes and queue meta: payload, attempts, failure reason, payload size, paused flag',
  },
  { rule: '+get', why: 'the queue’s id counter (jobs added), for the trend' },
  {
    rule: '+scan +dbsize +type',
    why: 'the key-prefix census: SCAN (never KEYS), DBSIZE to extrapolate, TYPE on a few keys per prefix',
  },
  {
    rule: '+client|list',
    why: 'connected workers (BullMQ getWorkers); without it the diagnosis says "unknown", never a guess',
  },
];

function readUser({ queuePrefix, statePrefix }: AclPrefixes): AclUser {
  const state = `~${globEscape(statePrefix)}:*`;
  return {
    name: READ_USER,
    env: 'REDIS_URL',
    purpose:
      'diagnose, sample, census, verify, the trend sampler, and the bot’s own state (sessions, gate, approvals, audit, journal)',
    rules: [
      { rule: 'reset', why: 'start from no permissions at all, whatever the user had before' },
      { rule: 'on', why: 'enable the user' },
      { rule: `>${PASSWORD_PLACEHOLDER[READ_USER]}`, why: 'its password (use a long random one)' },
      { rule: 'resetchannels', why: 'no Pub/Sub channels: the bot subscribes to nothing' },
      ...CONNECTION_RULES,
      ...QUEUE_READS,
      {
        rule: `%R~${globEscape(queuePrefix)}:*`,
        why: 'Delphi’s queues, READ-ONLY: even a Lua script run by this user cannot write them (invariant 1)',
      },
      {
        rule: `(${state} +@read +@write -@dangerous -@scripting +eval +evalsha +watch +unwatch)`,
        why:
          'a selector for the bot’s own keys only: sessions, the replay gate, approval records and their scripts, ' +
          'the audit stream, verifications and the replay journal. Any plain read or write there, ' +
          'never a dangerous command (FLUSHALL, KEYS, CONFIG…) nor FUNCTION/SCRIPT management',
      },
    ],
  };
}

/** What the replay path runs, directly or inside its Lua scripts (Redis checks each call of a script). */
const REPLAY_COMMANDS: readonly AclRule[] = [
  {
    rule: '+evalsha +eval',
    why: 'the chunk script that moves jobs and writes the move ledger (replay-chunk-9.lua), its read script, BullMQ’s add (enqueue)',
  },
  {
    rule: '+exists +hget +hmget +zscore +xrange',
    why: 'checks before a move or an add, the move ledger, BullMQ’s events stream (recovery evidence)',
  },
  {
    rule: '+hset +hmset +hdel +del +expire',
    why: 'inside the scripts: job fields (Job.retry’s reset, BullMQ’s add), the ledger and its expiry',
  },
  {
    rule: '+zadd +zrem +zrange +zrevrangebyscore',
    why: 'inside the scripts: failed → wait/prioritized, the worker marker, BullMQ’s add',
  },
  {
    rule: '+lpush +rpush +llen',
    why: 'inside the scripts: push to wait (LIFO or FIFO, as Job.retry), the concurrency check',
  },
  {
    rule: '+incr +sadd +scard +xadd',
    why: 'inside the scripts: priority counter and job id, parent dependencies, the `waiting`/`added` event',
  },
];

function replayUser({ queuePrefix, statePrefix }: AclPrefixes): AclUser {
  return {
    name: REPLAY_USER,
    env: 'REPLAY_REDIS_URL',
    purpose: 'replay and enqueue of approved batches: moves or adds exactly the approved jobs',
    rules: [
      { rule: 'reset', why: 'start from no permissions at all, whatever the user had before' },
      { rule: 'on', why: 'enable the user' },
      { rule: `>${PASSWORD_PLACEHOLDER[REPLAY_USER]}`, why: 'its password (use a long random one)' },
      { rule: 'resetchannels', why: 'no Pub/Sub channels' },
      ...CONNECTION_RULES.filter((r) => r.rule !== '+discard'),
      ...REPLAY_COMMANDS,
      {
        rule: `~${globEscape(queuePrefix)}:*`,
        why:
          'Delphi’s queues, read and write. The whole prefix, not one pattern per queue: a job’s parent may sit ' +
          'in another queue, and a NOPERM half-way through a script is not rolled back',
      },
      {
        rule: `~${globEscape(statePrefix)}:journal:*:moves`,
        why: 'the batch’s move ledger, written by the chunk script in the same atomic step as the moves',
      },
    ],
  };
}

export function aclUsers(prefixes: AclPrefixes): readonly AclUser[] {
  return [readUser(prefixes), replayUser(prefixes)];
}

/** The ACL SETUSER arguments: a selector `(…)` is one argument, other rules split at their spaces. */
export function aclSetUserArgs(user: AclUser, password: string): string[] {
  const placeholder = `>${PASSWORD_PLACEHOLDER[user.name] ?? ''}`;
  const args = user.rules.flatMap((r) => {
    if (r.rule === placeholder) return [`>${password}`];
    return r.rule.startsWith('(') ? [r.rule] : r.rule.split(' ');
  });
  return ['SETUSER', user.name, ...args];
}

/**
 * One line to type into redis-cli, with the password placeholder as the doc
 * shows it: the selector quoted (one argument), every other rule as words.
 */
export function aclSetUserLine(user: AclUser): string {
  const parts = user.rules.map((r) => (r.rule.startsWith('(') ? `"${r.rule}"` : r.rule));
  return ['ACL', 'SETUSER', user.name, ...parts].join(' ');
}
