import type { GateBlock } from '../../../src/approvals/replay-gate';
import { cohortKey } from '../../../src/approvals/replay-gate';
import type { Cohort } from '../../../src/runbook/inspect/types';
import { blockingFor, cohortsOverlap, sameCohort } from '../../../src/runbook/plan/gate-coverage';

function block(cohort: Cohort, state = 'failed'): GateBlock {
  return {
    workflow: 'webhooks',
    state,
    cohortKey: cohortKey(cohort),
    cohort: { ...cohort },
    sampleId: 's-1',
    at: 1,
    by: 'U1',
    failures: [{ jobId: '1', check: 'target-exists', reason: 'gone' }],
  };
}

const keys = (blocks: readonly GateBlock[]) => blocks.map((b) => b.cohortKey);

describe('blockingFor', () => {
  const A: Cohort = { tenant: 'a' };
  const H: Cohort = { handler: 'h' };
  const R: Cohort = { reason: 'timeout' };
  const AH: Cohort = { tenant: 'a', handler: 'h' };

  // [block cohort, replay cohort, exclude, blocks?]
  const table: [string, Cohort, Cohort, Cohort[], boolean][] = [
    ['* stops an unfiltered replay', {}, {}, [], true],
    ['* stops a tenant replay', {}, { tenant: 'b' }, [], true],
    ['* stops a handler+tenant+reason replay', {}, { tenant: 'b', handler: 'x', reason: 'y' }, [], true],
    ['* cannot be excluded, not even by excluding {}', {}, {}, [{}], true],
    ['* cannot be excluded by excluding another cohort', {}, {}, [A], true],
    ['tenant=a stops replay {}', A, {}, [], true],
    ['tenant=a stops replay tenant=a', A, A, [], true],
    ['tenant=a stops replay handler=h (may hold tenant a)', A, H, [], true],
    ['tenant=a stops replay reason=timeout', A, R, [], true],
    ['tenant=a stops replay tenant=a&handler=h', A, AH, [], true],
    ['tenant=a does not stop replay tenant=b', A, { tenant: 'b' }, [], false],
    ['tenant=a does not stop replay tenant=b&handler=h', A, { tenant: 'b', handler: 'h' }, [], false],
    ['tenant=a lifted by excluding tenant=a', A, {}, [A], false],
    ['tenant=a lifted from handler=h replay by excluding tenant=a', A, H, [A], false],
    ['tenant=a not lifted by excluding tenant=b', A, {}, [{ tenant: 'b' }], true],
    ['tenant=a not lifted by excluding tenant=a&handler=h (narrower)', A, {}, [AH], true],
    ['tenant=a not lifted by excluding {} (not an exact match)', A, {}, [{}], true],
    ['handler=h stops replay {}', H, {}, [], true],
    ['handler=h does not stop replay handler=g', H, { handler: 'g' }, [], false],
    ['handler=h stops replay tenant=a', H, A, [], true],
    ['tenant=a&handler=h stops replay tenant=a', AH, A, [], true],
    ['tenant=a&handler=h stops replay handler=h', AH, H, [], true],
    ['tenant=a&handler=h does not stop replay handler=g', AH, { handler: 'g' }, [], false],
    ['tenant=a&handler=h does not stop replay tenant=b', AH, { tenant: 'b' }, [], false],
    ['tenant=a&handler=h not lifted by excluding tenant=a only', AH, {}, [A], true],
    ['tenant=a&handler=h lifted by excluding it exactly', AH, {}, [{ handler: 'h', tenant: 'a' }], false],
    [
      'reason=timeout stops replay reason=refused (one reason may hold both)',
      R,
      { reason: 'refused' },
      [],
      true,
    ],
    ['reason=timeout stops replay tenant=b', R, { tenant: 'b' }, [], true],
    [
      'reason=timeout lifted by excluding reason=TIMEOUT (matching is case-insensitive)',
      R,
      {},
      [{ reason: 'TIMEOUT' }],
      false,
    ],
    ['reason=timeout not lifted by excluding reason=time', R, {}, [{ reason: 'time' }], true],
    [
      'tenant=a&reason=timeout does not stop replay tenant=b',
      { tenant: 'a', reason: 'timeout' },
      { tenant: 'b' },
      [],
      false,
    ],
  ];

  it.each(table)('%s', (_name, blocked, cohort, exclude, expected) => {
    expect(blockingFor([block(blocked)], { cohort, exclude })).toHaveLength(expected ? 1 : 0);
  });

  it('keeps only the blocks that apply, in order, and treats a missing exclude as none', () => {
    const blocks = [block(A), block({ tenant: 'b' }), block(H), block({ handler: 'g' })];
    expect(keys(blockingFor(blocks, { cohort: { tenant: 'b', handler: 'h' } }))).toEqual([
      'tenant=b',
      'handler=h',
    ]);
    expect(keys(blockingFor(blocks, { cohort: {} }))).toEqual([
      'tenant=a',
      'tenant=b',
      'handler=h',
      'handler=g',
    ]);
    expect(blockingFor([], { cohort: {} })).toEqual([]);
  });

  it('counts blocks recorded from any state', () => {
    expect(blockingFor([block(A, 'delayed'), block(A, 'waiting')], { cohort: A })).toHaveLength(2);
  });

  it('an unreadable block record (cohort {}, a filtered key) stops everything and cannot be excluded', () => {
    const unreadable: GateBlock = { ...block({}), cohortKey: 'tenant=a', sampleId: '(unreadable)' };
    expect(blockingFor([unreadable], { cohort: { tenant: 'b' }, exclude: [A] })).toEqual([unreadable]);
  });
});

describe('cohortsOverlap / sameCohort', () => {
  it('is symmetric', () => {
    const cohorts: Cohort[] = [{}, { tenant: 'a' }, { tenant: 'b' }, { handler: 'h' }, { reason: 'x' }];
    for (const a of cohorts)
      for (const b of cohorts) {
        expect(cohortsOverlap(a, b)).toBe(cohortsOverlap(b, a));
        expect(sameCohort(a, b)).toBe(sameCohort(b, a));
      }
  });

  it('tells a missing filter from an empty one', () => {
    expect(sameCohort({}, { reason: '' })).toBe(false);
    expect(sameCohort({ tenant: 'a' }, { tenant: 'a', handler: 'h' })).toBe(false);
  });
});
