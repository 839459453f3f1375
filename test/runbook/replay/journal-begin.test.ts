import type { Redis } from 'ioredis';
import { silentLogger } from '../../../src/logger';
import { JournalMismatchError } from '../../../src/runbook/replay/errors';
import { RedisBatchJournal, unfinishedIndexKey } from '../../../src/runbook/replay/journal';
import type { ReplayBatch } from '../../../src/runbook/replay/types';
import { deleteKeysWithPrefix, randomPrefix, testRedis } from '../../helpers/redis';
import { randomBatchId } from './helpers';

function batchOfIds(ids: readonly string[], id = randomBatchId()): ReplayBatch {
  return {
    id,
    queuePrefix: 'bull',
    queue: 'webhook-delivery',
    jobs: ids.map((jobId) => ({ id: jobId, payloadSha256: 'b'.repeat(64) })),
  };
}

/**
 * The unfinished index is what every replica's sweep reads each period: a
 * done batch left on it is looked at forever, a running batch missing from it
 * is never recovered. begin and finish race when two replicas touch one batch.
 */
describe('RedisBatchJournal begin and the unfinished index', () => {
  const statePrefix = randomPrefix('jbegin');
  let redis: Redis;
  /** The other replica's connection: its finish lands while this one's begin is mid-way. */
  let other: Redis;
  let journal: RedisBatchJournal;

  beforeAll(() => {
    redis = testRedis();
    other = testRedis();
    journal = new RedisBatchJournal(redis, statePrefix, silentLogger);
  });

  afterAll(async () => {
    await deleteKeysWithPrefix(redis, statePrefix);
    await Promise.all([redis.quit(), other.quit()]);
  });

  const listed = (batchId: string) => redis.sismember(unfinishedIndexKey(statePrefix), batchId);

  it('keeps a batch finished between begin’s read and its write off the unfinished index', async () => {
    const batch = batchOfIds(['1', '2', '3']);
    const elsewhere = new RedisBatchJournal(other, statePrefix, silentLogger);
    expect(await elsewhere.begin(batch)).toBe(true);
    // A sweep's begin reads the state (running); the run elsewhere finishes before the sweep writes.
    const read = redis.hmget.bind(redis);
    let finishedMidway = false;
    const spy = jest
      .spyOn(redis, 'hmget')
      .mockImplementationOnce(async (...args: Parameters<Redis['hmget']>) => {
        const reply = await read(...args);
        await elsewhere.finish(batch.id);
        finishedMidway = true;
        return reply;
      });
    try {
      expect(await journal.begin(batch)).toBe(false);
    } finally {
      spy.mockRestore();
    }

    expect(finishedMidway).toBe(true);
    expect(await redis.hget(journal.keys(batch.id).meta, 'state')).toBe('done');
    expect(await listed(batch.id)).toBe(0);
    expect((await journal.listUnfinished()).map((u) => u.batch.id)).not.toContain(batch.id);
  });

  it('returns true only to the begin that created the meta, and lists the batch once', async () => {
    const batch = batchOfIds(['4', '5']);
    const results = await Promise.all([journal.begin(batch), journal.begin(batch), journal.begin(batch)]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await listed(batch.id)).toBe(1);
    expect(await redis.hget(journal.keys(batch.id).meta, 'state')).toBe('running');
  });

  it('refuses other jobs under an id already begun, writing nothing to its meta', async () => {
    const id = randomBatchId();
    await journal.begin(batchOfIds(['6'], id));
    const before = await redis.hgetall(journal.keys(id).meta);
    await expect(journal.begin(batchOfIds(['7'], id))).rejects.toBeInstanceOf(JournalMismatchError);
    expect(await redis.hgetall(journal.keys(id).meta)).toEqual(before);
  });

  it('takes a done or vanished batch off the index when listing, and keeps running ones', async () => {
    const done = batchOfIds(['8']);
    const running = batchOfIds(['9']);
    await journal.begin(done);
    await journal.begin(running);
    await journal.finish(done.id);
    const vanished = randomBatchId();
    // Left there by the race above before begin was one script, and by a meta that expired.
    await redis.sadd(unfinishedIndexKey(statePrefix), done.id, vanished);

    const ids = (await journal.listUnfinished()).map((u) => u.batch.id);

    expect(ids).toContain(running.id);
    expect(ids).not.toContain(done.id);
    expect(await listed(done.id)).toBe(0);
    expect(await listed(vanished)).toBe(0);
    expect(await listed(running.id)).toBe(1);
  });

  it('tells state and lease holder in one look', async () => {
    const batch = batchOfIds(['10']);
    expect(await journal.status(batch.id)).toEqual({ state: null, leasedBy: null });
    await journal.begin(batch);
    await journal.claim(batch.id, 'replica-a', 30_000);
    expect(await journal.status(batch.id)).toEqual({ state: 'running', leasedBy: 'replica-a' });
    await journal.finish(batch.id);
    await journal.release(batch.id, 'replica-a');
    expect(await journal.status(batch.id)).toEqual({ state: 'done', leasedBy: null });
  });

  it('a claim on a journal with no meta takes the lease but writes no meta', async () => {
    const batchId = randomBatchId();
    const meta = journal.keys(batchId).meta;

    expect(await journal.claim(batchId, 'replica-a', 30_000)).toBe(true);

    expect(await redis.exists(meta)).toBe(0);
    expect(await journal.status(batchId)).toEqual({ state: null, leasedBy: 'replica-a' });
    // Held: a second claim is refused and still writes nothing.
    expect(await journal.claim(batchId, 'replica-b', 30_000)).toBe(false);
    expect(await redis.exists(meta)).toBe(0);
    await journal.release(batchId, 'replica-a');
  });

  it('a claim on a running journal records its owner on the meta', async () => {
    const batch = batchOfIds(['20', '21']);
    await journal.begin(batch);

    expect(await journal.claim(batch.id, 'replica-a', 30_000)).toBe(true);

    expect(await redis.hget(journal.keys(batch.id).meta, 'owner')).toBe('replica-a');
    expect((await journal.listUnfinished()).find((u) => u.batch.id === batch.id)?.owner).toBe('replica-a');
    await journal.release(batch.id, 'replica-a');
  });

  it('takes a listed batch whose meta holds only an owner (no batch) off the unfinished index', async () => {
    const batchId = randomBatchId();
    // What an older claim left: the meta expired, the claim wrote `owner` alone, the id stayed listed.
    await redis.hset(journal.keys(batchId).meta, 'owner', 'replica-old');
    await redis.sadd(unfinishedIndexKey(statePrefix), batchId);

    const ids = (await journal.listUnfinished()).map((u) => u.batch.id);

    expect(ids).not.toContain(batchId);
    expect(await listed(batchId)).toBe(0);
  });
});
