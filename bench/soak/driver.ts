import type { ApprovalState } from '../../src/approvals/approval-types';
import { SANDBOX_IDS } from '../../src/sandbox/world';
import { batchState, RunbookDriver, waitForBatchState, type BatchStore } from '../lib/runbook-driver';
import { eventually } from '../lib/poll';
import type { SoakWorld } from './world';

/**
 * Drives the runbook through the emulator as the people in the incident
 * channel would: slash commands and button clicks, each waiting for the bot's
 * own answer. Waits look only at calls made after the step began (a set of
 * the calls before it), never at an earlier incident's.
 */

export const STEP_TIMEOUT_MS = 30_000;

export type Posted = {
  readonly kind: 'posted';
  readonly ts: string;
  readonly batchId: string;
  readonly hash: string;
  readonly value: string;
};
export type PlanAnswer = Posted | { readonly kind: 'refused'; readonly text: string };

/** Polls `probe` (every `everyMs`) until it answers; the error names `what` it waited for. */
export const until = <T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = STEP_TIMEOUT_MS,
  everyMs = 25,
): Promise<T> => eventually(probe, timeoutMs, everyMs, what);

export class SoakDriver {
  private readonly core: RunbookDriver;

  constructor(private readonly world: SoakWorld) {
    // Slack faults make some posts fail: only the one Slack accepted is the bot's answer.
    this.core = new RunbookDriver(world.emulator, { timeoutMs: STEP_TIMEOUT_MS, acceptedPostsOnly: true });
  }

  /** `/stuckjobs diagnose <workflow> --new`: a fresh incident thread; resolves once its session is saved. */
  async diagnose(workflow: string): Promise<string> {
    return this.core.newIncident(workflow, this.world.services.sessions);
  }

  /** A command whose answer is a post carrying `blockId` (samples, verification, note). */
  async commandPosting(text: string, blockId: string): Promise<void> {
    await this.core.commandPosting(text, blockId);
  }

  /** A command answered only to its sender (done, verify): resolves on that answer. */
  async command(text: string): Promise<void> {
    const fresh = this.core.mark();
    const ack = await this.world.emulator.sendSlashCommand({ text });
    await this.world.emulator.waitForCall(
      'response_url',
      (c) => fresh(c) && c.responseUrl === ack.responseUrl,
      STEP_TIMEOUT_MS,
    );
  }

  /** `/stuckjobs replay …` from the requester: the approval request it posted, or its refusal. */
  async plan(text: string): Promise<PlanAnswer> {
    const answer = await this.core.plan(text, SANDBOX_IDS.requester);
    if (answer.kind === 'refused') return answer;
    if (answer.batchId === '' || answer.value === undefined)
      throw new Error('approval request without batch or buttons');
    return { kind: 'posted', ts: answer.ts, batchId: answer.batchId, hash: answer.hash, value: answer.value };
  }

  async click(
    ts: string,
    decision: 'approve' | 'deny',
    user: string,
    extra: { readonly value?: string; readonly headers?: Record<string, string> } = {},
  ): Promise<void> {
    await this.core.click(ts, decision, user, extra);
  }

  ephemeralCount(user: string): number {
    return this.world.emulator.ephemerals(user).length;
  }

  /** The text of `user`'s ephemeral answer number `index` (0-based), once it arrives. */
  async ephemeral(user: string, index: number): Promise<string> {
    return until(`ephemeral ${index} of ${user}`, () => {
      const e = this.world.emulator.ephemerals(user)[index];
      return Promise.resolve(e ? `${e.text} ${JSON.stringify(e.blocks ?? [])}` : undefined);
    });
  }

  async stateOf(batchId: string): Promise<ApprovalState | undefined> {
    return batchState(this.store, batchId);
  }

  async waitForState(batchId: string, ...states: ApprovalState[]): Promise<ApprovalState> {
    return waitForBatchState(this.store, batchId, states, STEP_TIMEOUT_MS);
  }

  private get store(): BatchStore {
    return { redis: this.world.redis, statePrefix: this.world.config.statePrefix };
  }

  /** The stored verification's status once its watch has ended. */
  async verification(batchId: string): Promise<string | undefined> {
    const prefix = this.world.config.statePrefix;
    const [raw, running] = await Promise.all([
      this.world.redis.get(`${prefix}:verification:${batchId}`),
      this.world.redis.exists(`${prefix}:verifying:${batchId}`),
    ]);
    if (raw === null || running === 1) return undefined;
    return (JSON.parse(raw) as { status: string }).status;
  }

  async waitForVerification(batchId: string, timeoutMs = STEP_TIMEOUT_MS): Promise<string> {
    return until(`batch ${batchId}'s verification`, () => this.verification(batchId), timeoutMs, 50);
  }
}
