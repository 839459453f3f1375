import type { Redis } from 'ioredis';
import { silentLogger } from '../../src/logger';
import { executeBatch } from '../../src/runbook/replay/executor';
import { RedisBatchJournal, type JournalProbe } from '../../src/runbook/replay/journal';
import { reconcileUnfinished } from '../../src/runbook/replay/reconcile';
import type { BatchJournal, UnfinishedJournal } from '../../src/runbook/replay/types';
import { deleteKeysWithPrefix, randomPrefix, testRedis, testRedisUrl } from '../helpers/redis';
import { batchOf, movesOutOfFailed, QUEUE, seedGivenUp } from '../runbook/replay/helpers';

/** The real journal, except that its first list of unfinished batches is one read earlier. */
function listedEarlier(
  journal: RedisBatchJournal,
  earlier: UnfinishedJournal[],
): BatchJournal & JournalProbe {
  let first = true;
  return {
    begin: (batch) => journal.begin(batch),
    claim: (id, owner, ttl) => journal.claim(id, owner, ttl),
    renew: (id, owner, ttl) => journal.renew(id, owner, ttl),
    release: (id, owner) => journal.release(id, owner),
    entries: (id) => journal.entries(id),
    write: (id, jobId, entry) => journal.write(id, jobId, entry),
    writeMany: (id, entries) => journal.writeMany(id, entries),
    ledgerKey: (id) => journal.ledgerKey(id),
    finish: (id) => journal.finish(id),
    status: (id) => journal.status(id),
    listUnfinished: () => {
      if (!first) return journal.listUnfinished();
      first = false;
      return Promise.resolve(earlier);
    },
  };
}

/**
 * Two replicas sweeping (issue 8): a sweep lists the unfinished journals, then
 * claims each. A run elsewhere can finish a listed batch and release its lease
 * in between (seen in the two-replica test as a second `finish` for one batch).
 * Recovery must then leave the batch alone: not run, not closed, not reported again.
 */
describe('a recovery sweep whose list went stale before its claim', () => {
  const prefix = randomPrefix('stale-q');
  const statePrefix = randomPrefix('stale-bot');
  let redis: Redis;

  beforeAll(() => {
    redis = testRedis();
  });

  afterAll(async () => {
    await deleteKeysWithPrefix(redis, prefix);
    await deleteKeysWithPrefix(redis, statePrefix);
    await redis.quit();
  });

  it('reports a batch finished by another run before its look as settled: not busy (no retry owed), not finished a second time', async () => {
    const ids = await seedGivenUp({ url: testRedisUrl(), prefix, queue: QUEUE, count: 3, attempts: 1 });
    const batch = await batchOf(redis, prefix, QUEUE, ids);
    const journal = new RedisBatchJournal(redis, statePrefix, silentLogger);
    await journal.begin(batch);
    // Replica B's sweep reads the list while replica A's run is still going...
    const listed = await journal.listUnfinished();
    expect(listed.map((j) => j.batch.id)).toEqual([batch.id]);
    // ...and A finishes (journal done, lease released) before B's claim.
    await executeBatch({ batch, connection: redis, journal, logger: silentLogger, owner: 'replica-a' });
    const finishedAt = await redis.hget(journal.keys(batch.id).meta, 'finishedAt');

    const results = await reconcileUnfinished({
      connection: redis,
      journal: listedEarlier(journal, listed),
      logger: silentLogger,
      owner: 'replica-b',
    });

    expect(results.map((r) => r.status)).toEqual(['settled']);
    const moves = await movesOutOfFailed(redis, prefix, QUEUE);
    for (const id of ids) expect(moves.get(id)).toBe(1);
    expect(await redis.hget(journal.keys(batch.id).meta, 'finishedAt')).toBe(finishedAt);
    // B let go of the lease it took to look: nothing is left held.
    expect(await redis.exists(journal.keys(batch.id).lease)).toBe(0);
    expect(await journal.listUnfinished()).toEqual([]);
  });

  it('reports a batch finished by another run between its look and its claim as settled, and lets go of the lease', async () => {
    const ids = await seedGivenUp({ url: testRedisUrl(), prefix, queue: QUEUE, count: 2, attempts: 1 });
    const batch = await batchOf(redis, prefix, QUEUE, ids);
    const journal = new RedisBatchJournal(redis, statePrefix, silentLogger);
    await journal.begin(batch);
    const listed = await journal.listUnfinished();
    const stale = listedEarlier(journal, listed);
    let looks = 0;
    const racing: BatchJournal & JournalProbe = {
      ...stale,
      // B's look sees it running and unleased; A then runs it to the end before B claims.
      status: async (id) => {
        const seen = await journal.status(id);
        if (looks++ === 0) {
          await executeBatch({ batch, connection: redis, journal, logger: silentLogger, owner: 'replica-a' });
        }
        return seen;
      },
    };

    const results = await reconcileUnfinished({
      connection: redis,
      journal: racing,
      logger: silentLogger,
      owner: 'replica-b',
    });

    expect(results.map((r) => r.status)).toEqual(['settled']);
    const moves = await movesOutOfFailed(redis, prefix, QUEUE);
    for (const id of ids) expect(moves.get(id)).toBe(1);
    expect(await redis.exists(journal.keys(batch.id).lease)).toBe(0);
  });
});
