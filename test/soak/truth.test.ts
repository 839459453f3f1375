import type { Redis } from 'ioredis';
import type { SeededIncident } from '../../bench/soak/seed';
import { streamMark } from '../../bench/lib/streams';
import { checkIncident } from '../../bench/soak/truth';
import { deleteKeysWithPrefix, randomPrefix, testRedis } from '../helpers/redis';

/**
 * The soak's checker must see what it is there to catch: a job moved twice,
 * a job that vanished, a move nobody approved, a retrying job disturbed. Each
 * case writes the Redis state such a bug would leave and reads the verdict.
 */
describe('soak truth check', () => {
  const prefix = randomPrefix('soak-truth');
  const queuePrefix = `${prefix}:bull`;
  const statePrefix = `${prefix}:state`;
  const queue = 'webhook-delivery';
  const base = `${queuePrefix}:${queue}`;
  let redis: Redis;

  beforeAll(() => {
    redis = testRedis();
  });
  afterAll(async () => {
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
  });

  const seeded: SeededIncident = {
    queue,
    givenUp: ['g0', 'g1', 'g2', 'g3'],
    neverReplay: { delayed: ['r0'], failed: ['e0'] },
    conversations: new Map(),
  };

  /** g0, g1 in an approved batch (done), g2, g3 untouched; r0 delayed, e0 failed early. */
  async function world(batchId: string): Promise<string> {
    await deleteKeysWithPrefix(redis, prefix);
    const mark = await streamMark(redis, `${base}:events`);
    for (const id of [...seeded.givenUp, 'r0', 'e0'])
      await redis.hset(`${base}:${id}`, 'name', 'deliver-webhook');
    await redis.zadd(`${base}:failed`, 1, 'g2', 2, 'g3', 3, 'e0');
    await redis.zadd(`${base}:delayed`, 4, 'r0');
    await redis.rpush(`${base}:wait`, 'g0', 'g1');
    await redis.hset(`${statePrefix}:batch:${batchId}`, {
      state: 'done',
      manifest: JSON.stringify({ jobs: [{ id: 'g0' }, { id: 'g1' }] }),
    });
    await redis.hset(`${statePrefix}:journal:${batchId}`, {
      g0: JSON.stringify({ status: 'replayed', at: Date.now() }),
      g1: JSON.stringify({ status: 'replayed', at: Date.now() }),
    });
    return mark;
  }
  const move = (jobId: string) =>
    redis.xadd(`${base}:events`, '*', 'event', 'waiting', 'jobId', jobId, 'prev', 'failed');
  const check = (eventsMark: string, batchId: string) =>
    checkIncident({ redis, queuePrefix, statePrefix, seeded, batchIds: [batchId], eventsMark });

  it('passes a clean batch: two replayed, two moves, nothing lost or doubled', async () => {
    const mark = await world('b1');
    await move('g0');
    await move('g1');
    const truth = await check(mark, 'b1');
    expect(truth).toEqual(
      expect.objectContaining({ replayed: 2, moves: 2, lost: [], duplicated: [], movedUnapproved: [] }),
    );
    expect(truth.neverReplayDisturbed).toEqual([]);
  });

  it('reports a job moved twice as duplicated', async () => {
    const mark = await world('b2');
    await move('g0');
    await move('g0');
    await move('g1');
    expect((await check(mark, 'b2')).duplicated).toEqual(['g0']);
  });

  it('reports a journaled job with no move, and an untouched job that vanished, as lost', async () => {
    const mark = await world('b3');
    await move('g0');
    await redis.zrem(`${base}:failed`, 'g3');
    expect([...(await check(mark, 'b3')).lost].sort()).toEqual(['g1', 'g3']);
  });

  it('reports moves no approved batch held, and a retrying job taken from delayed', async () => {
    const mark = await world('b4');
    await move('g0');
    await move('g1');
    await move('g2');
    await move('e0');
    await redis.zrem(`${base}:delayed`, 'r0');
    const truth = await check(mark, 'b4');
    expect([...truth.movedUnapproved].sort()).toEqual(['e0', 'g2']);
    expect(truth.neverReplayDisturbed).toEqual(['r0']);
  });

  it('reports a denied batch that has a journal: it ran though nobody approved it', async () => {
    const mark = await world('b5');
    await move('g0');
    await move('g1');
    await redis.hset(`${statePrefix}:batch:b5-denied`, {
      state: 'denied',
      manifest: JSON.stringify({ jobs: [{ id: 'g0' }] }),
    });
    await redis.hset(
      `${statePrefix}:journal:b5-denied`,
      'g0',
      JSON.stringify({ status: 'replayed', at: Date.now() }),
    );
    const truth = await checkIncident({
      redis,
      queuePrefix,
      statePrefix,
      seeded,
      batchIds: ['b5-denied', 'b5'],
      eventsMark: mark,
    });
    expect(truth.movedUnapproved).toEqual(['b5-denied (denied, journaled)']);
  });
});
