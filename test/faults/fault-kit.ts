import type { Redis } from 'ioredis';
import { BlockId } from '../../blocks/ids';
import { findBlockKitViolations } from '../../blocks/limits';
import { startRecovery } from '../../handlers/replay/resume';
import { silentLogger } from '../../src/logger';
import { SANDBOX_IDS, type RecordedCall } from '../../src/sandbox';
import { journalKeys } from '../../src/runbook/replay/journal';
import { harnessEnv } from '../e2e/env';
import type { Harness } from '../e2e/harness';
import { blocksOf } from '../e2e/messages';
import { movesOutOfFailed } from '../../bench/lib/move-events';
import { RunbookDriver } from '../../bench/lib/runbook-driver';
import { seedWithWorker } from '../helpers/bullmq-fixtures';
import { eventually } from '../helpers/eventually';

/**
 * What every fault test shares: a watch on the process for crashes the bot
 * would not survive, the Block Kit validity of what it posted, and BullMQ's own
 * record of how often each job left `failed`.
 */

/** The bot's environment in a fault test: probes give up after a second, and one approver. */
export function faultEnv(
  queuePrefix: string,
  overrides: Readonly<Record<string, string>> = {},
): Record<string, string> {
  return harnessEnv(queuePrefix, {
    PROBE_TIMEOUT_MS: '1000',
    APPROVERS: SANDBOX_IDS.approver,
    ...overrides,
  });
}

export interface ProcessWatch {
  /** Every unhandled rejection and uncaught exception seen since `watchProcess()`. */
  readonly seen: string[];
  stop(): void;
}

/**
 * Listens for what would take a production bot down. With a listener, Node
 * does not crash on them, so the test must assert `seen` is empty itself.
 */
export function watchProcess(): ProcessWatch {
  const seen: string[] = [];
  const onRejection = (reason: unknown) => seen.push(`unhandledRejection: ${describe(reason)}`);
  const onException = (error: Error) => seen.push(`uncaughtException: ${describe(error)}`);
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return {
    seen,
    stop: () => {
      process.off('unhandledRejection', onRejection);
      process.off('uncaughtException', onException);
    },
  };
}

function describe(reason: unknown): string {
  return reason instanceof Error
    ? `${reason.name}: ${reason.message}\n${reason.stack ?? ''}`
    : String(reason);
}

/** A message Slack would accept: no Block Kit rule broken, a fallback text. */
export function expectValidMessage(call: RecordedCall): void {
  const text = typeof call.args.text === 'string' ? call.args.text : '';
  expect(text.length).toBeGreaterThan(0);
  expect(findBlockKitViolations({ text, blocks: (call.args.blocks ?? []) as unknown[] })).toEqual([]);
}

/** The text of one block, or '' (JSON, so context elements and fields count too). */
export function blockText(call: RecordedCall, blockId: string): string {
  return JSON.stringify(blocksOf(call).find((b) => b.block_id === blockId) ?? '');
}

/** The diagnosis posted for the incident whose thread root is `ts`. */
export function diagnosisAt(harness: Harness, ts: string): RecordedCall {
  const root = harness.emulator.calls.find((c) => c.method === 'chat.postMessage' && c.response.ts === ts);
  if (!root) throw new Error(`no diagnosis at ${ts}`);
  return root;
}

/** Every message the bot posted or edited in Slack since call index `from` passes Block Kit's rules. */
export function expectAllValidSince(harness: Harness, from: number): void {
  const posted = harness.emulator.calls
    .slice(from)
    .filter((c) =>
      ['chat.postMessage', 'chat.update', 'chat.postEphemeral', 'response_url'].includes(c.method),
    );
  expect(posted.length).toBeGreaterThan(0);
  posted.forEach(expectValidMessage);
}

/** Sends `/stuckjobs diagnose …` and returns the diagnosis root posted after it. */
export async function diagnoseAndWait(harness: Harness, text = 'diagnose --new'): Promise<RecordedCall> {
  return new RunbookDriver(harness.emulator, { timeoutMs: 40_000 }).commandPosting(
    text,
    BlockId.diagnosisHeader,
    {
      channel: SANDBOX_IDS.incidentChannel,
    },
  );
}

/** After an outage of Redis, the next diagnose reads the queues again: the text of its webhooks block. */
export async function expectQueuesReadAgain(harness: Harness): Promise<string> {
  const after = await diagnoseAndWait(harness);
  expectValidMessage(after);
  const webhooks = blockText(after, `${BlockId.workflowPrefix}webhooks`);
  expect(webhooks).not.toContain('Cannot read the queue');
  return webhooks;
}

/**
 * What the user got for a diagnose sent at call index `before`: the diagnosis
 * root, or the ephemeral error with its correlation id (never silence).
 */
export function diagnosisOrErrorId(harness: Harness, before: number): Promise<RecordedCall> {
  return eventually(
    () =>
      Promise.resolve(
        harness.emulator.calls
          .slice(before)
          .find(
            (c) =>
              (c.method === 'chat.postMessage' &&
                blocksOf(c).some((b) => b.block_id === BlockId.diagnosisHeader)) ||
              (c.method === 'response_url' && /\(error id sj-[0-9a-f]{10}\)/.test(String(c.args.text))),
          ),
      ),
    40_000,
    50,
  );
}

export interface JobAccount {
  /** Moved out of `failed` once and not there any more. */
  readonly movedOnce: number;
  /** Still in `failed`, never moved. */
  readonly untouched: number;
  /** Neither moved nor in `failed`: gone. */
  readonly lost: string[];
  /** Moved twice or more. */
  readonly repeated: string[];
}

/** Where each job of a batch ended: every job is either moved once or still failed, never both nor neither. */
export async function accountFor(
  redis: Redis,
  prefix: string,
  queue: string,
  ids: readonly string[],
): Promise<JobAccount> {
  const moves = await movesOutOfFailed(redis, prefix, queue);
  const failed = await redis.zmscore(`${prefix}:${queue}:failed`, ...ids);
  let movedOnce = 0;
  let untouched = 0;
  const lost: string[] = [];
  const repeated: string[] = [];
  ids.forEach((id, i) => {
    const moved = moves.get(id) ?? 0;
    const inFailed = failed[i] !== null;
    if (moved > 1) repeated.push(id);
    else if (moved === 1 && !inFailed) movedOnce += 1;
    else if (moved === 0 && inFailed) untouched += 1;
    else lost.push(id);
  });
  return { movedOnce, untouched, lost, repeated };
}

/**
 * Asserts that every job of `ids` ended the same way: each moved out of
 * `failed` exactly once (`movedOnce`), or each still there, never moved
 * (`untouched`); none lost, none moved twice.
 */
export async function expectEveryJob(
  redis: Redis,
  prefix: string,
  queue: string,
  ids: readonly string[],
  ended: 'movedOnce' | 'untouched',
): Promise<void> {
  expect(await accountFor(redis, prefix, queue, ids)).toEqual({
    movedOnce: ended === 'movedOnce' ? ids.length : 0,
    untouched: ended === 'untouched' ? ids.length : 0,
    lost: [],
    repeated: [],
  });
}

/** Where given-up webhook jobs are seeded, and the tenant stand-in they deliver to. */
export interface WebhookQueue {
  readonly redisUrl: string;
  readonly prefix: string;
  readonly queue: string;
  readonly tenantUrl: string;
}

/** `count` webhook jobs of `tenantId` that gave up on the tenant's HTTP 503. */
export function givenUpWebhooks(at: WebhookQueue, tenantId: string, count: number): Promise<string[]> {
  const url = `${at.tenantUrl}/h/${tenantId}`;
  return seedWithWorker({
    url: at.redisUrl,
    prefix: at.prefix,
    queue: at.queue,
    jobs: Array.from({ length: count }, (_, i) => ({
      name: 'deliver-webhook',
      data: { tenantId, webhookId: `w${i}`, url, event: 'e', body: {} },
      failWith: `HTTP 503 from ${url}`,
    })),
  });
}

/** Past the claim grace (2 min): a claim with no journal is then closed, not left for a live run. */
const AFTER_CLAIM_GRACE_MS = 3 * 60_000;

/**
 * Recovery as a restarted bot runs it for a batch whose run died: such a bot
 * waits out the dead run's lease (30 s) and the claim grace; here the lease is
 * expired and the engine's time moved instead.
 */
export async function recoverAsRestartedBot(
  harness: Harness,
  redis: Redis,
  time: { skew(ms: number): void },
  batchId: string,
): Promise<void> {
  await redis.pexpire(journalKeys(harness.config.statePrefix, batchId).lease, 1);
  time.skew(AFTER_CLAIM_GRACE_MS);
  try {
    await startRecovery(harness.services, harness.bot.app.client, silentLogger, 50).done;
  } finally {
    time.skew(0);
  }
}
