import type { Redis } from 'ioredis';
import { approvalButtonValue } from '../../blocks/approval';
import { ActionId, BlockId } from '../../blocks/ids';
import type { ApprovalState } from '../../src/approvals/approval-types';
import { SANDBOX_IDS, type RecordedCall } from '../../src/sandbox';
import { eventually } from '../helpers/eventually';
import type { Harness } from './harness';
import { blocksOf } from './messages';

export type PlanAnswer =
  | {
      readonly kind: 'posted';
      readonly ts: string;
      readonly batchId: string;
      readonly hash: string;
      readonly post: RecordedCall;
      /** The value both buttons carry (absent on a dry run). */
      readonly value?: string;
    }
  | { readonly kind: 'refused'; readonly text: string };

/** The ts the emulator gave a posted message. */
const tsOf = (post: RecordedCall): string => (typeof post.response.ts === 'string' ? post.response.ts : '');

const after = (harness: Harness, index: number) => (call: RecordedCall) =>
  harness.emulator.calls.indexOf(call) >= index;

/** Drives the replay flow through the emulator the way people in the incident channel would. */
export class ReplayDriver {
  constructor(
    private readonly harness: Harness,
    private readonly redis: Redis,
  ) {}

  /** A fresh incident (its own session and ladder); returns the thread root's ts. */
  async newIncident(workflow = 'webhooks'): Promise<string> {
    const before = this.harness.emulator.calls.length;
    await this.harness.emulator.sendSlashCommand({ text: `diagnose ${workflow} --new` });
    // The diagnosis itself: earlier tests' background work (a verification) may post into their threads meanwhile.
    const post = await this.harness.emulator.waitForCall(
      'chat.postMessage',
      (c) =>
        after(this.harness, before)(c) && blocksOf(c).some((b) => b.block_id === BlockId.diagnosisHeader),
      20_000,
    );
    const ts = tsOf(post);
    // The session is saved just after the post: a plan made before that would find no incident.
    await eventually(async () => {
      const session = await this.harness.services.sessions.current(
        SANDBOX_IDS.team,
        SANDBOX_IDS.incidentChannel,
      );
      return session?.threadTs === ts ? session : undefined;
    }, 20_000);
    return ts;
  }

  /** `/stuckjobs sample …`: resolves once the samples are posted (the gate is recorded by then). */
  async sample(text: string): Promise<RecordedCall> {
    const before = this.harness.emulator.calls.length;
    await this.harness.emulator.sendSlashCommand({ text });
    return this.harness.emulator.waitForCall(
      'chat.postMessage',
      (c) => after(this.harness, before)(c) && blocksOf(c).some((b) => b.block_id === BlockId.samplesGate),
      20_000,
    );
  }

  /** Plan replay (canary) on the diagnosis `diagnosisTs`, clicked by the requester. */
  async planFromButton(diagnosisTs: string): Promise<Extract<PlanAnswer, { kind: 'posted' }>> {
    const before = this.harness.emulator.calls.length;
    await this.harness.emulator.sendBlockAction({
      messageTs: diagnosisTs,
      actionId: ActionId.planReplay,
      user: SANDBOX_IDS.requester,
    });
    const post = await this.harness.emulator.waitForCall(
      'chat.postMessage',
      (c) =>
        after(this.harness, before)(c) && blocksOf(c).some((b) => b.block_id === BlockId.approvalActions),
      20_000,
    );
    return this.postedAnswer(post);
  }

  /** A slash command from the requester; the answer is the posted approval request or the ephemeral refusal. */
  async plan(text: string, user: string = SANDBOX_IDS.requester): Promise<PlanAnswer> {
    const before = this.harness.emulator.calls.length;
    const ack = await this.harness.emulator.sendSlashCommand({ text, user });
    if (ack.status !== 200) throw new Error(`command answered ${ack.status}`);
    // This command's own answer (another test's late ephemeral must not pass for it).
    const answer = await this.harness.emulator.waitForCall(
      'response_url',
      (c) => after(this.harness, before)(c) && c.responseUrl === ack.responseUrl,
      30_000,
    );
    const post = this.harness.emulator.calls.find(
      (c) =>
        c.method === 'chat.postMessage' &&
        this.harness.emulator.calls.indexOf(c) >= before &&
        blocksOf(c).some((b) => b.block_id === BlockId.approvalHeader),
    );
    if (!post) return { kind: 'refused', text: JSON.stringify(answer.args) };
    return this.postedAnswer(post);
  }

  /** The batch an approval request names, and the value its buttons carry. */
  private postedAnswer(post: RecordedCall): Extract<PlanAnswer, { kind: 'posted' }> {
    const ts = tsOf(post);
    const batchId = /Batch (b-[0-9a-f]{12})/.exec(JSON.stringify(post.args.blocks))?.[1] ?? '';
    const actions = (post.args.blocks as { block_id?: string; elements?: { value?: string }[] }[]).find(
      (b) => b.block_id === BlockId.approvalActions,
    );
    const value = actions?.elements?.[0]?.value;
    const parsed = value === undefined ? undefined : approvalButtonValue.parse(value);
    return {
      kind: 'posted',
      ts,
      batchId,
      hash: parsed?.h ?? '',
      post,
      ...(value !== undefined ? { value } : {}),
    };
  }

  async click(
    ts: string,
    decision: 'approve' | 'deny',
    user: string,
    extra: { value?: string; headers?: Record<string, string> } = {},
  ): Promise<void> {
    const response = await this.harness.emulator.sendBlockAction({
      messageTs: ts,
      actionId: decision === 'approve' ? ActionId.replayApprove : ActionId.replayDeny,
      user,
      ...(extra.value !== undefined ? { value: extra.value } : {}),
      ...(extra.headers ? { headers: extra.headers } : {}),
    });
    if (response.status !== 200) throw new Error(`click answered ${response.status}`);
  }

  /** Every ephemeral answer a user has had, oldest first, text and blocks together. */
  ephemeralsOf(user: string): string[] {
    return this.harness.emulator.ephemerals(user).map((e) => `${e.text} ${JSON.stringify(e.blocks)}`);
  }

  /** Waits for the answer after the first `seen` ones. */
  async nextEphemeral(user: string, seen: number): Promise<string> {
    return eventually(() => Promise.resolve(this.ephemeralsOf(user)[seen]), 20_000);
  }

  async stateOf(batchId: string): Promise<ApprovalState | undefined> {
    const state = await this.redis.hget(`${this.harness.config.statePrefix}:batch:${batchId}`, 'state');
    return (state ?? undefined) as ApprovalState | undefined;
  }

  async waitForState(batchId: string, ...states: ApprovalState[]): Promise<ApprovalState> {
    return eventually(async () => {
      const state = await this.stateOf(batchId);
      return state !== undefined && states.includes(state) ? state : undefined;
    }, 30_000);
  }

  /** The approval message as it stands in the emulator (after every chat.update). */
  messageText(ts: string): string {
    const message = this.harness.emulator.message(SANDBOX_IDS.incidentChannel, ts);
    return `${message?.text ?? ''} ${JSON.stringify(message?.blocks ?? [])}`;
  }
}
