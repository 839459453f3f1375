import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { payloadSha256 } from '../../../src/approvals/batch-manifest';
import type { CheckResult, TargetChecker } from '../../../src/checks/types';
import {
  planEnqueue,
  MAX_ENQUEUE_IDS,
  type EnqueuePlan,
  type EnqueuePlanDeps,
} from '../../../src/runbook/plan/enqueue-plan';
import { redisJobExistence } from '../../../src/runbook/plan/job-existence';
import { buildWorkflows, workflowOverridesSchema } from '../../../src/workflows';
import { eventually } from '../../helpers/eventually';
import { workerConnection } from '../replay/helpers';
import {
  deleteKeysWithPrefix,
  dumpKeysWithPrefix,
  randomPrefix,
  testRedis,
  testRedisUrl,
} from '../../helpers/redis';

const RECORDINGS = 'recording-postprocess';

/** Fails or cannot tell by the recording id in the source key; records what it was asked. */
class FakeChecker implements Pick<TargetChecker, 'check'> {
  readonly asked: unknown[] = [];
  check(_workflow: string, payload: unknown): Promise<CheckResult> {
    this.asked.push(payload);
    const text = JSON.stringify(payload);
    if (text.includes('/gone-'))
      return Promise.resolve({ check: 'target-exists', status: 'fail', reason: 'HeadObject 404' });
    if (text.includes('/slow-'))
      return Promise.resolve({ check: 'target-exists', status: 'unknown', reason: 'S3 timed out' });
    if (text.includes('/boom-')) return Promise.reject(new Error('checker bug'));
    return Promise.resolve({ check: 'target-exists', status: 'pass', reason: 'source object exists' });
  }
}

function planned(plan: EnqueuePlan): Extract<EnqueuePlan, { status: 'planned' }> {
  if (plan.status !== 'planned') throw new Error(`refused: ${plan.reason}`);
  return plan;
}

describe('planEnqueue', () => {
  let redis: Redis;
  let prefix: string;
  let queue: Queue;
  let targets: FakeChecker;
  let deps: EnqueuePlanDeps;
  const workflows = buildWorkflows(undefined);

  beforeAll(() => {
    redis = testRedis();
  });
  beforeEach(() => {
    prefix = randomPrefix('enqueue-plan');
    queue = new Queue(RECORDINGS, { connection: redis, prefix, skipMetasUpdate: true });
    queue.on('error', () => undefined);
    targets = new FakeChecker();
    deps = { workflows, targets, jobs: redisJobExistence(redis, prefix) };
  });
  afterEach(async () => {
    await queue.close();
    await deleteKeysWithPrefix(redis, prefix);
  });
  afterAll(async () => {
    await redis.quit();
  });

  it('builds each id into a deterministic job with its exact payload text and hash', async () => {
    const plan = planned(
      await planEnqueue(deps, { workflow: 'recordings', ids: ['rec-1', 'rec-2'], tenant: 'acme' }),
    );

    const data =
      '{"tenantId":"acme","conversationId":"rec-1","recordingId":"rec-1",' +
      '"sourceKey":"recordings/acme/rec-1/source.wav","outputKey":"recordings/acme/rec-1/final.mp3"}';
    expect(plan.eligible[0]).toEqual({
      id: 'stuckjobs-recordings-rec-1',
      sourceId: 'rec-1',
      payloadSha256: payloadSha256(data),
      enqueue: { name: 'transmux-recording', data },
      payload: JSON.parse(data) as unknown,
    });
    expect(plan.eligible.map((e) => e.id)).toEqual([
      'stuckjobs-recordings-rec-1',
      'stuckjobs-recordings-rec-2',
    ]);
    expect(plan).toMatchObject({
      excluded: [],
      queue: RECORDINGS,
      jobName: 'transmux-recording',
      idLabel: 'recording id',
    });
    // Planning twice gives the same bytes: the manifest hash an approver binds to is reproducible.
    const again = planned(
      await planEnqueue(deps, { workflow: 'recordings', ids: ['rec-1', 'rec-2'], tenant: 'acme' }),
    );
    expect(again.eligible).toEqual(plan.eligible);
    expect(targets.asked).toContainEqual(JSON.parse(data));
  });

  it('excludes invalid and repeated ids, keeping the operator order', async () => {
    const plan = planned(
      await planEnqueue(deps, {
        workflow: 'recordings',
        ids: ['rec-1', 'a:b', '..', 'rec-1', '12345', 'x/y'],
        tenant: 'acme',
      }),
    );
    expect(plan.eligible.map((e) => e.id)).toEqual([
      'stuckjobs-recordings-rec-1',
      'stuckjobs-recordings-12345',
    ]);
    expect(plan.excluded).toEqual([
      { id: 'a:b', reason: expect.stringContaining('not a valid id') as unknown },
      { id: '..', reason: expect.stringContaining('not a valid id') as unknown },
      { id: 'rec-1', reason: 'listed twice' },
      { id: 'x/y', reason: expect.stringContaining('not a valid id') as unknown },
    ]);
  });

  it('excludes an id already in the queue in any state as already enqueued, by plain reads only', async () => {
    // Earlier enqueues, run by a real Worker: one completed, one failed; then one delayed, one waiting.
    const connection = workerConnection(testRedisUrl());
    const worker = new Worker(
      RECORDINGS,
      (job: Job<{ ok: boolean }>) =>
        job.data.ok ? Promise.resolve('done') : Promise.reject(new Error('S3 500')),
      { connection, prefix },
    );
    worker.on('error', () => undefined);
    await queue.add('transmux-recording', { ok: true }, { jobId: 'stuckjobs-recordings-done' });
    await queue.add('transmux-recording', { ok: false }, { jobId: 'stuckjobs-recordings-failed' });
    await eventually(async () => {
      const counts = await queue.getJobCounts('completed', 'failed');
      return counts.completed === 1 && counts.failed === 1 ? true : undefined;
    });
    await worker.close();
    await connection.quit();
    await queue.add('transmux-recording', {}, { jobId: 'stuckjobs-recordings-later', delay: 3_600_000 });
    await queue.add('transmux-recording', {}, { jobId: 'stuckjobs-recordings-waiting' });
    expect(await queue.getJobState('stuckjobs-recordings-later')).toBe('delayed');
    const before = await dumpKeysWithPrefix(redis, prefix);

    const plan = planned(
      await planEnqueue(deps, {
        workflow: 'recordings',
        ids: ['done', 'new-1', 'waiting', 'failed', 'later'],
        tenant: 'acme',
      }),
    );

    expect(plan.eligible.map((e) => e.sourceId)).toEqual(['new-1']);
    expect(plan.excluded).toEqual(
      ['done', 'waiting', 'failed', 'later'].map((id) => ({ id, reason: 'already enqueued' })),
    );
    // Taken ids are not worth a target check.
    expect(targets.asked).toHaveLength(1);
    expect(await dumpKeysWithPrefix(redis, prefix)).toEqual(before);
  });

  it('excludes ids whose target check fails, cannot tell, or throws', async () => {
    const plan = planned(
      await planEnqueue(deps, {
        workflow: 'recordings',
        ids: ['gone-1', 'ok-1', 'slow-1', 'boom-1'],
        tenant: 'acme',
      }),
    );
    expect(plan.eligible.map((e) => e.sourceId)).toEqual(['ok-1']);
    expect(plan.excluded).toEqual([
      { id: 'gone-1', reason: 'target check fail: HeadObject 404' },
      { id: 'slow-1', reason: 'target check unknown: S3 timed out' },
      { id: 'boom-1', reason: 'target check unknown: the check failed: checker bug' },
    ]);
  });

  it('checks each built payload against the workflow schema', async () => {
    const overrides = workflowOverridesSchema.parse({
      workflows: {
        billing: {
          enqueue: {
            jobName: 'close-billing-period',
            idLabel: 'customer id',
            template: {
              tenantId: '{tenant}',
              stripeCustomerId: '{id}',
              subscriptionId: 'sub_A1',
              period: '2025-06',
            },
          },
        },
      },
    });
    const plan = planned(
      await planEnqueue(
        { ...deps, workflows: buildWorkflows(overrides) },
        { workflow: 'billing', ids: ['cus_Abc1', 'not-a-customer'], tenant: 'acme' },
      ),
    );
    expect(plan.eligible.map((e) => e.id)).toEqual(['stuckjobs-billing-cus_Abc1']);
    expect(plan.excluded).toEqual([
      {
        id: 'not-a-customer',
        reason: 'payload not well-formed: stripeCustomerId: expected a Stripe customer id (cus_…)',
      },
    ]);
  });

  it.each<[string, Parameters<typeof planEnqueue>[1], string]>([
    [
      'a workflow without a template',
      { workflow: 'webhooks', ids: ['d-1'] },
      'webhooks jobs cannot be enqueued from an id',
    ],
    [
      'billing without an override',
      { workflow: 'billing', ids: ['x'] },
      'billing jobs cannot be enqueued from an id',
    ],
    ['a missing --tenant', { workflow: 'recordings', ids: ['rec-1'] }, '--tenant is required for recordings'],
    [
      'a blank --tenant',
      { workflow: 'recordings', ids: ['rec-1'], tenant: '  ' },
      '--tenant is required for recordings',
    ],
    [
      'a --tenant with a slash',
      { workflow: 'recordings', ids: ['rec-1'], tenant: 'a/b' },
      'not a valid --tenant',
    ],
    ['no ids', { workflow: 'recordings', ids: [], tenant: 'acme' }, 'no recording ids given'],
    [
      'too many ids',
      {
        workflow: 'recordings',
        ids: Array.from({ length: MAX_ENQUEUE_IDS + 1 }, (_, i) => `r${i}`),
        tenant: 'acme',
      },
      `at most ${MAX_ENQUEUE_IDS} at once`,
    ],
  ])('refuses %s, reading nothing', async (_label, request, reason) => {
    const plan = await planEnqueue(
      { ...deps, jobs: { existing: () => Promise.reject(new Error('must not read')) } },
      request,
    );
    expect(plan).toEqual({ status: 'refused', reason: expect.stringContaining(reason) as unknown });
    expect(targets.asked).toEqual([]);
  });

  it('refuses when the template job name is no longer a handler', async () => {
    const overrides = workflowOverridesSchema.parse({
      workflows: { recordings: { handlers: ['refine-diarisation'] } },
    });
    const plan = await planEnqueue(
      { ...deps, workflows: buildWorkflows(overrides) },
      { workflow: 'recordings', ids: ['rec-1'], tenant: 'acme' },
    );
    expect(plan).toEqual({
      status: 'refused',
      reason: expect.stringContaining('transmux-recording is not a handler') as unknown,
    });
  });
});
