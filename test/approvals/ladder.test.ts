import {
  allowedBatchSize,
  checkBatchSize,
  DEFAULT_LADDER_STEPS,
  FIRST_BATCH_HARD_MAX,
  ladderStepsSchema,
  type LadderInput,
} from '../../src/approvals/ladder';

const MAX = 1000;

function maxSize(input: LadderInput): number | string {
  const allowance = allowedBatchSize(input);
  return allowance.ok ? allowance.maxSize : allowance.reason;
}

describe('allowedBatchSize: the first batch (invariant 3)', () => {
  it('is at most 10 and suggests 5 by default', () => {
    expect(allowedBatchSize({ batchNumber: 1, previousVerified: false, max: MAX })).toEqual(
      expect.objectContaining({ ok: true, maxSize: 10, suggestedSize: 5, limitedBy: 'first-batch' }),
    );
    expect(FIRST_BATCH_HARD_MAX).toBe(10);
    expect(DEFAULT_LADDER_STEPS).toEqual([5, 50, 250, 1000]);
  });

  it('ignores anything said about a previous batch', () => {
    expect(maxSize({ batchNumber: 1, previousSize: 500, previousVerified: true, max: MAX })).toBe(10);
  });

  it('takes its suggestion from the first step, its limit from the hard maximum', () => {
    const allowance = allowedBatchSize({ batchNumber: 1, previousVerified: true, steps: [3, 50], max: MAX });
    expect(allowance).toEqual(expect.objectContaining({ ok: true, maxSize: 10, suggestedSize: 3 }));
  });

  it('refuses steps that start above 10 rather than obey them', () => {
    expect(maxSize({ batchNumber: 1, previousVerified: false, steps: [25, 50], max: MAX })).toBe(
      'invalid-input',
    );
  });

  it('is capped by a configured maximum below 10, suggestion included', () => {
    expect(allowedBatchSize({ batchNumber: 1, previousVerified: false, max: 3 })).toEqual(
      expect.objectContaining({ ok: true, maxSize: 3, suggestedSize: 3, limitedBy: 'max' }),
    );
  });
});

describe('allowedBatchSize: growth', () => {
  it.each([
    // previous size -> the next step above it
    [1, 5],
    [4, 5],
    [5, 50],
    [7, 50],
    [10, 50],
    [49, 50],
    [50, 250],
    [249, 250],
    [250, 1000],
    [999, 1000],
  ])('after a verified batch of %i, the next may be %i', (previousSize, expected) => {
    const allowance = allowedBatchSize({ batchNumber: 2, previousSize, previousVerified: true, max: MAX });
    expect(allowance).toEqual(
      expect.objectContaining({
        ok: true,
        maxSize: expected,
        suggestedSize: expected,
        limitedBy: 'next-step',
      }),
    );
  });

  it('stops growing at the last step', () => {
    expect(
      allowedBatchSize({ batchNumber: 5, previousSize: 1000, previousVerified: true, max: 5000 }),
    ).toEqual(expect.objectContaining({ ok: true, maxSize: 1000, limitedBy: 'last-step' }));
  });

  it.each([1, 5, 7, 50, 250, 1000])(
    'never grows past an unverified batch of %i (but may repeat it)',
    (previousSize) => {
      const allowance = allowedBatchSize({ batchNumber: 2, previousSize, previousVerified: false, max: MAX });
      expect(allowance).toEqual(
        expect.objectContaining({ ok: true, maxSize: previousSize, limitedBy: 'previous-unverified' }),
      );
    },
  );

  it('never exceeds the configured maximum', () => {
    expect(allowedBatchSize({ batchNumber: 3, previousSize: 50, previousVerified: true, max: 100 })).toEqual(
      expect.objectContaining({ ok: true, maxSize: 100, suggestedSize: 100, limitedBy: 'max' }),
    );
    expect(maxSize({ batchNumber: 3, previousSize: 200, previousVerified: false, max: 100 })).toBe(100);
    expect(maxSize({ batchNumber: 9, previousSize: 1000, previousVerified: true, max: 20 })).toBe(20);
  });

  it('follows custom steps', () => {
    const steps = [2, 20, 40];
    expect(maxSize({ batchNumber: 1, previousVerified: false, steps, max: MAX })).toBe(10);
    expect(maxSize({ batchNumber: 2, previousSize: 2, previousVerified: true, steps, max: MAX })).toBe(20);
    expect(maxSize({ batchNumber: 3, previousSize: 20, previousVerified: true, steps, max: MAX })).toBe(40);
    expect(maxSize({ batchNumber: 4, previousSize: 40, previousVerified: true, steps, max: MAX })).toBe(40);
  });

  it('walks 5 -> 50 -> 250 -> 1000 when every batch is verified, and no faster', () => {
    const sizes: number[] = [];
    let previousSize: number | undefined;
    for (let batchNumber = 1; batchNumber <= 6; batchNumber++) {
      const allowance = allowedBatchSize({ batchNumber, previousSize, previousVerified: true, max: MAX });
      if (!allowance.ok) throw new Error(allowance.message);
      sizes.push(allowance.suggestedSize);
      previousSize = allowance.suggestedSize;
    }
    expect(sizes).toEqual([5, 50, 250, 1000, 1000, 1000]);
  });

  it('does not let many tiny batches unlock a large one', () => {
    // Growth counts from the previous size, not the batch number.
    expect(maxSize({ batchNumber: 4, previousSize: 1, previousVerified: true, max: MAX })).toBe(5);
  });
});

describe('allowedBatchSize: the invariants over a sweep of inputs', () => {
  it('never allows more than 10 first, more than max, or growth before verification', () => {
    let checked = 0;
    for (const max of [1, 3, 10, 60, 1000, 5000]) {
      for (let batchNumber = 1; batchNumber <= 4; batchNumber++) {
        for (const previousSize of [1, 2, 5, 9, 10, 11, 50, 51, 250, 999, 1000, 4000]) {
          for (const previousVerified of [false, true]) {
            const allowance = allowedBatchSize({ batchNumber, previousSize, previousVerified, max });
            if (!allowance.ok) throw new Error(allowance.message);
            expect(allowance.maxSize).toBeGreaterThanOrEqual(1);
            expect(allowance.maxSize).toBeLessThanOrEqual(max);
            expect(allowance.suggestedSize).toBeLessThanOrEqual(allowance.maxSize);
            if (batchNumber === 1) expect(allowance.maxSize).toBeLessThanOrEqual(FIRST_BATCH_HARD_MAX);
            else if (!previousVerified) expect(allowance.maxSize).toBeLessThanOrEqual(previousSize);
            checked++;
          }
        }
      }
    }
    expect(checked).toBe(6 * 4 * 12 * 2);
  });
});

describe('allowedBatchSize: refusals', () => {
  it('needs the previous size from the second batch on', () => {
    expect(maxSize({ batchNumber: 2, previousVerified: true, max: MAX })).toBe('previous-size-missing');
  });

  it.each<[string, LadderInput]>([
    ['batch number 0', { batchNumber: 0, previousVerified: false, max: MAX }],
    ['fractional batch number', { batchNumber: 1.5, previousVerified: false, max: MAX }],
    ['max 0', { batchNumber: 1, previousVerified: false, max: 0 }],
    ['NaN max', { batchNumber: 1, previousVerified: false, max: Number.NaN }],
    ['previous size 0', { batchNumber: 2, previousSize: 0, previousVerified: true, max: MAX }],
    ['negative previous size', { batchNumber: 2, previousSize: -5, previousVerified: true, max: MAX }],
    ['empty steps', { batchNumber: 1, previousVerified: false, steps: [], max: MAX }],
    ['decreasing steps', { batchNumber: 1, previousVerified: false, steps: [5, 50, 20], max: MAX }],
    ['repeated steps', { batchNumber: 1, previousVerified: false, steps: [5, 5], max: MAX }],
    ['zero step', { batchNumber: 1, previousVerified: false, steps: [0, 5], max: MAX }],
  ])('refuses %s', (_label, input) => {
    expect(maxSize(input)).toBe('invalid-input');
  });
});

describe('checkBatchSize', () => {
  const first: LadderInput = { batchNumber: 1, previousVerified: false, max: MAX };

  it('refuses a first batch over 10, naming the limit', () => {
    const check = checkBatchSize(11, first);
    expect(check).toEqual(expect.objectContaining({ ok: false, reason: 'too-large', maxSize: 10 }));
    expect(!check.ok && check.message).toContain('at most 10');
  });

  it('accepts any size from 1 to the limit: an operator can always go smaller', () => {
    for (let size = 1; size <= 10; size++) expect(checkBatchSize(size, first)).toEqual({ ok: true, size });
    const later: LadderInput = { batchNumber: 3, previousSize: 50, previousVerified: true, max: MAX };
    expect(checkBatchSize(1, later)).toEqual({ ok: true, size: 1 });
    expect(checkBatchSize(250, later)).toEqual({ ok: true, size: 250 });
    expect(checkBatchSize(251, later)).toEqual(expect.objectContaining({ ok: false, reason: 'too-large' }));
  });

  it('refuses a next batch larger than an unverified previous one, and allows it once verified', () => {
    const unverified: LadderInput = { batchNumber: 2, previousSize: 5, previousVerified: false, max: MAX };
    expect(checkBatchSize(6, unverified)).toEqual(
      expect.objectContaining({ ok: false, reason: 'too-large' }),
    );
    expect(checkBatchSize(5, unverified)).toEqual({ ok: true, size: 5 });
    expect(checkBatchSize(6, { ...unverified, previousVerified: true })).toEqual({ ok: true, size: 6 });
  });

  it('uses the suggestion when no size was asked for', () => {
    expect(checkBatchSize(undefined, first)).toEqual({ ok: true, size: 5 });
  });

  it.each([0, -1, 2.5, Number.NaN])('refuses a size of %p', (size) => {
    expect(checkBatchSize(size, first)).toEqual(
      expect.objectContaining({ ok: false, reason: 'not-a-positive-integer' }),
    );
  });

  it('passes a ladder refusal through', () => {
    expect(checkBatchSize(3, { batchNumber: 2, previousVerified: true, max: MAX })).toEqual(
      expect.objectContaining({ ok: false, reason: 'previous-size-missing' }),
    );
  });
});

describe('ladderStepsSchema', () => {
  it('accepts increasing steps starting at most at 10', () => {
    expect(ladderStepsSchema.safeParse([5, 50, 250, 1000]).success).toBe(true);
    expect(ladderStepsSchema.safeParse([10]).success).toBe(true);
  });

  it.each([[[]], [[11, 50]], [[5, 4]], [[5, 5]], [[5, 2.5]]])('refuses %j', (steps) => {
    expect(ladderStepsSchema.safeParse(steps).success).toBe(false);
  });
});
