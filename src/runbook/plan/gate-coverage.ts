import type { GateBlock } from '../../approvals/replay-gate';
import type { Cohort } from '../inspect/types';

/** What a replay asks for: a cohort, minus any cohorts the operator left out on purpose. */
export interface ReplayScope {
  readonly cohort: Cohort;
  readonly exclude?: readonly Cohort[];
}

function isUnfiltered(cohort: Cohort): boolean {
  return cohort.handler === undefined && cohort.tenant === undefined && cohort.reason === undefined;
}

/**
 * Could one job belong to both cohorts? Handler and tenant are equality filters,
 * so two different values rule each other out. Reason is a substring match: one
 * failure reason can contain both substrings, so reasons never rule anything out.
 * When in doubt the answer is "yes": a wrong yes refuses a replay, a wrong no
 * would let a blocked job through.
 */
export function cohortsOverlap(a: Cohort, b: Cohort): boolean {
  if (a.handler !== undefined && b.handler !== undefined && a.handler !== b.handler) return false;
  if (a.tenant !== undefined && b.tenant !== undefined && a.tenant !== b.tenant) return false;
  return true;
}

/**
 * The same filters with the same values. Reasons compare case-insensitively
 * because `matches()` does: `Timeout` and `timeout` select the same jobs.
 */
export function sameCohort(a: Cohort, b: Cohort): boolean {
  return (
    a.handler === b.handler &&
    a.tenant === b.tenant &&
    (a.reason === undefined) === (b.reason === undefined) &&
    (a.reason ?? '').toLowerCase() === (b.reason ?? '').toLowerCase()
  );
}

/**
 * The standing gate blocks that stop a replay of `request` (runbook step 2,
 * "stop and ask before replay"). The rule:
 *
 * 1. An unfiltered block (`*`, cohort `{}`) stops every replay of its workflow.
 *    It cannot be excluded, only fixed: the failed sample covered the whole
 *    workflow, so no cohort of it is known to be clean. An unreadable block
 *    record comes back with cohort `{}` and so also stops everything.
 * 2. A block on cohort C stops the replay when the replay's cohort overlaps C
 *    (see `cohortsOverlap`): block tenant=a stops replays `{}`, `{tenant:a}`,
 *    `{handler:h}` and `{reason:r}` (each may include tenant a's jobs), but not
 *    `{tenant:b}`.
 * 3. ...unless the replay excludes exactly C (`sameCohort` with an entry of
 *    `exclude`): then none of C's jobs can be in it. Only an exact match lifts
 *    a block, so what the approver reads ("excluding tenant=a") names the block.
 *
 * Blocks of every state count (a payload that failed its checks while delayed
 * is as broken once it has failed), so the caller passes all the workflow's blocks.
 */
export function blockingFor(blocks: readonly GateBlock[], request: ReplayScope): GateBlock[] {
  const exclude = request.exclude ?? [];
  return blocks.filter((block) => {
    if (isUnfiltered(block.cohort)) return true;
    if (!cohortsOverlap(block.cohort, request.cohort)) return false;
    return !exclude.some((excluded) => sameCohort(excluded, block.cohort));
  });
}
