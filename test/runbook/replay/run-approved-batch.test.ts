import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { RedisApprovalStore } from '../../../src/approvals/approval-store';
import type { GateBlock } from '../../../src/approvals/replay-gate';
import { createBatchManifest, payloadSha256 } from '../../../src/approvals/batch-manifest';
import { silentLogger } from '../../../src/logger';
import type { EndpointsDetails, ProbeResult, WebhookTarget } from '../../../src/probes';
import { BullmqBackend } from '../../../src/queues/bullmq-backend';
import type { RedisBatchJournal } from '../../../src/runbook/replay/journal';
import { runApprovedBatch, type RunApprovedDeps } from '../../../src/runbook/replay/run-approved-batch';
import { manifestInput } from '../../approvals/fixtures';
import { seedFailedFast } from '../../helpers/bullmq-fixtures';
import { testRedis } from '../../helpers/redis';
import { QUEUE, cleanReplayScope, freshReplayScope, movesOutOfFailed } from './helpers';

const hook = (i: number) => ({
  tenantId: 'acme',
  webhookId: `wh-${i}`,
  url: `https://a.example/hooks/${i}`,
  event: 'call.ended',
  body: {},
});

/** Every host healthy, or every host down. */
function endpoints(down: boolean) {
  return (targets: readonly WebhookTarget[]): Promise<ProbeResult<EndpointsDetails>> => {
    const hosts = [...new Set(targets.map((t) => new URL(t.url).host))];
    return Promise.resolve({
      probe: 'webhook-endpoints',
      status: down ? 'degraded' : 'ok',
      reason: down ? 'down' : 'up',
      details: {
        endpoints: hosts.map((host) => ({
          host,
          jobs: 1,
          recentStatusCodes: {},
          head: { status: down ? 503 : 200 },
          status: down ? ('down' as const) : ('ok' as const),
        })),
      },
    });
  };
}

describe('runApprovedBatch', () => {
  let redis: Redis;
  let prefix: string;
  let statePrefix: string;
  let journal: RedisBatchJournal;
  let queue: Queue;
  let store: RedisApprovalStore;
  let down: boolean;
  let blocks: GateBlock[];

  const deps = (): RunApprovedDeps => ({
    store,
    gate: { blocks: () => Promise.resolve(blocks) },
    backend: new BullmqBackend({ connection: redis, prefix, logger: silentLogger }),
    probes: {
      webhookEndpoints: (targets) => endpoints(down)(targets),
      recordings: () => Promise.reject(new Error('not expected')),
      stripe: () => Promise.reject(new Error('not expected')),
    },
    connection: redis,
    queuePrefix: prefix,
    journal,
    logger: silentLogger,
    owner: 'test-host:1:run-approved',
  });

  /** Given-up webhook jobs in `failed`, and a pending batch of exactly them. */
  async function plannedBatch(count: number) {
    const ids = await seedFailedFast({
      redis,
      prefix,
      queue: QUEUE,
      count,
      name: 'deliver-webhook',
      dataFor: hook,
      failedReason: 'HTTP 503 from tenant endpoint',
      attempts: 3,
    });
    const jobs = [];
    for (const id of ids) {
      jobs.push({ id, payloadSha256: payloadSha256(await redis.hget(`${prefix}:${QUEUE}:${id}`, 'data')) });
    }
    const manifest = createBatchManifest(manifestInput({ queue: QUEUE, jobs, requestedBy: 'U-REQ' }));
    const { manifestHash } = await store.create(manifest);
    return { ids, batchId: manifest.id, manifestHash };
  }

  async function approve(batchId: string, manifestHash: string) {
    const decided = await store.decide(batchId, {
      decision: 'approve',
      userId: 'U-APP',
      userAllowed: true,
      manifestHash,
    });
    expect(decided.code).toBe('approved');
  }

  async function nothingMoved(count: number) {
    expect(await redis.zcard(`${prefix}:${QUEUE}:failed`)).toBe(count);
    expect(await redis.llen(`${prefix}:${QUEUE}:wait`)).toBe(0);
    expect(await movesOutOfFailed(redis, prefix, QUEUE)).toEqual(new Map());
  }

  beforeAll(() => {
    redis = testRedis();
  });
  beforeEach(() => {
    ({ prefix, statePrefix, journal, queue } = freshReplayScope(redis));
    store = new RedisApprovalStore(redis, `${statePrefix}:approvals`, silentLogger);
    down = false;
    blocks = [];
  });
  afterEach(() => cleanReplayScope(redis, { prefix, statePrefix, queue }));
  afterAll(() => redis.quit());

  it('claims nothing and moves nothing when the batch is not approved', async () => {
    const { batchId } = await plannedBatch(3);

    const result = await runApprovedBatch(deps(), batchId);

    expect(result.kind).toBe('not-claimed');
    expect(result.kind === 'not-claimed' ? result.claim.code : undefined).toBe('not-approved');
    expect((await store.get(batchId))?.state).toBe('pending');
    expect(await journal.entries(batchId)).toEqual(new Map());
    await nothingMoved(3);
  });

  it('ends the batch failed with the reason, moving nothing, when a precondition fails right before execution', async () => {
    const { batchId, manifestHash } = await plannedBatch(3);
    await approve(batchId, manifestHash);
    down = true;

    const result = await runApprovedBatch(deps(), batchId);

    expect(result.kind).toBe('precondition-failed');
    const record = await store.get(batchId);
    expect(record?.state).toBe('failed');
    expect(record?.summary).toBe(
      'not run: preconditions failed right before execution: webhooks: endpoint a.example is down (HTTP 503)',
    );
    expect(await journal.entries(batchId)).toEqual(new Map());
    await nothingMoved(3);
  });

  it('ends the batch failed, moving nothing, when a sample of its cohort failed since the plan', async () => {
    const { batchId, manifestHash } = await plannedBatch(2);
    await approve(batchId, manifestHash);
    blocks = [
      {
        workflow: 'webhooks',
        state: 'failed',
        cohortKey: 'tenant=acme',
        cohort: { tenant: 'acme' },
        sampleId: 's-1',
        at: Date.now(),
        by: 'U-OPS',
        failures: [{ jobId: '1', check: 'well-formed', reason: 'url is missing' }],
      },
    ];

    const result = await runApprovedBatch(deps(), batchId);

    expect(result.kind).toBe('precondition-failed');
    const record = await store.get(batchId);
    expect(record?.state).toBe('failed');
    expect(record?.summary).toMatch(/^not run: .*cohort tenant=acme failed its checks since the plan/);
    await nothingMoved(2);
  });

  it("replays exactly the manifest's jobs and ends the batch done with the count", async () => {
    const { ids, batchId, manifestHash } = await plannedBatch(3);
    // Another given-up job of the queue, not in the batch.
    const [outsider] = await seedFailedFast({
      redis,
      prefix,
      queue: QUEUE,
      count: 1,
      name: 'deliver-webhook',
      dataFor: hook,
      failedReason: 'HTTP 503 from tenant endpoint',
      attempts: 3,
    });
    await approve(batchId, manifestHash);
    const progress: [number, number][] = [];

    const result = await runApprovedBatch(deps(), batchId, (done, total) => progress.push([done, total]));

    expect(result.kind).toBe('executed');
    expect(result.kind === 'executed' ? result.outcomes : undefined).toEqual(
      ids.map((jobId) => ({ jobId, status: 'replayed' })),
    );
    const record = await store.get(batchId);
    expect(record).toEqual(expect.objectContaining({ state: 'done', summary: '3 of 3 replayed' }));
    // Reported before the first move and after each chunk (all three fit one chunk).
    expect(progress).toEqual([
      [0, 3],
      [3, 3],
    ]);
    const moves = await movesOutOfFailed(redis, prefix, QUEUE);
    expect(ids.map((id) => moves.get(id))).toEqual([1, 1, 1]);
    expect(moves.has(outsider!)).toBe(false);
    expect(await redis.zrange(`${prefix}:${QUEUE}:failed`, '0', '-1')).toEqual([outsider]);
  });

  it('says the batch was closed elsewhere when a recovery sweep closed it between the journal finish and its own close', async () => {
    const { ids, batchId, manifestHash } = await plannedBatch(2);
    await approve(batchId, manifestHash);
    // Another replica's sweep, landing in the gap: it closes the batch from the finished journal.
    const sweepFinish: string[] = [];
    const racing: RunApprovedDeps['store'] = {
      get: (id) => store.get(id),
      claimForExecution: (id, owner) => store.claimForExecution(id, owner),
      finish: async (id, outcome, summary) => {
        sweepFinish.push((await store.finish(id, 'done', '2 of 2 replayed (closed by recovery)')).code);
        return store.finish(id, outcome, summary);
      },
      auditAttempt: (entry) => store.auditAttempt(entry),
    };

    const result = await runApprovedBatch({ ...deps(), store: racing }, batchId);

    expect(sweepFinish).toEqual(['finished']);
    expect(result.kind).toBe('closed-elsewhere');
    if (result.kind !== 'closed-elsewhere') return;
    expect(result.finish.code).toBe('not-executing');
    expect(result.run.kind === 'executed' ? result.run.outcomes : undefined).toEqual(
      ids.map((jobId) => ({ jobId, status: 'replayed' })),
    );
    expect((await store.get(batchId))?.summary).toBe('2 of 2 replayed (closed by recovery)');
    const moves = await movesOutOfFailed(redis, prefix, QUEUE);
    expect(ids.map((id) => moves.get(id))).toEqual([1, 1]);
  });

  it('reports a run that moved jobs after a recovery pass closed its batch as failed, and corrects the audit', async () => {
    const { ids, batchId, manifestHash } = await plannedBatch(2);
    await approve(batchId, manifestHash);
    // A recovery pass that gave up on the claim (grace over, no journal seen) closes it as not run,
    // in the moment between the journal's finish and this run's own close.
    const racing: RunApprovedDeps['store'] = {
      get: (id) => store.get(id),
      claimForExecution: (id, owner) => store.claimForExecution(id, owner),
      finish: async (id, outcome, summary) => {
        await store.finish(id, 'failed', 'not run: the bot stopped before moving any job');
        return store.finish(id, outcome, summary);
      },
      auditAttempt: (entry) => store.auditAttempt(entry),
    };

    const result = await runApprovedBatch({ ...deps(), store: racing }, batchId);

    expect(result.kind).toBe('ran-after-close');
    if (result.kind !== 'ran-after-close') return;
    expect(result.closedAs).toBe('failed');
    expect(result.run.outcomes).toEqual(ids.map((jobId) => ({ jobId, status: 'replayed' })));
    const corrections = (await store.auditTrail(batchId)).filter((e) => e.result === 'ran-after-close');
    expect(corrections.map((e) => [e.action, e.detail])).toEqual([
      ['finish', 'ran after it had been closed as failed: 2 of 2 replayed'],
    ]);
    const moves = await movesOutOfFailed(redis, prefix, QUEUE);
    expect(ids.map((id) => moves.get(id))).toEqual([1, 1]);
  });

  it('moves nothing when a recovery pass closed the batch between the claim and the first move', async () => {
    const { batchId, manifestHash } = await plannedBatch(2);
    await approve(batchId, manifestHash);
    // The preconditions are checked after the claim: the pass lands while they run.
    const slowProbes = deps().probes;
    const racing: RunApprovedDeps = {
      ...deps(),
      probes: {
        ...slowProbes,
        webhookEndpoints: async (targets) => {
          await store.finish(batchId, 'failed', 'not run: the bot stopped before moving any job');
          return slowProbes.webhookEndpoints(targets);
        },
      },
    };
    const progress: number[][] = [];

    const result = await runApprovedBatch(racing, batchId, (done, total) => progress.push([done, total]));

    expect(result).toEqual(expect.objectContaining({ kind: 'closed-before-run', closedAs: 'failed' }));
    expect(progress).toEqual([]);
    await nothingMoved(2);
    expect(await journal.status(batchId)).toEqual({ state: null, leasedBy: null });
    expect((await store.get(batchId))?.state).toBe('failed');
  });

  it('runs a batch once: a second call is not claimed and moves nothing more', async () => {
    const { ids, batchId, manifestHash } = await plannedBatch(2);
    await approve(batchId, manifestHash);
    await runApprovedBatch(deps(), batchId);

    const again = await runApprovedBatch(deps(), batchId);

    expect(again.kind).toBe('not-claimed');
    const moves = await movesOutOfFailed(redis, prefix, QUEUE);
    expect(ids.map((id) => moves.get(id))).toEqual([1, 1]);
  });
});
