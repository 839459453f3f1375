import type { webApi } from '@slack/bolt';
import type { BuiltMessage } from '../../blocks/diagnosis';
import { findBlockKitViolations } from '../../blocks/limits';
import type { BatchMessage } from '../../src/approvals/batch-messages';
import type { Logger } from '../../src/logger';

/** One edit a second at most: Slack's chat.update is rate limited, and a person cannot read faster. */
export const PROGRESS_EDIT_MS = 1_000;

/** Replaces the approval message in place; a failed edit is logged, never fatal to a running batch. */
export async function updateMessage(
  client: webApi.WebClient,
  log: Logger,
  where: Pick<BatchMessage, 'channelId' | 'messageTs'>,
  message: BuiltMessage,
): Promise<void> {
  const problems = findBlockKitViolations(message);
  if (problems.length > 0) log.error({ problems }, 'blocks broke Slack limits; updating with text only');
  try {
    await client.chat.update({
      channel: where.channelId,
      ts: where.messageTs,
      text: message.text,
      blocks: problems.length === 0 ? message.blocks : [],
    });
  } catch (err) {
    log.warn({ err }, 'could not update the approval message');
  }
}

/**
 * Progress edits of one message: at most one a second, landing in order, and
 * never awaited by the work they report on. `settled()` waits for the last.
 */
export function throttledEditor(
  client: webApi.WebClient,
  log: Logger,
  where: Pick<BatchMessage, 'channelId' | 'messageTs'>,
): { edit(message: () => BuiltMessage, now?: boolean): void; settled(): Promise<void> } {
  let lastEdit = 0;
  let edits: Promise<void> = Promise.resolve();
  return {
    edit: (message, now = false) => {
      if (!now && Date.now() - lastEdit < PROGRESS_EDIT_MS) return;
      lastEdit = Date.now();
      edits = edits.then(() => updateMessage(client, log, where, message()));
    },
    settled: () => edits,
  };
}
