import { z } from 'zod';
import { UsageError } from '../../src/errors';
import type { WorkflowId } from '../../src/workflows/types';

/** Button values come back from the client: parse them like any other input. */
export function parseButtonValue<T>(schema: z.ZodType<T>, raw: string | undefined): T {
  let json: unknown;
  try {
    json = JSON.parse(raw ?? '');
  } catch {
    throw new UsageError(
      'That button is out of date or damaged. Type `/stuckjobs help` to see the commands.',
    );
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new UsageError(
      'That button is out of date or damaged. Type `/stuckjobs help` to see the commands.',
    );
  }
  return parsed.data;
}

export const workflowIdIn = (ids: readonly WorkflowId[]): z.ZodType<WorkflowId> =>
  z.string().refine((id): id is WorkflowId => (ids as readonly string[]).includes(id), 'unknown workflow');

const containerSchema = z.object({
  channel_id: z.string().optional(),
  message_ts: z.string().optional(),
  thread_ts: z.string().optional(),
});

/**
 * Where a click happened. Bolt types `container` loosely; the thread to reply
 * in is the clicked message's thread, or the message itself when it is a root.
 */
export function clickedIn(body: { container: unknown; channel?: { id: string } }): {
  channelId?: string;
  threadTs?: string;
  /** The clicked message itself. */
  messageTs?: string;
} {
  const container = containerSchema.safeParse(body.container);
  const data = container.success ? container.data : {};
  return {
    channelId: body.channel?.id ?? data.channel_id,
    threadTs: data.thread_ts ?? data.message_ts,
    messageTs: data.message_ts,
  };
}
