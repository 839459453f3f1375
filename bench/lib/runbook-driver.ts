import type { Redis } from 'ioredis';
import { approvalButtonValue } from '../../blocks/approval';
import { ActionId, BlockId } from '../../blocks/ids';
import type { ApprovalState } from '../../src/approvals/approval-types';
import type { RecordedCall, SlackEmulator } from '../../src/sandbox';
import { SANDBOX_IDS } from '../../src/sandbox/world';
import type { SessionStore } from '../../src/sessions/session-store';
import { eventually } from './poll';

/**
 * Drives the runbook through the Slack emulator as the people in the incident
 * channel would: slash commands and button clicks, each waiting for the bot's
 * own answer. One core for the end-to-end tests, the replica and fault suites
 * and the soak run. Waits look only at calls made after the step began, never
 * at an earlier step's or test's.
 */

/** An approval request as posted: its ts, the batch it names, and what its buttons carry. */
export interface ApprovalRequest {
  readonly ts: string;
  /** '' when the request names no batch. */
  readonly batchId: string;
  /** The manifest hash the buttons carry ('' on a dry run, which has none). */
  readonly hash: string;
  readonly post: RecordedCall;
  /** The value both buttons carry (absent on a dry run). */
  readonly value?: string;
}

export type PlanAnswer =
  ({ readonly kind: 'posted' } & ApprovalRequest) | { readonly kind: 'refused'; readonly text: string };

interface BlockLike {
  readonly block_id?: string;
  readonly elements?: readonly { readonly value?: string }[];
}

const blocksOf = (call: RecordedCall): readonly BlockLike[] =>
  Array.isArray(call.args.blocks) ? (call.args.blocks as BlockLike[]) : [];

/** The ts the emulator gave a posted message. */
export const tsOf = (call: RecordedCall): string =>
  typeof call.response.ts === 'string' ? call.response.ts : '';

/** The batch an approval request names, and the value its buttons carry. */
export function approvalRequestOf(post: RecordedCall): ApprovalRequest {
  const batchId = /Batch (b-[0-9a-f]{12})/.exec(JSON.stringify(post.args.blocks))?.[1] ?? '';
  const value = blocksOf(post).find((b) => b.block_id === BlockId.approvalActions)?.elements?.[0]?.value;
  const hash = value === undefined ? '' : approvalButtonValue.parse(value).h;
  return { ts: tsOf(post), batchId, hash, post, ...(value !== undefined ? { value } : {}) };
}

export interface DriverOptions {
  /** How long a step waits for the bot's answer unless told otherwise. */
  readonly timeoutMs: number;
  /** Count only posts Slack accepted (the soak makes some posts fail and the bot post again). */
  readonly acceptedPostsOnly?: boolean;
}

export interface StepOptions {
  readonly timeoutMs?: number;
  /** The bot URL(s) the emulator delivers to (replicas); the emulator's app URL by default. */
  readonly to?: string | readonly string[];
}

export class RunbookDriver {
  constructor(
    readonly emulator: SlackEmulator,
    private readonly options: DriverOptions,
  ) {}

  /** A predicate true only for calls recorded after this moment. */
  mark(): (call: RecordedCall) => boolean {
    const before = new Set(this.emulator.calls);
    return (call) => !before.has(call);
  }

  hasBlock(call: RecordedCall, blockId: string): boolean {
    if (this.options.acceptedPostsOnly === true && call.response.ok !== true) return false;
    return blocksOf(call).some((b) => b.block_id === blockId);
  }

  /** A command whose answer is a post carrying `blockId` (diagnosis, samples, verification, note). */
  async commandPosting(
    text: string,
    blockId: string,
    options: StepOptions & { readonly channel?: string } = {},
  ): Promise<RecordedCall> {
    const fresh = this.mark();
    await this.emulator.sendSlashCommand({ text, ...(options.to !== undefined ? { to: options.to } : {}) });
    return this.emulator.waitForCall(
      'chat.postMessage',
      (c) =>
        fresh(c) &&
        (options.channel === undefined || c.args.channel === options.channel) &&
        this.hasBlock(c, blockId),
      options.timeoutMs ?? this.options.timeoutMs,
    );
  }

  /**
   * `/stuckjobs diagnose <workflow> --new`: a fresh incident thread. Resolves
   * with the root's ts once the session is saved (it is saved just after the
   * post, and a plan made before would find no incident).
   */
  async newIncident(
    workflow: string,
    sessions: Pick<SessionStore, 'current'>,
    options: StepOptions = {},
  ): Promise<string> {
    const post = await this.commandPosting(`diagnose ${workflow} --new`, BlockId.diagnosisHeader, options);
    const ts = tsOf(post);
    await eventually(
      async () => {
        const session = await sessions.current(SANDBOX_IDS.team, SANDBOX_IDS.incidentChannel);
        return session?.threadTs === ts ? true : undefined;
      },
      options.timeoutMs ?? this.options.timeoutMs,
      25,
      'the incident session',
    );
    return ts;
  }

  /** `/stuckjobs replay …` from `user`: the approval request it posted, or its refusal. */
  async plan(
    text: string,
    user: string = SANDBOX_IDS.requester,
    options: StepOptions = {},
  ): Promise<PlanAnswer> {
    const fresh = this.mark();
    const ack = await this.emulator.sendSlashCommand({
      text,
      user,
      ...(options.to !== undefined ? { to: options.to } : {}),
    });
    if (ack.status !== 200) throw new Error(`replay command answered HTTP ${ack.status}`);
    // The approval request is posted before the requester is told; a refusal is only told.
    // This command's own answer: another test's late ephemeral must not pass for it.
    const answer = await this.emulator.waitForCall(
      'response_url',
      (c) => fresh(c) && c.responseUrl === ack.responseUrl,
      options.timeoutMs ?? this.options.timeoutMs,
    );
    const post = this.emulator.calls.find(
      (c) => c.method === 'chat.postMessage' && fresh(c) && this.hasBlock(c, BlockId.approvalHeader),
    );
    if (!post) return { kind: 'refused', text: JSON.stringify(answer.args) };
    return { kind: 'posted', ...approvalRequestOf(post) };
  }

  /** A click on Approve or Deny; every bot it reached must answer 200. */
  async click(
    ts: string,
    decision: 'approve' | 'deny',
    user: string,
    extra: {
      readonly value?: string;
      readonly headers?: Record<string, string>;
      readonly to?: string | readonly string[];
    } = {},
  ): Promise<void> {
    const response = await this.emulator.sendBlockAction({
      messageTs: ts,
      actionId: decision === 'approve' ? ActionId.replayApprove : ActionId.replayDeny,
      user,
      ...(extra.value !== undefined ? { value: extra.value } : {}),
      ...(extra.headers ? { headers: extra.headers } : {}),
      ...(extra.to !== undefined ? { to: extra.to } : {}),
    });
    for (const answer of response.deliveries ?? [response]) {
      if (answer.status !== 200) throw new Error(`click answered HTTP ${answer.status}`);
    }
  }
}

/** Where the approval records live: the bot's state Redis and prefix. */
export interface BatchStore {
  readonly redis: Redis;
  readonly statePrefix: string;
}

export async function batchState(store: BatchStore, batchId: string): Promise<ApprovalState | undefined> {
  const state = await store.redis.hget(`${store.statePrefix}:batch:${batchId}`, 'state');
  return (state ?? undefined) as ApprovalState | undefined;
}

export function waitForBatchState(
  store: BatchStore,
  batchId: string,
  states: readonly ApprovalState[],
  timeoutMs: number,
  everyMs = 25,
): Promise<ApprovalState> {
  return eventually(
    async () => {
      const state = await batchState(store, batchId);
      return state !== undefined && states.includes(state) ? state : undefined;
    },
    timeoutMs,
    everyMs,
    `batch ${batchId} to be ${states.join(' or ')}`,
  );
}
