import type { Redis } from 'ioredis';
import { BlockId } from '../../blocks/ids';
import { findBlockKitViolations } from '../../blocks/limits';
import { SANDBOX_IDS, type RecordedCall } from '../../src/sandbox';
import type { Harness } from '../e2e/harness';
import { blocksOf } from '../e2e/messages';
import { movesOutOfFailed } from '../../bench/lib/move-events';
import { RunbookDriver } from '../../bench/lib/runbook-driver';
import { eventually } from '../helpers/eventually';

/**
 * What every fault test shares: a watch on the process for crashes the bot
 * would not survive, the Block Kit validity of what it posted, and BullMQ's own
 * record of how often each job left `failed`.
 */

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

/** Waits until no verification of this bot is still watching (it would read a Redis the test closes). */
export async function verificationsSettled(redis: Redis, statePrefix: string): Promise<void> {
  await eventually(async () => {
    const [, keys] = await redis.scan('0', 'MATCH', `${statePrefix}:verifying:*`, 'COUNT', 1000);
    return keys.length === 0 ? true : undefined;
  }, 30_000);
}
