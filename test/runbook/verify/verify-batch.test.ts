import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { silentLogger } from '../../../src/logger';
import type { ProbeResult, SignozDetails } from '../../../src/probes/types';
import { BullmqBackend } from '../../../src/queues/bullmq-backend';
import { systemClock } from '../../../src/runbook/diagnose';
import { executeBatch } from '../../../src/runbook/replay/executor';
import type { CompletedJob, Verification, VerificationPart } from '../../../src/runbook/verify/types';
import { isBatchVerified } from '../../../src/runbook/verify/batch-verified';
import { RedisVerificationStore } from '../../../src/runbook/verify/verification-store';
import {
  combine,
  verifyBatch as verifyOrBusy,
  type VerifyDeps,
} from '../../../src/runbook/verify/verify-batch';
import { testRedis, testRedisUrl } from '../../helpers/redis';
import {
  QUEUE,
  batchOf,
  cleanReplayScope,
  freshReplayScope,
  seedGivenUp,
  workerConnection,
  type ReplayScope,
} from '../replay/helpers';

/** The verdict, failing the test if another watch of the batch was running. */
async function verifyBatch(...args: Parameters<typeof verifyOrBusy>): Promise<Verification> {
  const result = await verifyOrBusy(...args);
  if (result === 'already-running') throw new Error('a verification of this batch was already running');
  return result;
}

const BASELINE = { errorRate: 0.01, p95Ms: 120, spans: 500 };

function signoz(errorRate: number): () => Promise<ProbeResult<SignozDetails>> {
  return () =>
    Promise.resolve({
      probe: 'signoz',
      status: 'ok',
      reason: 'fine',
      details: { service: 'ops', current: { errorRate, p95Ms: 100, spans: 400 }, baseline: BASELINE },
    });
}

/** A downstream check that passes every completed job (the real ones are tested in downstream/). */
const downstreamPasses = (jobs: readonly CompletedJob[]): Promise<VerificationPart> =>
  Promise.resolve({
    name: 'downstream',
    status: jobs.length > 0 ? 'pass' : 'skipped',
    summary: `${jobs.length} effects seen`,
    details: [],
  });

/**
 * Runbook step 4 against a real queue: given-up jobs replayed by the real
 * executor, run by a real BullMQ Worker, verified by reading Redis.
 */
describe('verifyBatch', () => {
  let redis: Redis;
  let scope: ReplayScope;
  let backend: BullmqBackend;
  let worker: Worker | undefined;
  let workerRedis: Redis | undefined;

  beforeAll(() => {
    redis = testRedis();
  });
  beforeEach(() => {
    scope = freshReplayScope(redis);
    backend = new BullmqBackend({ connection: redis, prefix: scope.prefix, logger: silentLogger });
  });
  afterEach(async () => {
    // Forced: one test leaves a job running forever on purpose.
    await worker?.close(true);
    await workerRedis?.quit();
    worker = undefined;
    workerRedis = undefined;
    await backend.close();
    await cleanReplayScope(redis, scope);
  });
  afterAll(() => redis.quit());

  /** Seeds given-up jobs, replays them, and starts a worker that runs `process` on each. */
  async function replayedWith(count: number, process: (job: Job) => Promise<unknown>) {
    const ids = await seedGivenUp({
      url: testRedisUrl(),
      prefix: scope.prefix,
      queue: QUEUE,
      count,
      attempts: 1,
    });
    const batch = await batchOf(redis, scope.prefix, QUEUE, ids);
    await executeBatch({ batch, connection: redis, journal: scope.journal, logger: silentLogger });
    workerRedis = workerConnection(testRedisUrl());
    worker = new Worker(QUEUE, process, { connection: workerRedis, prefix: scope.prefix });
    worker.on('error', () => undefined);
    return { ids, batchId: batch.id };
  }

  function deps(overrides: Partial<VerifyDeps> = {}): VerifyDeps {
    return {
      redis,
      queuePrefix: scope.prefix,
      backend,
      journal: scope.journal,
      downstream: (_workflow, jobs) => downstreamPasses(jobs),
      signoz: signoz(0.01),
      store: new RedisVerificationStore(redis, scope.statePrefix),
      clock: systemClock,
      windowMs: 1_500,
      pollMs: 50,
      ...overrides,
    };
  }

  const request = (batchId: string) => ({
    batchId,
    workflow: 'webhooks' as const,
    queue: QUEUE,
    baseline: BASELINE,
  });
  const partOf = (parts: readonly VerificationPart[], name: VerificationPart['name']) =>
    parts.find((part) => part.name === name);

  it('verifies a batch whose jobs complete, whose queue drains and whose error rate is back, and unlocks the ladder', async () => {
    const { batchId } = await replayedWith(4, () => Promise.resolve({ status: 200 }));
    const d = deps();
    const result = await verifyBatch(d, request(batchId));

    expect(result.status).toBe('verified');
    expect(result.replayed).toBe(4);
    expect(partOf(result.parts, 'jobs')).toMatchObject({
      status: 'pass',
      summary: '4 of 4 replayed jobs completed',
    });
    expect(partOf(result.parts, 'drain')?.status).toBe('pass');
    expect(partOf(result.parts, 'downstream')?.status).toBe('pass');
    expect(partOf(result.parts, 'error-rate')?.summary).toContain('back to baseline');
    const verdict = await isBatchVerified({ verifications: d.store, journal: scope.journal }, batchId);
    expect(verdict).toMatchObject({ verified: true, replayed: 4 });
  });

  it('is not verified when replayed jobs fail again, naming the new reason, and keeps the ladder closed', async () => {
    const { ids, batchId } = await replayedWith(3, (job) =>
      job.id === undefined || job.id === ids[1]
        ? Promise.reject(new Error('HTTP 410 Gone'))
        : Promise.resolve('ok'),
    );
    const d = deps();
    const result = await verifyBatch(d, request(batchId));

    expect(result.status).toBe('not-verified');
    expect(partOf(result.parts, 'jobs')).toMatchObject({
      status: 'fail',
      summary: '2 of 3 replayed jobs completed; 1 failed again',
      details: [`job ${ids[1]} failed again: HTTP 410 Gone`],
    });
    expect(
      (await isBatchVerified({ verifications: d.store, journal: scope.journal }, batchId)).verified,
    ).toBe(false);
  });

  it('is not verified when the downstream effect is missing, or the error rate stays high', async () => {
    const { batchId } = await replayedWith(2, () => Promise.resolve('ok'));
    const missing = await verifyBatch(
      deps({
        downstream: () =>
          Promise.resolve({
            name: 'downstream',
            status: 'fail',
            summary: 'output object missing',
            details: [],
          }),
      }),
      request(batchId),
    );
    expect(missing.status).toBe('not-verified');
    const noisy = await verifyBatch(deps({ signoz: signoz(0.2) }), request(batchId));
    expect(noisy.status).toBe('not-verified');
    expect(partOf(noisy.parts, 'error-rate')).toMatchObject({
      status: 'fail',
      summary: 'error rate 20% now, baseline 1% at diagnosis: still above baseline',
    });
  });

  it('is inconclusive when the worker count is unknown: the drain part says so and never guesses', async () => {
    const { batchId } = await replayedWith(2, () => Promise.resolve('ok'));
    const blind = { readDepth: (q: string) => backend.readDepth(q), workers: () => Promise.resolve(null) };
    const result = await verifyBatch(deps({ backend: blind }), request(batchId));

    expect(result.status).toBe('inconclusive');
    expect(partOf(result.parts, 'drain')).toMatchObject({ status: 'unknown' });
    expect(partOf(result.parts, 'drain')?.summary).toContain('worker count unknown');
    expect(partOf(result.parts, 'jobs')?.status).toBe('pass');
  });

  it('stops watching at the window: unfinished jobs are unknown, and a queue that does not drain fails', async () => {
    const { batchId } = await replayedWith(2, () => new Promise(() => undefined));
    const result = await verifyBatch(deps({ windowMs: 300 }), request(batchId));
    expect(result.status).toBe('not-verified');
    expect(partOf(result.parts, 'drain')).toMatchObject({ status: 'fail' });
    expect(partOf(result.parts, 'drain')?.summary).toContain('depth 2 → 2');
    expect(partOf(result.parts, 'jobs')?.summary).toBe(
      '0 of 2 replayed jobs completed; the rest could not be followed to the end',
    );
    expect(result.finishedAt - result.startedAt).toBeLessThan(5_000);
  });

  it('skips the error rate when SigNoz is not configured, without blocking', async () => {
    const { batchId } = await replayedWith(1, () => Promise.resolve('ok'));
    const { signoz: _unused, ...withoutSignoz } = deps();
    const result = await verifyBatch(withoutSignoz, request(batchId));
    expect(partOf(result.parts, 'error-rate')?.status).toBe('skipped');
    expect(result.status).toBe('verified');
  });

  it('runs one watch per batch: a second at the same time is told so and stores nothing', async () => {
    const { batchId } = await replayedWith(1, () => Promise.resolve('ok'));
    const d = deps();
    const [first, second] = await Promise.all([
      verifyOrBusy(d, request(batchId)),
      verifyOrBusy(d, request(batchId)),
    ]);
    expect([first, second].filter((r) => r === 'already-running')).toHaveLength(1);
    expect(await d.store.running(batchId)).toBe(false);
  });

  it('never passes the jobs part while a journal entry is unreadable', async () => {
    const { batchId } = await replayedWith(2, () => Promise.resolve('ok'));
    await redis.hset(scope.journal.keys(batchId).entries, 'ghost', 'not json');
    const result = await verifyBatch(deps(), request(batchId));
    expect(partOf(result.parts, 'jobs')).toMatchObject({ status: 'unknown' });
    expect(partOf(result.parts, 'jobs')?.summary).toContain('1 journal entry is unreadable');
  });

  it('combines parts: any fail is not verified, else any unknown is inconclusive, skipped never blocks', () => {
    const p = (status: VerificationPart['status']): VerificationPart => ({
      name: 'jobs',
      status,
      summary: '',
      details: [],
    });
    expect(combine([p('pass'), p('skipped')])).toBe('verified');
    expect(combine([p('pass'), p('unknown')])).toBe('inconclusive');
    expect(combine([p('unknown'), p('fail')])).toBe('not-verified');
  });
});
