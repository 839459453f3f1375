import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { runCensus, TYPES_TOTAL } from '../../src/queues/census';
import { looksLikeId, prefixOf } from '../../src/queues/census-prefix';
import type { Census, CensusPrefix } from '../../src/queues/types';
import { seedFailedFast } from '../helpers/bullmq-fixtures';
import { clientAddress, startCommandCounter } from '../helpers/command-counter';
import { deleteKeysWithPrefix, randomPrefix, testRedis, testRedisUrl } from '../helpers/redis';

const WORKFLOWS = [
  { id: 'webhooks', queue: 'webhook-delivery' },
  { id: 'billing', queue: 'billing-housekeeping' },
] as const;

describe('prefixOf', () => {
  it.each([
    ['bull:webhook-delivery:123', 'bull:webhook-delivery'],
    ['bull:webhook-delivery:failed', 'bull:webhook-delivery'],
    ['stuckjobs:session:abc', 'stuckjobs:session'],
    ['stuckjobs:session', 'stuckjobs:session'],
    ['session:12345:cart', 'session:*'],
    ['user:3f2b8c1e-4a5d-4e6f-8a9b-0c1d2e3f4a5b', 'user:*'],
    ['cache:9f86d081884c7d659a2feaa0c55ad015', 'cache:*'],
    ['job:01ARZ3NDEKTSV4RRFFQ69G5FAV', 'job:*'],
    ['cache:deadbeef', 'cache:deadbeef'],
    ['plainkey', 'plainkey'],
    ['42', '*'],
  ])('%s -> %s', (key, prefix) => {
    expect(prefixOf(key)).toBe(prefix);
  });

  it('treats digits, uuids, long hex and ULIDs as ids, and names as names', () => {
    expect(['7', '3f2b8c1e-4a5d-4e6f-8a9b-0c1d2e3f4a5b', 'a'.repeat(16)].every(looksLikeId)).toBe(true);
    expect(['webhook-delivery', 'session', 'abc123', 'cafe'].some(looksLikeId)).toBe(false);
  });
});

describe('runCensus', () => {
  let redis: Redis;
  let prefix: string;

  const find = (census: Census, p: string): CensusPrefix | undefined =>
    census.prefixes.find((x) => x.prefix === p);

  beforeAll(() => {
    redis = testRedis();
  });
  beforeEach(() => {
    prefix = randomPrefix();
  });
  afterEach(async () => {
    await deleteKeysWithPrefix(redis, prefix);
  });
  afterAll(async () => {
    await redis.quit();
  });

  it("a complete scan counts this test's keys by prefix, with their type and workflow", async () => {
    const pipeline = redis.pipeline();
    for (let i = 0; i < 40; i++) pipeline.hset(`${prefix}:orders:${i}`, 'n', i);
    for (let i = 0; i < 25; i++) pipeline.set(`${prefix}:${randomUUID()}`, 'x');
    pipeline.set(`${prefix}:mixed:a`, '1').rpush(`${prefix}:mixed:b`, '1');
    await pipeline.exec();
    await seedFailedFast({
      redis,
      prefix,
      queue: 'webhook-delivery',
      count: 10,
      name: 'n',
      dataFor: () => ({}),
      failedReason: 'x',
      attempts: 1,
    });

    const census = await runCensus(redis, {
      keyBudget: 10_000_000,
      timeBudgetMs: 30_000,
      count: 1000,
      queuePrefix: prefix,
      workflows: WORKFLOWS,
      maxPrefixes: 1_000_000,
    });

    expect(census.complete).toBe(true);
    expect(census.stoppedBy).toBeUndefined();
    expect(find(census, `${prefix}:orders`)).toEqual({
      prefix: `${prefix}:orders`,
      type: 'hash',
      keys: 40,
      workflows: [],
    });
    expect(find(census, `${prefix}:*`)).toEqual({
      prefix: `${prefix}:*`,
      type: 'string',
      keys: 25,
      workflows: [],
    });
    expect(find(census, `${prefix}:mixed`)).toMatchObject({ type: 'mixed', keys: 2 });
    // 10 job hashes, the failed zset and the id counter.
    expect(find(census, `${prefix}:webhook-delivery`)).toMatchObject({ keys: 12, workflows: ['webhooks'] });
    expect(find(census, `${prefix}:billing-housekeeping`)).toEqual({
      prefix: `${prefix}:billing-housekeeping`,
      type: 'none',
      keys: 0,
      workflows: ['billing'],
    });
    const keys = census.prefixes.map((p) => p.keys);
    expect(keys).toEqual([...keys].sort((a, b) => b - a));
  });

  it('caps the list at the largest prefixes but always keeps the workflow prefixes', async () => {
    await seedFailedFast({
      redis,
      prefix,
      queue: 'webhook-delivery',
      count: 3,
      name: 'n',
      dataFor: () => ({}),
      failedReason: 'x',
      attempts: 1,
    });
    const pipeline = redis.pipeline();
    for (let i = 0; i < 200; i++) pipeline.set(`${prefix}:big:${i}`, 'x');
    await pipeline.exec();
    const census = await runCensus(redis, {
      keyBudget: 10_000_000,
      timeBudgetMs: 30_000,
      queuePrefix: prefix,
      workflows: WORKFLOWS,
      maxPrefixes: 1,
    });
    expect(census.prefixes.length).toBeLessThanOrEqual(1 + WORKFLOWS.length);
    expect(find(census, `${prefix}:webhook-delivery`)?.keys).toBe(5);
    expect(find(census, `${prefix}:billing-housekeeping`)?.workflows).toEqual(['billing']);
  });

  it('highlights workflow queues under a queue prefix that itself contains a colon', async () => {
    const nested = `${prefix}:{delphi}`;
    await seedFailedFast({
      redis,
      prefix: nested,
      queue: 'webhook-delivery',
      count: 4,
      name: 'n',
      dataFor: () => ({}),
      failedReason: 'x',
      attempts: 1,
    });
    const census = await runCensus(redis, {
      keyBudget: 10_000_000,
      timeBudgetMs: 30_000,
      queuePrefix: nested,
      workflows: WORKFLOWS,
    });
    // 4 job hashes, the failed set and the id counter
    expect(find(census, `${nested}:webhook-delivery`)).toMatchObject({ keys: 6, workflows: ['webhooks'] });
  });

  it('stops at the key budget and extrapolates from DBSIZE', async () => {
    const pipeline = redis.pipeline();
    for (let i = 0; i < 600; i++) pipeline.set(`${prefix}:k${i % 30}:${i}`, 'x');
    await pipeline.exec();
    const census = await runCensus(redis, {
      keyBudget: 100,
      timeBudgetMs: 30_000,
      count: 20,
      queuePrefix: prefix,
      workflows: [],
      maxPrefixes: 1_000_000,
    });
    expect(census).toMatchObject({ complete: false, stoppedBy: 'keys' });
    expect(census.scannedKeys).toBeGreaterThanOrEqual(100);
    expect(census.scannedKeys).toBeLessThan(census.totalKeys);
    expect(census.totalKeys).toBeGreaterThanOrEqual(600);
    // Every scanned key is scaled by DBSIZE / scanned: the estimates add up to DBSIZE (± rounding).
    const sum = census.prefixes.reduce((total, p) => total + p.keys, 0);
    expect(Math.abs(sum - census.totalKeys)).toBeLessThanOrEqual(census.prefixes.length);
  });

  it('stops at the time budget', async () => {
    const pipeline = redis.pipeline();
    for (let i = 0; i < 300; i++) pipeline.set(`${prefix}:t:${i}`, 'x');
    await pipeline.exec();
    const census = await runCensus(redis, {
      keyBudget: 10_000_000,
      timeBudgetMs: 0,
      count: 10,
      queuePrefix: prefix,
      workflows: [],
    });
    expect(census).toMatchObject({ complete: false, stoppedBy: 'time' });
    expect(census.scannedKeys).toBeLessThan(census.totalKeys);
  });

  it('honours the time budget with the closing reads included, pausing between SCANs', async () => {
    const pipeline = redis.pipeline();
    for (let i = 0; i < 300; i++) pipeline.set(`${prefix}:paced:${i}`, 'x');
    await pipeline.exec();
    const started = performance.now();
    const census = await runCensus(redis, {
      keyBudget: 10_000_000,
      timeBudgetMs: 120,
      count: 10,
      pauseMs: 15,
      queuePrefix: prefix,
      workflows: [],
    });
    const wall = performance.now() - started;
    expect(census).toMatchObject({ complete: false, stoppedBy: 'time' });
    // Wall-clock bounds only tell "stopped on its budget" from "ran on" here (30 calls with
    // 15 ms pauses would take 450 ms): a loaded CI box stretches every round trip, so the
    // exact fit is measured by bench/census.bench.ts, not asserted.
    expect(wall).toBeLessThan(120 + 200);
    expect(census.elapsedMs).toBeLessThan(120 + 200);
    // 15 ms between calls: at most 120 / 15 + 1 SCANs of about 10 keys each.
    expect(census.scannedKeys).toBeLessThanOrEqual(9 * 20);
    expect(census.scannedKeys).toBeGreaterThan(0);
  });

  it(`asks TYPE at most ${TYPES_TOTAL} times however many prefixes there are, and never KEYS`, async () => {
    const pipeline = redis.pipeline();
    for (let i = 0; i < 150; i++) pipeline.set(`${prefix}-p${i}:a:1`, 'x').set(`${prefix}-p${i}:a:2`, 'x');
    await pipeline.exec();
    const censusRedis = testRedis();
    const counter = await startCommandCounter(testRedisUrl(), {
      sources: [await clientAddress(censusRedis)],
    });
    const census = await runCensus(censusRedis, {
      keyBudget: 10_000_000,
      timeBudgetMs: 30_000,
      count: 1000,
      queuePrefix: prefix,
      workflows: [],
      maxPrefixes: 1_000_000,
    });
    const names = (await counter.stop()).map((c) => c.name);
    await censusRedis.quit();
    expect(names.filter((n) => n === 'TYPE').length).toBeLessThanOrEqual(TYPES_TOTAL);
    expect(names).not.toContain('KEYS');
    expect(names).toContain('SCAN');
    const ours = census.prefixes.filter((p) => p.prefix.startsWith(`${prefix}-p`));
    expect(ours).toHaveLength(150);
    expect(ours.some((p) => p.type === 'unknown')).toBe(true);
  });
});
