import { z } from 'zod';

/** Invariant 3: no configuration can make the first batch of a replay larger than this. */
export const FIRST_BATCH_HARD_MAX = 10;

/** `steps[0]` is the first batch's default size; each later step is how far a verified batch may grow. */
export const DEFAULT_LADDER_STEPS: readonly number[] = Object.freeze([5, 50, 250, 1000]);

/** For configuration: strictly increasing positive integers, the first within the canary limit. */
export const ladderStepsSchema = z
  .array(z.number().int().positive())
  .min(1)
  .refine((steps) => steps.every((step, i) => i === 0 || step > (steps[i - 1] ?? 0)), 'steps must increase')
  .refine(
    (steps) => (steps[0] ?? 0) <= FIRST_BATCH_HARD_MAX,
    `the first step is at most ${FIRST_BATCH_HARD_MAX}`,
  );

export interface LadderInput {
  /** 1 for the first batch of a replay session. */
  readonly batchNumber: number;
  /** Size of batch `batchNumber - 1`; required from the second batch on. */
  readonly previousSize?: number;
  readonly previousVerified: boolean;
  readonly steps?: readonly number[];
  /** The configured ceiling for any batch. */
  readonly max: number;
}

/** Which rule set the limit, so the message can say why and what unlocks more. */
export type LadderLimit = 'first-batch' | 'previous-unverified' | 'next-step' | 'last-step' | 'max';

export type LadderRefusal = 'invalid-input' | 'previous-size-missing';

export type LadderAllowance =
  | {
      readonly ok: true;
      /** The largest batch allowed now; any size from 1 up to it is fine. */
      readonly maxSize: number;
      /** What the planner proposes when the operator names no size. */
      readonly suggestedSize: number;
      readonly limitedBy: LadderLimit;
      readonly message: string;
    }
  | { readonly ok: false; readonly reason: LadderRefusal; readonly message: string };

const positiveInt = (n: number): boolean => Number.isInteger(n) && n > 0;

function invalid(message: string): LadderAllowance {
  return { ok: false, reason: 'invalid-input', message };
}

function allow(maxSize: number, suggestedSize: number, limitedBy: LadderLimit, message: string) {
  return { ok: true, maxSize, suggestedSize: Math.min(suggestedSize, maxSize), limitedBy, message } as const;
}

/**
 * The canary-first ladder (issue 4, item 3). Pure: the caller says whether the
 * previous batch was verified. Growth is measured from the previous batch's
 * size, not from the batch number, so a series of tiny batches never unlocks
 * a large one: after a verified batch of 7 the next may be 50, after 2 only 5.
 */
export function allowedBatchSize(input: LadderInput): LadderAllowance {
  const steps = input.steps ?? DEFAULT_LADDER_STEPS;
  const { batchNumber, previousSize, previousVerified, max } = input;
  if (!positiveInt(batchNumber)) {
    return invalid(`batch number must be a positive integer, not ${batchNumber}`);
  }
  if (!positiveInt(max)) return invalid(`the maximum batch size must be a positive integer, not ${max}`);
  if (!ladderStepsSchema.safeParse(steps).success) {
    return invalid(
      `ladder steps must be increasing positive integers starting at most at ${FIRST_BATCH_HARD_MAX}`,
    );
  }
  const firstStep = steps[0] ?? FIRST_BATCH_HARD_MAX;

  if (batchNumber === 1) {
    const cap = Math.min(FIRST_BATCH_HARD_MAX, max);
    return allow(
      cap,
      firstStep,
      cap < FIRST_BATCH_HARD_MAX ? 'max' : 'first-batch',
      `The first batch of a replay is at most ${cap} jobs.`,
    );
  }

  if (previousSize === undefined) {
    return {
      ok: false,
      reason: 'previous-size-missing',
      message: `Batch ${batchNumber} needs the size of batch ${batchNumber - 1}.`,
    };
  }
  if (!positiveInt(previousSize)) {
    return invalid(`previous batch size must be a positive integer, not ${previousSize}`);
  }

  if (!previousVerified) {
    // No growth before verification, but repeating or shrinking stays allowed:
    // the operator can always choose a smaller batch.
    const cap = Math.min(previousSize, max);
    return allow(
      cap,
      cap,
      cap < previousSize ? 'max' : 'previous-unverified',
      `Batch ${batchNumber - 1} (${previousSize} jobs) is not verified yet: batch ${batchNumber} may not be larger.`,
    );
  }

  const next = steps.find((step) => step > previousSize);
  const target = next ?? previousSize;
  if (max < target) {
    return allow(max, max, 'max', `Batches are at most ${max} jobs.`);
  }
  return next === undefined
    ? allow(
        target,
        target,
        'last-step',
        `Batch ${batchNumber} may be as large as the previous one (${target}).`,
      )
    : allow(
        target,
        target,
        'next-step',
        `Batch ${batchNumber - 1} was verified: batch ${batchNumber} may grow to ${target}.`,
      );
}

export type BatchSizeCheck =
  | { readonly ok: true; readonly size: number }
  | {
      readonly ok: false;
      readonly reason: LadderRefusal | 'not-a-positive-integer' | 'too-large';
      readonly message: string;
      readonly maxSize?: number;
    };

/** The operator's `--batch N` against the ladder; without N, the ladder's suggestion. */
export function checkBatchSize(requested: number | undefined, input: LadderInput): BatchSizeCheck {
  const allowance = allowedBatchSize(input);
  if (!allowance.ok) return allowance;
  if (requested === undefined) return { ok: true, size: allowance.suggestedSize };
  if (!positiveInt(requested)) {
    return {
      ok: false,
      reason: 'not-a-positive-integer',
      message: `A batch is 1 or more jobs, not ${requested}.`,
    };
  }
  if (requested > allowance.maxSize) {
    return {
      ok: false,
      reason: 'too-large',
      maxSize: allowance.maxSize,
      message: `${allowance.message} Asked for ${requested}; choose ${allowance.maxSize} or fewer.`,
    };
  }
  return { ok: true, size: requested };
}
