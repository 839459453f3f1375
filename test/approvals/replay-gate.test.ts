import type { Redis } from 'ioredis';
import { cohortKey, nextBlock, RedisReplayGate, type GateBlock } from '../../src/approvals/replay-gate';
import { silentLogger } from '../../src/logger';
import type { CheckFailure, SampleOutcome } from '../../src/runbook/inspect/types';
import { deleteKeysWithPrefix, randomPrefix, testRedis } from '../helpers/redis';

const scope = { teamId: 'T1', channelId: 'C1' };
const fail = (jobId: string): CheckFailure => ({ jobId, check: 'well-formed', reason: 'url: Invalid URL' });
const none = new Set<string>();

function outcome(overrides: {
  failures?: CheckFailure[];
  cohort?: SampleOutcome['request']['cohort'];
  state?: SampleOutcome['request']['state'];
  takenAt?: number;
  id?: string;
}): SampleOutcome {
  return {
    id: overrides.id ?? 's-1',
    request: {
      workflowId: 'webhooks',
      state: overrides.state ?? 'failed',
      count: 3,
      cohort: overrides.cohort ?? {},
    },
    takenAt: overrides.takenAt ?? 1000,
    platformVersion: 'v0.9.11',
    window: { read: 1, stateCount: 1, matched: 1, capped: false },
    jobs: [],
    cohorts: {
      givenUpInWindow: 1,
      windowSize: 1000,
      capped: false,
      byHandler: [],
      byTenant: [],
      byReason: [],
      byHost: [],
    },
    failures: overrides.failures ?? [],
    warnings: [],
  };
}

describe('nextBlock', () => {
  const standing = nextBlock(undefined, outcome({ failures: [fail('7'), fail('8')] }), 'U1', none)!;

  it('blocks on failures, and keys the cohort by its filters in a fixed order', () => {
    expect(standing).toMatchObject({
      workflow: 'webhooks',
      state: 'failed',
      cohortKey: '*',
      by: 'U1',
      at: 1000,
    });
    expect(cohortKey({ reason: 'HTTP 5', tenant: 't1', handler: 'h' })).toBe(
      'handler=h&tenant=t1&reason=HTTP 5',
    );
  });

  it('lifts a failure only when its job was resolved, and the block only when none is left', () => {
    const later = outcome({ takenAt: 2000, id: 's-2' });
    expect(nextBlock(standing, later, 'U2', none)?.failures).toHaveLength(2);
    expect(nextBlock(standing, later, 'U2', new Set(['7']))?.failures).toEqual([fail('8')]);
    expect(nextBlock(standing, later, 'U2', new Set(['7', '8']))).toBeUndefined();
  });

  it('never lets an older sample lift what a newer one found', () => {
    const older = outcome({ takenAt: 500, id: 's-0' });
    expect(nextBlock(standing, older, 'U2', new Set(['7', '8']))?.failures).toHaveLength(2);
  });

  it('replaces what it knew of a job with what this sample found, and keeps the rest', () => {
    const refound = nextBlock(
      standing,
      outcome({ takenAt: 3000, id: 's-3', failures: [{ ...fail('7'), reason: 'HEAD 410' }] }),
      'U3',
      none,
    )!;
    expect(refound.failures).toEqual([fail('8'), { ...fail('7'), reason: 'HEAD 410' }]);
    expect(refound).toMatchObject({ sampleId: 's-3', by: 'U3', at: 3000 });
  });
});

describe('RedisReplayGate', () => {
  let redis: Redis;
  let gate: RedisReplayGate;
  const prefix = randomPrefix('gate');
  beforeAll(() => {
    redis = testRedis();
    gate = new RedisReplayGate(redis, prefix, silentLogger);
  });
  afterEach(() => deleteKeysWithPrefix(redis, prefix));
  afterAll(() => redis.quit());

  it('records blocks per workflow, state and cohort, without expiry', async () => {
    await gate.record(scope, outcome({ failures: [fail('7')], cohort: { tenant: 't1' } }), 'U1', none);
    const blocks: readonly GateBlock[] = await gate.blocks(scope, 'webhooks');
    expect(blocks).toEqual([
      {
        workflow: 'webhooks',
        state: 'failed',
        cohortKey: 'tenant=t1',
        cohort: { tenant: 't1' },
        sampleId: 's-1',
        at: 1000,
        by: 'U1',
        failures: [fail('7')],
      },
    ]);
    expect(await gate.blocks(scope, 'billing')).toEqual([]);
    expect(await gate.blocks({ ...scope, channelId: 'C2' }, 'webhooks')).toEqual([]);
    // A block that timed out would let a replay through unseen.
    expect(await redis.ttl(`${prefix}:gate:T1:C1`)).toBe(-1);
  });

  it('does not let a clean sample of another state lift a block', async () => {
    await gate.record(scope, outcome({ failures: [fail('7')] }), 'U1', none);
    await gate.record(scope, outcome({ state: 'delayed', takenAt: 2000 }), 'U2', new Set(['7']));
    expect(await gate.blocks(scope, 'webhooks')).toHaveLength(1);
    await gate.record(scope, outcome({ takenAt: 2000 }), 'U2', new Set(['7']));
    expect(await gate.blocks(scope, 'webhooks')).toEqual([]);
  });

  it('keeps every failure when samples of one cohort race', async () => {
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        gate.record(scope, outcome({ failures: [fail(`j${i}`)], takenAt: 1000 + i }), 'U1', none),
      ),
    );
    const [block] = await gate.blocks(scope, 'webhooks');
    expect(new Set(block?.failures.map((f) => f.jobId))).toEqual(
      new Set(Array.from({ length: 20 }, (_, i) => `j${i}`)),
    );
  });

  it('still blocks when a stored record cannot be read (never fails open)', async () => {
    await redis.hset(`${prefix}:gate:T1:C1`, 'webhooks|failed|*', '{not json');
    expect(await gate.blocks(scope, 'webhooks')).toEqual([
      expect.objectContaining({
        workflow: 'webhooks',
        state: 'failed',
        cohortKey: '*',
        sampleId: '(unreadable)',
      }),
    ]);
  });
});
