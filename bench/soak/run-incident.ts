import { BlockId } from '../../blocks/ids';
import { SANDBOX_IDS } from '../../src/sandbox/world';
import { SoakDriver, until, type PlanAnswer, type Posted } from './driver';
import { IncidentFaults, type RefusalCheck } from './incident-faults';
import type { FaultKind, IncidentSpec } from './incident-spec';
import { removeIncidentJobs, seedIncident } from './seed';
import { streamMark } from '../lib/streams';
import { checkIncident, type IncidentTruth } from './truth';
import type { SoakWorld } from './world';

/**
 * One incident from diagnose to done, with its faults injected at their
 * steps (each refusal the bot owes is checked by incident-faults.ts); then
 * the incident is checked against Redis (truth.ts).
 */

const { approver: APPROVER } = SANDBOX_IDS;

export interface IncidentResult {
  readonly spec: IncidentSpec;
  readonly ms: number;
  readonly refusals: readonly RefusalCheck[];
  /** Every fault this incident injected (those owing a refusal are also in `refusals`). */
  readonly faultsInjected: readonly FaultKind[];
  readonly batchesApproved: number;
  /** Batches created (posted, withdrawn, denied, expired, approved). */
  readonly batchesCreated: number;
  /** A step that did not complete: the flow stalled (the invariants are still checked). */
  readonly error?: string;
  /** The second batch was drawn but not planned, and why (e.g. the canary did not verify). */
  readonly secondSkipped?: string;
  readonly truth: IncidentTruth;
  /** Wall time per kind of step (diagnose, sample, plan, approve and replay, verification, …). */
  readonly stepMs: Readonly<Record<string, number>>;
}

export class IncidentRun {
  private readonly driver: SoakDriver;
  private readonly faults: IncidentFaults;
  private auditMark = '0-0';
  /** Wall time per kind of step, for the report's "where the time goes". */
  private readonly stepMs: Record<string, number> = {};

  constructor(
    private readonly world: SoakWorld,
    private readonly spec: IncidentSpec,
  ) {
    this.driver = new SoakDriver(world);
    this.faults = new IncidentFaults(world, spec, this.driver);
  }

  private async timed<T>(step: string, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await work();
    } finally {
      this.stepMs[step] = Math.round((this.stepMs[step] ?? 0) + performance.now() - started);
    }
  }

  private has(fault: FaultKind): boolean {
    return this.faults.has(fault);
  }

  private get cohort(): string {
    return `${this.spec.workflow} --tenant ${this.spec.tenant}`;
  }

  /** Plans until an approval request is posted; a Slack 429 on the post first, when drawn. */
  private planPosted(size: number, slack429: boolean): Promise<Posted> {
    return this.timed('plan', () => this.planPostedNow(size, slack429));
  }

  private async planPostedNow(size: number, slack429: boolean): Promise<Posted> {
    if (slack429) {
      this.world.emulator.failNext('chat.postMessage', { retryAfterSeconds: 1 });
      const failed: PlanAnswer = await this.driver.plan(`replay ${this.cohort} --batch ${size}`);
      if (failed.kind === 'posted') throw new Error('the approval request was posted through a 429');
    }
    const answer = await this.driver.plan(`replay ${this.cohort} --batch ${size}`);
    if (answer.kind !== 'posted') throw new Error(`plan refused: ${answer.text.slice(0, 300)}`);
    return answer;
  }

  /** Approve (once, or as a double click, a race and a retried delivery) and wait for the batch to finish. */
  private approve(batch: Posted, doubleClick: boolean): Promise<void> {
    return this.timed('approve and replay', () => this.approveNow(batch, doubleClick));
  }

  private async approveNow(batch: Posted, doubleClick: boolean): Promise<void> {
    if (this.has('slack-5xx')) {
      this.world.emulator.failNext('chat.update', { status: 500 + (this.spec.index % 4), times: 2 });
    }
    if (doubleClick) return this.faults.doubleClick(batch);
    await this.driver.click(batch.ts, 'approve', APPROVER);
    await this.driver.waitForState(batch.batchId, 'done', 'failed');
  }

  /** The verification the bot audits for `batchId` after `mark`: its status. */
  private verified(batchId: string, mark: string): Promise<string> {
    return this.timed('verification', () => this.verifiedNow(batchId, mark));
  }

  private async verifiedNow(batchId: string, mark: string): Promise<string> {
    return until(
      `batch ${batchId}'s verification`,
      async () =>
        (await this.faults.auditSince(mark)).find((e) => e.action === 'verify' && e.batchId === batchId)
          ?.result,
      30_000,
      50,
    );
  }

  private workerFor(): { pause(): Promise<void>; resume(): void } | undefined {
    const queue = this.spec.workflow === 'webhooks' ? 'webhook-delivery' : 'billing-housekeeping';
    return this.world.worker.workers.find((w) => w.name === queue);
  }

  async run(): Promise<IncidentResult> {
    const started = performance.now();
    const { world, spec, driver } = this;
    const { redis, config } = world;
    const queuePrefix = config.queuePrefix;
    this.auditMark = await this.faults.auditMark();
    const seeded = await seedIncident(redis, queuePrefix, spec, {
      tenantUrl: (t) => world.tenants.url(t),
      stripe: world.stripe.store,
    });
    const eventsMark = await streamMark(redis, `${queuePrefix}:${seeded.queue}:events`);
    const worker = this.workerFor();
    let paused = false;
    let error: string | undefined;
    let secondSkipped: string | undefined;
    try {
      await this.timed('diagnose', () => driver.diagnose(spec.workflow));
      await this.timed('sample', () => driver.commandPosting(`sample ${this.cohort}`, BlockId.samplesGate));
      if (this.has('oversized-first-batch')) {
        const size = 11 + (spec.index % 40);
        await this.faults.refusedPlan(
          'oversized-first-batch',
          `replay ${this.cohort} --batch ${size}`,
          'ladder',
        );
      }
      if (this.has('upstream-down-at-plan')) {
        world.tenants.setStatus(spec.tenant, 503);
        await this.faults.refusedPlan(
          'upstream-down-at-plan',
          `replay ${this.cohort} --batch ${spec.canary}`,
          'precondition',
        );
        world.tenants.setStatus(spec.tenant, 200);
      }
      let canary = await this.planPosted(spec.canary, this.has('slack-429'));
      if (this.has('denial')) {
        await driver.click(canary.ts, 'deny', APPROVER);
        await driver.waitForState(canary.batchId, 'denied');
        canary = await this.planPosted(spec.canary, false);
      }
      if (this.has('expired')) {
        world.skewClock(config.replay.approvalTtlMs + 1_000);
        try {
          await this.faults.refusedClick('expired', canary, APPROVER, 'expired');
        } finally {
          world.skewClock(0);
        }
        canary = await this.planPosted(spec.canary, false);
      }
      await this.faults.refusedClicks(canary);
      const growthFault = spec.second !== undefined && this.has('growth-before-verification');
      if (growthFault && worker) {
        // The replayed jobs wait unrun, so the canary cannot verify before the larger plan is asked for.
        await worker.pause();
        paused = true;
      }
      let mark = await this.faults.auditMark();
      await this.approve(canary, this.has('double-click'));
      if (spec.second !== undefined) {
        if (growthFault) {
          // The canary's watch ends unverified (its jobs wait unrun); only then is the ladder the rule that refuses.
          await this.verified(canary.batchId, mark);
          await this.faults.refusedPlan(
            'growth-before-verification',
            `replay ${this.cohort} --batch ${spec.second}`,
            'ladder',
          );
          worker?.resume();
          paused = false;
          await this.jobsSettled(seeded.queue, canary.batchId);
          mark = await this.faults.auditMark();
          await driver.commandPosting(`verify ${spec.workflow}`, BlockId.verificationHeader);
        }
        const status = await this.verified(canary.batchId, mark);
        if (status === 'verified') {
          const second = await this.planPosted(spec.second, false);
          mark = await this.faults.auditMark();
          await this.approve(second, false);
          await this.verified(second.batchId, mark);
        } else {
          secondSkipped = `canary ${status}`;
        }
      } else {
        await this.verified(canary.batchId, mark);
      }
      if (spec.endWithDone) {
        const doneMark = await this.faults.auditMark();
        await world.emulator.sendSlashCommand({ text: 'done' });
        await until('the incident to close', async () =>
          (await this.faults.auditSince(doneMark)).some((e) => e.action === 'done') ? true : undefined,
        );
      }
    } catch (err) {
      error = err instanceof Error ? err.message.split('\n')[0]!.slice(0, 300) : String(err);
    } finally {
      world.tenants.setStatus(spec.tenant, 200);
      world.skewClock(0);
      if (paused) worker?.resume();
    }

    const entries = await this.faults.auditSince(this.auditMark);
    const batchIds = [
      ...new Set(
        entries.filter((e) => e.action === 'create' && e.result === 'created').map((e) => e.batchId),
      ),
    ];
    // A stalled flow may leave a verification watching: let it end before the check reads.
    await this.quiet(batchIds);
    const truth = await checkIncident({
      redis,
      queuePrefix,
      statePrefix: config.statePrefix,
      seeded,
      batchIds,
      eventsMark,
      ...(spec.workflow === 'webhooks' ? { deliveries: (c: string) => world.tenants.deliveries(c) } : {}),
    });
    await removeIncidentJobs(redis, queuePrefix, seeded);
    const approved = (await this.faults.auditSince(this.auditMark)).filter(
      (e) => e.action === 'approve' && e.result === 'approved',
    ).length;
    return {
      spec,
      ms: Math.round(performance.now() - started),
      refusals: this.faults.refusals,
      faultsInjected: spec.faults,
      batchesApproved: approved,
      batchesCreated: batchIds.length,
      ...(error !== undefined ? { error } : {}),
      ...(secondSkipped !== undefined ? { secondSkipped } : {}),
      truth,
      stepMs: this.stepMs,
    };
  }

  /** The batch's replayed jobs have left wait/active (the worker ran them). */
  private async jobsSettled(queue: string, batchId: string): Promise<void> {
    const base = `${this.world.config.queuePrefix}:${queue}`;
    const raw = await this.world.redis.hget(`${this.world.config.statePrefix}:batch:${batchId}`, 'manifest');
    const ids = (JSON.parse(raw ?? '{"jobs":[]}') as { jobs: { id: string }[] }).jobs.map((j) => j.id);
    await until('the replayed jobs to run', async () => {
      const pipeline = this.world.redis.pipeline();
      for (const id of ids) {
        pipeline.zscore(`${base}:completed`, id);
        pipeline.zscore(`${base}:failed`, id);
      }
      const replies = (await pipeline.exec()) ?? [];
      const settled = ids.every((_, i) => replies[i * 2]?.[1] !== null || replies[i * 2 + 1]?.[1] !== null);
      return settled ? true : undefined;
    });
  }

  /** No verification of these batches still watching. */
  private async quiet(batchIds: readonly string[]): Promise<void> {
    const prefix = this.world.config.statePrefix;
    await until(
      'verifications to end',
      async () => {
        for (const id of batchIds)
          if ((await this.world.redis.exists(`${prefix}:verifying:${id}`)) === 1) return undefined;
        return true;
      },
      30_000,
      100,
    ).catch(() => undefined);
  }
}
