import type { Redis } from 'ioredis';
import { cohortKey, RedisReplayGate } from '../../src/approvals/replay-gate';
import { silentLogger } from '../../src/logger';
import type { SampleOutcome } from '../../src/runbook/inspect/types';
import { deleteKeysWithPrefix, randomPrefix, testRedis } from '../helpers/redis';

const scope = { teamId: 'T1', channelId: 'C1' };

function outcome(
  overrides: Partial<SampleOutcome> & { cohort?: SampleOutcome['request']['cohort'] } = {},
): SampleOutcome {
  const { cohort = {}, ...rest } = overrides;
  return {
    id: 's-1',
    request: { workflowId: 'webhooks', state: 'failed', count: 3, cohort },
    takenAt: 1000,
    platformVersion: 'v0.9.11',
    window: { read: 1, stateCount: 1, matched: 1, capped: false },
    jobs: [
      {
        id: '1',
        handler: 'h',
        createdAt: 0,
        attemptsMade: 1,
        attemptsAllowed: 1,
        payload: { kind: 'json', text: '{}', redactions: 0 },
        checks: [],
      },
    ],
    cohorts: {
      givenUpInWindow: 1,
      windowSize: 1000,
      capped: false,
      byHandler: [],
      byTenant: [],
      byReason: [],
      byHost: [],
    },
    failures: [],
    warnings: [],
    ...rest,
  };
}

const failing = (cohort = {}) =>
  outcome({ cohort, failures: [{ jobId: '7', check: 'well-formed', reason: 'url: Invalid URL' }] });

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

  it('keys cohorts by their filters in a fixed order', () => {
    expect(cohortKey({})).toBe('*');
    expect(cohortKey({ reason: 'HTTP 5', tenant: 't1', handler: 'h' })).toBe(
      'handler=h&tenant=t1&reason=HTTP 5',
    );
  });

  it('blocks the sampled cohort on a failure, and only that workflow', async () => {
    const blocks = await gate.record(scope, failing({ tenant: 't1' }), 'U1');
    expect(blocks).toEqual([
      {
        workflow: 'webhooks',
        cohortKey: 'tenant=t1',
        cohort: { tenant: 't1' },
        sampleId: 's-1',
        at: 1000,
        by: 'U1',
        failures: [{ jobId: '7', check: 'well-formed', reason: 'url: Invalid URL' }],
      },
    ]);
    expect(await gate.blocks(scope, 'billing')).toEqual([]);
    expect(await gate.blocks({ ...scope, channelId: 'C2' }, 'webhooks')).toEqual([]);
    expect(await redis.ttl(`${prefix}:gate:T1:C1`)).toBeGreaterThan(0);
  });

  it('lifts a block only on a clean re-sample of the same cohort that showed jobs', async () => {
    await gate.record(scope, failing(), 'U1');
    await gate.record(scope, outcome({ cohort: { tenant: 't1' } }), 'U2');
    expect(await gate.blocks(scope, 'webhooks')).toHaveLength(1);
    await gate.record(scope, outcome({ jobs: [] }), 'U2');
    expect(await gate.blocks(scope, 'webhooks')).toHaveLength(1);
    await gate.record(scope, outcome(), 'U2');
    expect(await gate.blocks(scope, 'webhooks')).toEqual([]);
  });

  it('still blocks when a stored record cannot be read (never fails open)', async () => {
    await redis.hset(`${prefix}:gate:T1:C1`, 'webhooks|*', '{not json');
    expect(await gate.blocks(scope, 'webhooks')).toEqual([
      expect.objectContaining({ workflow: 'webhooks', cohortKey: '*', sampleId: '(unreadable)' }),
    ]);
  });
});
