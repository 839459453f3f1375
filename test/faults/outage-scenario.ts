import type { Redis } from 'ioredis';
import { BlockId } from '../../blocks/ids';
import { SANDBOX_IDS } from '../../src/sandbox';
import type { Harness } from '../e2e/harness';
import type { PlanAnswer, ReplayDriver } from '../e2e/replay-driver';
import { blockText, diagnosisAt, expectEveryJob } from './fault-kit';
import type { Fault, FaultProxy } from './fault-proxy';

/** Faults one upstream for a while, counting the requests of the bot's that met the fault. */
export class FaultWindow {
  /** Requests the bot sent that met a fault (faults injected elsewhere, e.g. by seeding, are not counted). */
  faultsAtBot = 0;

  constructor(private readonly proxy: FaultProxy) {}

  async whileFaulty<T>(fault: Fault, run: () => Promise<T>): Promise<T> {
    const before = this.proxy.faulted;
    this.proxy.inject(() => fault);
    try {
      return await run();
    } finally {
      this.proxy.heal();
      this.faultsAtBot += this.proxy.faulted - before;
    }
  }
}

export interface OutageWorld {
  readonly harness: Harness;
  readonly driver: ReplayDriver;
  readonly redis: Redis;
  readonly prefix: string;
  readonly queue: string;
  readonly faultWindow: FaultWindow;
}

export interface Outage {
  /** The workflow whose precondition reads the faulted upstream, e.g. `billing`. */
  readonly workflow: string;
  readonly tenant: string;
  /** The tenant's given-up jobs, all of which the plan takes. */
  readonly ids: readonly string[];
  readonly fault: Fault;
  /** What the diagnosis' upstream block says of the dependency while it is down. */
  readonly upstreamDown: string;
  /** The probe's reason: in the diagnosis and in the refused approval. */
  readonly probeReason: RegExp;
  /** Why the plan made during the fault is refused. */
  readonly planReason: RegExp;
  /** What the refused approval's ephemeral says. */
  readonly approvalRefusal: string;
}

export interface OutageResult {
  /** The incident's thread root (its diagnosis). */
  readonly ts: string;
  readonly plan: Extract<PlanAnswer, { kind: 'posted' }>;
  /** The approver's ephemerals before the refused click (the refusal is number `seen`). */
  readonly seen: number;
}

/**
 * The same outage met at each step: diagnose and plan during the fault (the
 * diagnosis says the upstream is down and why, the plan is refused); healed,
 * the plan posts; the fault again for the approval (refused with the reason,
 * the batch stays pending, nothing moves); healed, the same approval runs the
 * batch and each job moves exactly once.
 */
export async function runOutage(world: OutageWorld, outage: Outage): Promise<OutageResult> {
  const { harness, driver, redis, prefix, queue, faultWindow } = world;
  const { workflow, tenant, ids, fault } = outage;

  const ts = await faultWindow.whileFaulty(fault, () => driver.newIncident(workflow));
  const upstream = blockText(diagnosisAt(harness, ts), BlockId.upstream);
  expect(upstream).toContain(outage.upstreamDown);
  expect(upstream).toMatch(outage.probeReason);

  const refused = await faultWindow.whileFaulty(fault, () =>
    driver.plan(`replay ${workflow} --tenant ${tenant}`),
  );
  expect(refused.kind).toBe('refused');
  if (refused.kind === 'refused') expect(refused.text).toMatch(outage.planReason);

  // Recovered: the plan posts at once (the failed checks were not remembered).
  const plan = await driver.plan(`replay ${workflow} --tenant ${tenant}`);
  if (plan.kind !== 'posted') throw new Error(plan.text);

  // The upstream fails again before the click: refused by the precondition, with the reason.
  const seen = driver.ephemeralsOf(SANDBOX_IDS.approver).length;
  const answer = await faultWindow.whileFaulty(fault, async () => {
    await driver.click(plan.ts, 'approve', SANDBOX_IDS.approver);
    return driver.nextEphemeral(SANDBOX_IDS.approver, seen);
  });
  expect(answer).toContain(outage.approvalRefusal);
  expect(answer).toMatch(outage.probeReason);
  expect(await driver.stateOf(plan.batchId)).toBe('pending');
  await expectEveryJob(redis, prefix, queue, ids, 'untouched');

  // Recovered: the same request, approved again, runs once.
  await driver.click(plan.ts, 'approve', SANDBOX_IDS.approver);
  expect(await driver.waitForState(plan.batchId, 'done', 'failed')).toBe('done');
  await expectEveryJob(redis, prefix, queue, ids, 'movedOnce');
  return { ts, plan, seen };
}
