import { Job, Queue } from 'bullmq';
import { startPrivateRedis, type PrivateRedis } from '../../bench/lib/private-redis';
import { seedBacklog, UNRELATED_PREFIXES, type SeedBacklogResult } from '../../bench/lib/seed-backlog';
import { prefixOf } from '../../src/queues/census-prefix';
import { billingWorkflow } from '../../src/workflows/billing';
import { recordingsWorkflow } from '../../src/workflows/recordings';
import { statusFromFailureReason, webhooksWorkflow } from '../../src/workflows/webhooks';

const PREFIX = 'bull';
const WORKFLOWS = [webhooksWorkflow, recordingsWorkflow, billingWorkflow] as const;
const ATTEMPTS: Record<string, number> = { webhooks: 5, recordings: 3, billing: 3 };

describe('seedBacklog on a private Redis', () => {
  let redis: PrivateRedis;
  let seeded: SeedBacklogResult;
  const now = Date.now();
  const queues: Queue[] = [];

  const openQueue = (name: string): Queue => {
    const queue = new Queue(name, { connection: redis.client, prefix: PREFIX, skipMetasUpdate: true });
    queue.on('error', () => undefined);
    queues.push(queue);
    return queue;
  };

  beforeAll(async () => {
    redis = await startPrivateRedis();
    seeded = await seedBacklog(redis.client, {
      queuePrefix: PREFIX,
      jobs: 300,
      unrelatedKeys: 1_000,
      webhookUrl: 'http://127.0.0.1:9/hooks',
      now,
      chunk: 64,
    });
  });
  afterAll(async () => {
    await Promise.all(queues.map((q) => q.close()));
    await redis?.stop();
  });

  it('splits the jobs 50/25/25 over the three queues', () => {
    expect(seeded.perQueue).toEqual({
      'webhook-delivery': 150,
      'recording-postprocess': 75,
      'billing-housekeeping': 75,
    });
    expect(seeded.jobsPerSecond).toBeGreaterThan(0);
    expect(seeded.ms).toBeGreaterThanOrEqual(0);
  });

  it("reports the true keys per census prefix, matching DBSIZE and a full SCAN's grouping", async () => {
    expect(seeded.totalKeys).toBe(300 + 3 * 3 + 1_000);
    expect(await redis.client.dbsize()).toBe(seeded.totalKeys);
    const counted: Record<string, number> = {};
    let cursor = '0';
    do {
      const [next, keys] = await redis.client.scan(cursor, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) counted[prefixOf(key)] = (counted[prefixOf(key)] ?? 0) + 1;
    } while (cursor !== '0');
    expect(counted).toEqual(seeded.keysByPrefix);
    expect(UNRELATED_PREFIXES.map((p) => seeded.keysByPrefix[p.prefix])).toEqual([
      350, 250, 200, 100, 60, 25, 9, 4, 2,
    ]);
    expect(await redis.client.type('sess:1')).toBe('hash');
    expect(await redis.client.type('cache:page:1')).toBe('string');
  });

  it.each(WORKFLOWS.map((w) => [w.id, w] as const))(
    "%s: BullMQ's getters see given-up jobs whose payloads pass the workflow's schema",
    async (_id, workflow) => {
      const queue = openQueue(workflow.queue);
      const total = seeded.perQueue[workflow.queue]!;
      expect(await queue.getJobCounts('failed', 'waiting', 'delayed', 'active', 'completed')).toEqual({
        failed: total,
        waiting: 0,
        delayed: 0,
        active: 0,
        completed: 0,
      });
      const failed = await queue.getFailed(0, -1);
      expect(failed).toHaveLength(total);
      const attempts = ATTEMPTS[workflow.id]!;
      for (const job of failed) {
        expect(workflow.handlers).toContain(job.name);
        expect(workflow.payloadSchema.safeParse(job.data).success).toBe(true);
        expect(job.attemptsMade).toBe(attempts);
        expect(job.attemptsStarted).toBe(attempts);
        expect(job.opts.attempts).toBe(attempts);
        expect(job.failedReason).toEqual(expect.any(String));
        expect(job.stacktrace).toHaveLength(attempts);
        expect(job.finishedOn).toBeGreaterThan(now - 3_600_001);
        expect(job.finishedOn).toBeLessThanOrEqual(now);
        expect(job.processedOn).toBeLessThan(job.finishedOn!);
        expect(job.timestamp).toBeLessThan(job.processedOn!);
        expect(await job.getState()).toBe('failed');
      }
      // Newest first, as the failed zset is scored by finishedOn.
      const finished = failed.map((job) => job.finishedOn!);
      expect(finished).toEqual([...finished].sort((a, b) => b - a));
      // finishedOn is spread over the hour, not bunched.
      expect(Math.max(...finished) - Math.min(...finished)).toBeGreaterThan(30 * 60_000);
      expect(new Set(failed.map((job) => job.name)).size).toBe(workflow.handlers.length);
    },
  );

  it('webhook failures read like real ones: HTTP status from the URL the payload names', async () => {
    const queue = openQueue(webhooksWorkflow.queue);
    const job = await Job.fromId(queue, '1');
    expect(job).toBeDefined();
    const data = webhooksWorkflow.payloadSchema.parse(job!.data);
    expect(data.url.startsWith('http://127.0.0.1:9/hooks/')).toBe(true);
    expect(job!.failedReason).toBe(`HTTP ${statusFromFailureReason(job!.failedReason)} from ${data.url}`);
    expect(job!.attemptsMade).toBe(5);
    expect([502, 503, 504]).toContain(statusFromFailureReason(job!.failedReason));
    const raw = await redis.client.hgetall(`${PREFIX}:${webhooksWorkflow.queue}:1`);
    expect(Object.keys(raw).sort()).toEqual(
      [
        'name',
        'data',
        'opts',
        'timestamp',
        'delay',
        'priority',
        'processedOn',
        'ats',
        'atm',
        'failedReason',
        'stacktrace',
        'finishedOn',
      ].sort(),
    );
    // What a Node producer writes: JSON.stringify, no `\/` escapes.
    expect(raw['data']).toBe(JSON.stringify(job!.data));
  });

  it('sets the id counter and meta, so a later add() gets a fresh id and the version reads back', async () => {
    const queue = openQueue(billingWorkflow.queue);
    expect(await queue.getVersion()).toMatch(/^bullmq:6\./);
    const added = await queue.add('sync-subscription-usage', {
      tenantId: 't',
      stripeCustomerId: 'cus_x',
      subscriptionId: 'sub_x',
      period: '2026-01',
    });
    expect(added.id).toBe('76');
    const firstJob = await Job.fromId(queue, '1');
    expect(firstJob?.failedReason).toEqual(expect.any(String));
    expect(await queue.getJobCounts('failed', 'waiting')).toEqual({ failed: 75, waiting: 1 });
  });

  it('seeds a second backlog after the first without overwriting a job', async () => {
    const more = await seedBacklog(redis.client, { queuePrefix: PREFIX, jobs: 4, now });
    expect(more.perQueue['webhook-delivery']).toBe(2);
    const queue = openQueue(webhooksWorkflow.queue);
    expect(await queue.getJobCounts('failed')).toEqual({ failed: 152 });
    expect(await Job.fromId(queue, '152')).toBeDefined();
  });
});

describe('startPrivateRedis', () => {
  it('starts on a free loopback port without persistence, and stop() is idempotent', async () => {
    const redis = await startPrivateRedis({ maxmemory: '64mb' });
    try {
      expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
      expect(redis.port).not.toBe(6379);
      expect(await redis.client.config('GET', 'save')).toEqual(['save', '']);
      expect(await redis.client.config('GET', 'appendonly')).toEqual(['appendonly', 'no']);
      expect(await redis.client.config('GET', 'maxmemory')).toEqual(['maxmemory', String(64 * 1024 * 1024)]);
    } finally {
      await redis.stop();
      await redis.stop();
    }
    expect(redis.client.status).toBe('end');
  });
});
