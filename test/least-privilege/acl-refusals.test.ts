import type { Redis } from 'ioredis';
import { payloadSha256 } from '../../src/approvals/batch-manifest';
import { silentLogger } from '../../src/logger';
import { aclSetUserArgs, aclUsers, READ_USER, REPLAY_USER } from '../../src/redis-acl/acl-users';
import { executeBatch } from '../../src/runbook/replay/executor';
import { RedisBatchJournal } from '../../src/runbook/replay/journal';
import { seedWithWorker } from '../helpers/bullmq-fixtures';
import { dumpKeysWithPrefix, randomPrefix } from '../helpers/redis';
import { REFUSED, startAclRedis, type AclRedis } from './acl-redis';

const QUEUE_PREFIX = 'bull';
const QUEUE = 'recording-postprocess';

/** One command and its arguments, as `call` takes them. */
type Attempt = readonly [label: string, command: string, ...args: (string | number)[]];

/**
 * What each user may NOT do, on a private redis-server with the ACL users of
 * docs/redis-acl.md. Every attempt must be refused, and after all of them
 * every key of the queue prefix is exactly as before.
 */
describe('Redis ACL users refuse what they do not need', () => {
  const statePrefix = randomPrefix('lpr');
  let acl: AclRedis;
  let read: Redis;
  let replay: Redis;
  let jobId: string;
  const key = (suffix: string) => `${QUEUE_PREFIX}:${QUEUE}:${suffix}`;
  const readUserOf = () => {
    const user = aclUsers({ queuePrefix: QUEUE_PREFIX, statePrefix }).find((u) => u.name === READ_USER);
    if (!user) throw new Error('no read user');
    return user;
  };

  beforeAll(async () => {
    acl = await startAclRedis({ queuePrefix: QUEUE_PREFIX, statePrefix });
    [jobId = ''] = await seedWithWorker({
      url: acl.server.url,
      prefix: QUEUE_PREFIX,
      queue: QUEUE,
      jobs: [{ name: 'postprocess', data: { recordingId: 'r-1' }, failWith: 'S3 timeout' }],
    });
    await acl.admin.set('other-app:config', 'theirs');
    await acl.admin.hset(`${statePrefix}:batch:b-000000000001`, 'state', 'pending');
    read = acl.as(READ_USER);
    replay = acl.as(REPLAY_USER);
  }, 60_000);

  afterAll(async () => {
    await acl?.stop();
  });

  /** Runs every attempt; returns the ones Redis did NOT refuse (should be none). */
  async function allowed(client: Redis, attempts: readonly Attempt[]): Promise<string[]> {
    const through: string[] = [];
    for (const [label, command, ...args] of attempts) {
      try {
        await client.call(command, ...args);
        through.push(label);
      } catch (err) {
        if (!(err instanceof Error) || !REFUSED.test(err.message)) through.push(`${label}: ${String(err)}`);
      }
    }
    return through;
  }

  /** Writes of Delphi's keys, directly and by Lua, declared or not, and server-wide damage. */
  const writesToQueues = (): Attempt[] => [
    ['SET a queue key', 'SET', key('id'), '999'],
    ['DEL the failed set', 'DEL', key('failed')],
    ['ZREM a failed job', 'ZREM', key('failed'), jobId],
    ['LPUSH the wait list', 'LPUSH', key('wait'), jobId],
    ['HSET a job', 'HSET', key(jobId), 'atm', '0'],
    ['EXPIRE a job', 'EXPIRE', key(jobId), 1],
    ['RENAME a job away', 'RENAME', key(jobId), `${statePrefix}:stolen`],
    [
      'COPY a bot key over a queue key',
      'COPY',
      `${statePrefix}:batch:b-000000000001`,
      key('meta'),
      'REPLACE',
    ],
    ['EVAL declaring a queue key', 'EVAL', "return redis.call('DEL', KEYS[1])", 1, key('failed')],
    ['EVAL writing an undeclared queue key', 'EVAL', `return redis.call('DEL', '${key('failed')}')`, 0],
    [
      'EVAL declaring a bot key, writing a queue key',
      'EVAL',
      `return redis.call('ZREM', '${key('failed')}', ARGV[1])`,
      1,
      `${statePrefix}:x`,
      jobId,
    ],
    ['EVAL_RO writing', 'EVAL_RO', `return redis.call('DEL', KEYS[1])`, 1, key('failed')],
    [
      'FUNCTION LOAD',
      'FUNCTION',
      'LOAD',
      "#!lua name=x\nredis.register_function('x', function() return 1 end)",
    ],
    ['SCRIPT FLUSH', 'SCRIPT', 'FLUSH'],
    ['FLUSHALL', 'FLUSHALL'],
    ['FLUSHDB', 'FLUSHDB'],
    ['KEYS', 'KEYS', '*'],
    ['CONFIG SET', 'CONFIG', 'SET', 'maxmemory', '1'],
    ['CONFIG GET', 'CONFIG', 'GET', 'requirepass'],
    ['ACL SETUSER', 'ACL', 'SETUSER', 'intruder', 'on', '>x', '+@all', '~*'],
    ['CLIENT KILL', 'CLIENT', 'KILL', 'TYPE', 'normal'],
    ['CLIENT PAUSE', 'CLIENT', 'PAUSE', 1],
    ['SWAPDB', 'SWAPDB', 0, 1],
    ['MIGRATE', 'MIGRATE', '127.0.0.1', 1, key(jobId), 0, 10],
    ['RESTORE', 'RESTORE', key('new'), 0, 'x'],
    ['PUBLISH', 'PUBLISH', 'bull:events', 'x'],
    ['SHUTDOWN', 'SHUTDOWN', 'NOSAVE'],
  ];

  it('refuses the read-only user every write to the queue prefix, including through EVAL, and every server-wide command', async () => {
    const before = await dumpKeysWithPrefix(acl.admin, `${QUEUE_PREFIX}:`);
    const attempts = writesToQueues();
    expect(await allowed(read, attempts)).toEqual([]);
    expect(await dumpKeysWithPrefix(acl.admin, `${QUEUE_PREFIX}:`)).toEqual(before);
    expect(attempts.length).toBeGreaterThanOrEqual(27);
  });

  it('keeps the queue prefix read-only by its %R~ key pattern alone: granted every write command and EVAL, the user still cannot write it', async () => {
    // The read user's command list already leaves writes out; this proves the second layer on its own.
    const [, , ...rules] = aclSetUserArgs(readUserOf(), 'widened-pw');
    await acl.admin.call('ACL', 'SETUSER', 'widened', ...rules, '+@write', '+eval', '+evalsha');
    const widened = acl.asUser('widened', 'widened-pw');
    const keyedWrites = writesToQueues().filter(([label]) =>
      /queue key|job|failed set|wait list|EVAL/.test(label),
    );
    const before = await dumpKeysWithPrefix(acl.admin, `${QUEUE_PREFIX}:`);
    expect(await allowed(widened, keyedWrites)).toEqual([]);
    expect(await dumpKeysWithPrefix(acl.admin, `${QUEUE_PREFIX}:`)).toEqual(before);
    expect(keyedWrites.length).toBeGreaterThanOrEqual(11);
  });

  it('lets the read-only user read the queues and write only under the bot’s own prefix', async () => {
    expect(await read.zscore(key('failed'), jobId)).not.toBeNull();
    expect(await read.hget(key(jobId), 'failedReason')).toBe('S3 timeout');
    await read.hset(`${statePrefix}:session:x`, 'threadTs', '1.2');
    expect(
      await read.eval("return redis.call('HGET', KEYS[1], 'threadTs')", 1, `${statePrefix}:session:x`),
    ).toBe('1.2');
    expect(await allowed(read, [['GET another application’s key', 'GET', 'other-app:config']])).toEqual([]);
  });

  it('refuses the replay user server-wide commands, reads of the bot’s state and any key outside its prefixes', async () => {
    const before = await dumpKeysWithPrefix(acl.admin, `${QUEUE_PREFIX}:`);
    const attempts: Attempt[] = [
      ['FLUSHALL', 'FLUSHALL'],
      ['FLUSHDB', 'FLUSHDB'],
      ['KEYS', 'KEYS', '*'],
      ['SCAN', 'SCAN', 0],
      ['CONFIG GET', 'CONFIG', 'GET', '*'],
      ['CONFIG SET', 'CONFIG', 'SET', 'appendonly', 'no'],
      ['ACL LIST', 'ACL', 'LIST'],
      ['CLIENT LIST', 'CLIENT', 'LIST'],
      ['CLIENT KILL', 'CLIENT', 'KILL', 'TYPE', 'normal'],
      ['SCRIPT FLUSH', 'SCRIPT', 'FLUSH'],
      ['FUNCTION FLUSH', 'FUNCTION', 'FLUSH'],
      ['SHUTDOWN', 'SHUTDOWN', 'NOSAVE'],
      ['PUBLISH', 'PUBLISH', 'anything', 'x'],
      ['read an approval record', 'HGET', `${statePrefix}:batch:b-000000000001`, 'state'],
      ['forge an approval', 'HSET', `${statePrefix}:batch:b-000000000001`, 'state', 'approved'],
      ['write the journal (not the ledger)', 'HSET', `${statePrefix}:journal:b-1`, 'j', 'replayed'],
      ['read another application’s key', 'GET', 'other-app:config'],
      ['write another application’s key', 'SET', 'other-app:config', 'ours'],
      [
        'EVAL writing another application’s key',
        'EVAL',
        "return redis.call('SET', 'other-app:config', 'x')",
        0,
      ],
      ['EVAL calling a command it lacks', 'EVAL', "return redis.call('FLUSHALL')", 0],
      ['RENAME a queue key out of the prefix', 'RENAME', key('id'), 'other-app:stolen'],
    ];
    expect(await allowed(replay, attempts)).toEqual([]);
    expect(await dumpKeysWithPrefix(acl.admin, `${QUEUE_PREFIX}:`)).toEqual(before);
    expect(await acl.admin.hget(`${statePrefix}:batch:b-000000000001`, 'state')).toBe('pending');
    expect(await acl.admin.get('other-app:config')).toBe('theirs');
  });

  it('adds a never-enqueued job with BullMQ’s own add as the replay user, the journal kept by the read user', async () => {
    await acl.resetLog();
    const data = JSON.stringify({ recordingId: 'r-2', tenantId: 't-1' });
    const journal = new RedisBatchJournal(read, statePrefix, silentLogger);
    const outcomes = await executeBatch({
      batch: {
        id: 'lp-enqueue-1',
        kind: 'enqueue',
        queuePrefix: QUEUE_PREFIX,
        queue: QUEUE,
        jobs: [
          {
            id: 'stuckjobs-recordings-r-2',
            payloadSha256: payloadSha256(data),
            enqueue: { name: 'postprocess', data },
          },
        ],
      },
      connection: replay,
      journal,
      logger: silentLogger,
    });
    expect(outcomes).toEqual([{ jobId: 'stuckjobs-recordings-r-2', status: 'replayed', reason: 'enqueued' }]);
    expect(await acl.admin.hget(key('stuckjobs-recordings-r-2'), 'data')).toBe(data);
    expect(await acl.admin.lrange(key('wait'), 0, -1)).toContain('stuckjobs-recordings-r-2');
    expect(await acl.log()).toEqual([]);
  });
});
