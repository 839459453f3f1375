import type { RedactionCounter } from './types';

/** What every masker writes in place of hidden text. */
export const MASK = '***';

/** Counts only real changes, so masking already-masked text twice reports nothing new. */
export function countIf(counter: RedactionCounter | undefined, changed: boolean): void {
  if (counter && changed) counter.count += 1;
}
