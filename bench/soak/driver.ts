import { approvalButtonValue } from '../../blocks/approval';
import { ActionId, BlockId } from '../../blocks/ids';
import type { ApprovalState } from '../../src/approvals/approval-types';
import type { RecordedCall } from '../../src/sandbox';
import { SANDBOX_IDS } from '../../src/sandbox/world';
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

interface BlockLike {
  readonly block_id?: string;
  readonly elements?: readonly { readonly value?: string }[];
}

const blocksOf = (call: RecordedCall): readonly BlockLike[] =>
  Array.isArray(call.args.blocks) ? (call.args.blocks as BlockLike[]) : [];
const hasBlock = (call: RecordedCall, blockId: string): boolean =>
  call.response.ok === true && blocksOf(call).some((b) => b.block_id === blockId);
const tsOf = (call: RecordedCall): string => (typeof call.response.ts === 'string' ? call.response.ts : '');

export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = STEP_TIMEOUT_MS,
  everyMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

export class SoakDriver {
  constructor(private readonly world: SoakWorld) {}

  private mark(): (call: RecordedCall) => boolean {
    const before = new Set(this.world.emulator.calls);
    return (call) => !before.has(call);
  }

  /** `/stuckjobs diagnose <workflow> --new`: a fresh incident thread; resolves once its session is saved. */
  async diagnose(workflow: string): Promise<string> {
    const fresh = this.mark();
    await this.world.emulator.sendSlashCommand({ text: `diagnose ${workflow} --new` });
    const post = await this.world.emulator.waitForCall(
      'chat.postMessage',
      (c) => fresh(c) && hasBlock(c, BlockId.diagnosisHeader),
      STEP_TIMEOUT_MS,
    );
    const ts = tsOf(post);
    await until('the incident session', async () => {
      const session = await this.world.services.sessions.current(
        SANDBOX_IDS.team,
        SANDBOX_IDS.incidentChannel,
      );
      return session?.threadTs === ts ? true : undefined;
    });
    return ts;
  }

  /** A command whose answer is a post carrying `blockId` (samples, verification, note). */
  async commandPosting(text: string, blockId: string): Promise<void> {
    const fresh = this.mark();
    await this.world.emulator.sendSlashCommand({ text });
    await this.world.emulator.waitForCall(
      'chat.postMessage',
      (c) => fresh(c) && hasBlock(c, blockId),
      STEP_TIMEOUT_MS,
    );
  }

  /** A command answered only to its sender (done, verify): resolves on that answer. */
  async command(text: string): Promise<void> {
    const fresh = this.mark();
    const ack = await this.world.emulator.sendSlashCommand({ text });
    await this.world.emulator.waitForCall(
      'response_url',
      (c) => fresh(c) && c.responseUrl === ack.responseUrl,
      STEP_TIMEOUT_MS,
    );
  }

  /** `/stuckjobs replay …` from the requester: the approval request it posted, or its refusal. */
  async plan(text: string): Promise<PlanAnswer> {
    const fresh = this.mark();
    const ack = await this.world.emulator.sendSlashCommand({ text, user: SANDBOX_IDS.requester });
    if (ack.status !== 200) throw new Error(`replay command answered HTTP ${ack.status}`);
    // The approval request is posted before the requester is told; a refusal is only told.
    const answer = await this.world.emulator.waitForCall(
      'response_url',
      (c) => fresh(c) && c.responseUrl === ack.responseUrl,
      STEP_TIMEOUT_MS,
    );
    const post = this.world.emulator.calls.find(
      (c) => c.method === 'chat.postMessage' && fresh(c) && hasBlock(c, BlockId.approvalHeader),
    );
    if (!post) return { kind: 'refused', text: JSON.stringify(answer.args) };
    const batchId = /Batch (b-[0-9a-f]{12})/.exec(JSON.stringify(post.args.blocks))?.[1];
    const actions = blocksOf(post).find((b) => b.block_id === BlockId.approvalActions);
    const value = actions?.elements?.[0]?.value;
    if (batchId === undefined || value === undefined)
      throw new Error('approval request without batch or buttons');
    const parsed = approvalButtonValue.parse(value);
    return { kind: 'posted', ts: tsOf(post), batchId, hash: parsed.h, value };
  }

  async click(
    ts: string,
    decision: 'approve' | 'deny',
    user: string,
    extra: { readonly value?: string; readonly headers?: Record<string, string> } = {},
  ): Promise<void> {
    const response = await this.world.emulator.sendBlockAction({
      messageTs: ts,
      actionId: decision === 'approve' ? ActionId.replayApprove : ActionId.replayDeny,
      user,
      ...(extra.value !== undefined ? { value: extra.value } : {}),
      ...(extra.headers ? { headers: extra.headers } : {}),
    });
    if (response.status !== 200) throw new Error(`click answered HTTP ${response.status}`);
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
    const state = await this.world.redis.hget(`${this.world.config.statePrefix}:batch:${batchId}`, 'state');
    return (state ?? undefined) as ApprovalState | undefined;
  }

  async waitForState(batchId: string, ...states: ApprovalState[]): Promise<ApprovalState> {
    return until(`batch ${batchId} to be ${states.join(' or ')}`, async () => {
      const state = await this.stateOf(batchId);
      return state !== undefined && states.includes(state) ? state : undefined;
    });
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
