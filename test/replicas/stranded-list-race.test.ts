import type { Redis } from 'ioredis';
import { RedisApprovalStore } from '../../src/approvals/approval-store';
import { createBatchManifest } from '../../src/approvals/batch-manifest';
import { silentLogger } from '../../src/logger';
import { batchFromManifest } from '../../src/runbook/replay/batch-from-manifest';
import { RedisBatchJournal } from '../../src/runbook/replay/journal';
import { findStrandedApprovals, type StrandedDeps } from '../../src/runbook/replay/stranded-approvals';
import type { ReplayBatch } from '../../src/runbook/replay/types';
import { manifestInput } from '../approvals/fixtures';
import { deleteKeysWithPrefix, randomPrefix, testRedis } from '../helpers/redis';

const JOBS = ['201', '202', '203', '204'];
/** Well past any claim grace: the old code would close the batch, not wait for it. */
const LONG_AGO_MS = 10 * 60_000;

/**
 * Issue 8, two replicas: a sweep reads the unfinished-journal list once at the
 * top of its pass, and each executing batch's journal later. A batch another
 * replica begins in between (its first chunk already copied) is not listed but
 * has `replayed` entries; it is still moving jobs and must not be closed.
 */
describe('a stranded-approval pass whose journal list went stale', () => {
  const statePrefix = randomPrefix('strand-race');
  let redis: Redis;
  let store: RedisApprovalStore;
  let journal: RedisBatchJournal;

  beforeAll(() => {
    redis = testRedis();
    store = new RedisApprovalStore(redis, statePrefix, silentLogger);
    journal = new RedisBatchJournal(redis, statePrefix, silentLogger);
  });

  afterAll(async () => {
    await deleteKeysWithPrefix(redis, statePrefix);
    await redis.quit();
  });

  /** An approved batch claimed for execution by replica A, its journal not begun yet. */
  async function claimedBatch(batchNumber: number): Promise<ReplayBatch> {
    const manifest = createBatchManifest(
      manifestInput({ batchNumber, jobs: JOBS.map((id) => ({ id, payloadSha256: 'a'.repeat(64) })) }),
    );
    const { manifestHash } = await store.create(manifest);
    const decided = await store.decide(manifest.id, {
      decision: 'approve',
      userId: 'U-APP',
      userAllowed: true,
      manifestHash,
    });
    expect(decided.code).toBe('approved');
    expect((await store.claimForExecution(manifest.id, 'replica-a')).code).toBe('claimed');
    return batchFromManifest(manifest, 'bull');
  }

  /** Replica A's run right after its first chunk: journal begun, lease held, one job copied `replayed`. */
  async function firstChunkCopied(batch: ReplayBatch): Promise<void> {
    await journal.begin(batch);
    expect(await journal.claim(batch.id, 'replica-a', 30_000)).toBe(true);
    await journal.writeMany(batch.id, new Map([[JOBS[0]!, { status: 'replayed', at: Date.now() }]]));
  }

  /** Replica B's pass, with replica A's step landing right after B read the list. */
  function sweepWith(
    between: () => Promise<void>,
  ): Promise<Awaited<ReturnType<typeof findStrandedApprovals>>> {
    let listed = false;
    const staleList: StrandedDeps['journal'] = {
      entries: (id) => journal.entries(id),
      status: (id) => journal.status(id),
      listUnfinished: async () => {
        const list = await journal.listUnfinished();
        if (!listed) {
          listed = true;
          await between();
        }
        return list;
      },
    };
    return findStrandedApprovals({
      store,
      journal: staleList,
      logger: silentLogger,
      owner: 'replica-b',
      clock: () => Date.now() + LONG_AGO_MS,
      approvalTtlMs: 60 * 60_000,
      claimGraceMs: 2 * 60_000,
    });
  }

  it('leaves a batch begun elsewhere after the list was read as busy, not closed as done', async () => {
    const batch = await claimedBatch(1);
    const found = await sweepWith(() => firstChunkCopied(batch));

    expect(found.closed).toEqual([]);
    expect(found.busy).toBe(1);
    expect((await store.get(batch.id))?.state).toBe('executing');
    // Still listed for journal recovery, which finishes it if replica A dies.
    expect((await journal.listUnfinished()).map((u) => u.batch.id)).toContain(batch.id);
  });

  it('leaves a running journal alone even once its lease lapsed (journal recovery finishes it)', async () => {
    const batch = await claimedBatch(2);
    const found = await sweepWith(async () => {
      await firstChunkCopied(batch);
      await redis.del(journal.keys(batch.id).lease);
    });

    expect(found.closed).toEqual([]);
    expect((await store.get(batch.id))?.state).toBe('executing');
  });

  it('closes it as done, from the final entries, when the run finished its journal in between', async () => {
    const batch = await claimedBatch(3);
    const found = await sweepWith(async () => {
      await firstChunkCopied(batch);
      const now = Date.now();
      await journal.writeMany(
        batch.id,
        new Map(JOBS.slice(1).map((id) => [id, { status: 'replayed', at: now } as const])),
      );
      await journal.finish(batch.id);
      await journal.release(batch.id, 'replica-a');
    });

    expect(found.closed.map((c) => c.line)).toEqual([expect.stringContaining(`4 of 4 replayed`)]);
    expect((await store.get(batch.id))?.state).toBe('done');
  });
});
