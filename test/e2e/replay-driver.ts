import type { Redis } from 'ioredis';
import { ActionId, BlockId } from '../../blocks/ids';
import type { ApprovalState } from '../../src/approvals/approval-types';
import { SANDBOX_IDS, type RecordedCall } from '../../src/sandbox';
import {
  approvalRequestOf,
  batchState,
  RunbookDriver,
  waitForBatchState,
  type PlanAnswer,
} from '../../bench/lib/runbook-driver';
import { eventually } from '../helpers/eventually';
import type { Harness } from './harness';

export type { PlanAnswer } from '../../bench/lib/runbook-driver';

/** How long a step waits for the bot's answer, unless it says otherwise. */
const STEP_MS = 20_000;

/** Drives the replay flow through the emulator the way people in the incident channel would. */
export class ReplayDriver {
  private readonly core: RunbookDriver;

  constructor(
    private readonly harness: Harness,
    private readonly redis: Redis,
  ) {
    this.core = new RunbookDriver(harness.emulator, { timeoutMs: STEP_MS });
  }

  /** A fresh incident (its own session and ladder); returns the thread root's ts. */
  async newIncident(workflow = 'webhooks'): Promise<string> {
    return this.core.newIncident(workflow, this.harness.services.sessions);
  }

  /** `/stuckjobs sample …`: resolves once the samples are posted (the gate is recorded by then). */
  async sample(text: string): Promise<RecordedCall> {
    return this.core.commandPosting(text, BlockId.samplesGate);
  }

  /** Plan replay (canary) on the diagnosis `diagnosisTs`, clicked by the requester. */
  async planFromButton(diagnosisTs: string): Promise<Extract<PlanAnswer, { kind: 'posted' }>> {
    const fresh = this.core.mark();
    await this.harness.emulator.sendBlockAction({
      messageTs: diagnosisTs,
      actionId: ActionId.planReplay,
      user: SANDBOX_IDS.requester,
    });
    const post = await this.harness.emulator.waitForCall(
      'chat.postMessage',
      (c) => fresh(c) && this.core.hasBlock(c, BlockId.approvalActions),
      STEP_MS,
    );
    return { kind: 'posted', ...approvalRequestOf(post) };
  }

  /** A slash command from the requester; the answer is the posted approval request or the ephemeral refusal. */
  async plan(text: string, user: string = SANDBOX_IDS.requester): Promise<PlanAnswer> {
    return this.core.plan(text, user, { timeoutMs: 30_000 });
  }

  async click(
    ts: string,
    decision: 'approve' | 'deny',
    user: string,
    extra: { value?: string; headers?: Record<string, string> } = {},
  ): Promise<void> {
    return this.core.click(ts, decision, user, extra);
  }

  /** Every ephemeral answer a user has had, oldest first, text and blocks together. */
  ephemeralsOf(user: string): string[] {
    return this.harness.emulator.ephemerals(user).map((e) => `${e.text} ${JSON.stringify(e.blocks)}`);
  }

  /** Waits for the answer after the first `seen` ones. */
  async nextEphemeral(user: string, seen: number): Promise<string> {
    return eventually(() => Promise.resolve(this.ephemeralsOf(user)[seen]), STEP_MS);
  }

  async stateOf(batchId: string): Promise<ApprovalState | undefined> {
    return batchState(this.store, batchId);
  }

  async waitForState(batchId: string, ...states: ApprovalState[]): Promise<ApprovalState> {
    return waitForBatchState(this.store, batchId, states, 30_000);
  }

  /** The approval message as it stands in the emulator (after every chat.update). */
  messageText(ts: string): string {
    const message = this.harness.emulator.message(SANDBOX_IDS.incidentChannel, ts);
    return `${message?.text ?? ''} ${JSON.stringify(message?.blocks ?? [])}`;
  }

  private get store(): { redis: Redis; statePrefix: string } {
    return { redis: this.redis, statePrefix: this.harness.config.statePrefix };
  }
}
