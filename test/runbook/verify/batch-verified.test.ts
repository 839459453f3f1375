import type { Redis } from 'ioredis';
import type { JournalEntry } from '../../../src/runbook/replay/types';
import { isBatchVerified, type BatchVerifiedDeps } from '../../../src/runbook/verify/batch-verified';
import { deleteKeysWithPrefix, randomPrefix, testRedis } from '../../helpers/redis';

const BATCH = 'b-0123456789ab';
const replayed: JournalEntry = { status: 'replayed', at: 1 };
const skipped: JournalEntry = { status: 'skipped', at: 1, reason: 'no longer failed' };

describe('isBatchVerified', () => {
  let redis: Redis;
  let prefix: string;
  let queueKey: string;
  let askedFor: string[];

  const deps = (entries: [string, JournalEntry | 'unreadable'][]): BatchVerifiedDeps => ({
    redis,
    queueKey,
    journal: {
      entries: (batchId) => {
        askedFor.push(batchId);
        return Promise.resolve(new Map(entries));
      },
    },
  });
  const complete = (...ids: string[]) =>
    redis.zadd(`${queueKey}:completed`, ...ids.flatMap((id, i) => [i + 1, id]));

  beforeAll(() => {
    redis = testRedis();
  });
  beforeEach(() => {
    prefix = randomPrefix('verify');
    queueKey = `${prefix}:webhook-delivery`;
    askedFor = [];
  });
  afterEach(() => deleteKeysWithPrefix(redis, prefix));
  afterAll(() => redis.quit());

  it("is verified when every replayed job is in the queue's completed set", async () => {
    await complete('1', '2', '3');

    const verdict = await isBatchVerified(
      deps([
        ['1', replayed],
        ['2', replayed],
        ['3', replayed],
      ]),
      BATCH,
    );

    expect(verdict).toEqual({ verified: true, reason: 'all 3 replayed jobs completed', replayed: 3 });
    expect(askedFor).toEqual([BATCH]);
  });

  it('is not verified when one replayed job has not completed, and says how many', async () => {
    await complete('1', '3');
    // Failed again: in the queue, but not in `completed`.
    await redis.zadd(`${queueKey}:failed`, 1, '2');

    const verdict = await isBatchVerified(
      deps([
        ['1', replayed],
        ['2', replayed],
        ['3', replayed],
      ]),
      BATCH,
    );

    expect(verdict).toEqual({
      verified: false,
      reason: '1 of 3 replayed jobs have not completed',
      replayed: 3,
    });
  });

  it('is not verified when the batch replayed nothing', async () => {
    await complete('1', '2');

    const verdict = await isBatchVerified(
      deps([
        ['1', skipped],
        ['2', 'unreadable'],
        ['3', { status: 'pending', at: 1 }],
      ]),
      BATCH,
    );

    expect(verdict).toEqual({ verified: false, reason: 'the batch replayed no job', replayed: 0 });
  });

  it('ignores skipped and unreadable entries when the replayed ones completed', async () => {
    await complete('1');

    const verdict = await isBatchVerified(
      deps([
        ['1', replayed],
        ['2', skipped],
        ['3', 'unreadable'],
      ]),
      BATCH,
    );

    expect(verdict).toEqual({ verified: true, reason: 'all 1 replayed jobs completed', replayed: 1 });
  });
});
