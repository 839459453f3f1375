import type { Redis } from 'ioredis';
import { z } from 'zod';
import { DEFAULT_RETENTION_MS } from './approval-store';

/**
 * Where a batch's approval request was posted, so a click, a progress edit or
 * a recovery after a restart can find the thread and the message to update.
 * Slack coordinates only: kept apart from the manifest, which they do not change.
 */
export const batchMessageSchema = z.object({
  channelId: z.string().min(1),
  threadTs: z.string().min(1),
  messageTs: z.string().min(1),
});

export type BatchMessage = z.infer<typeof batchMessageSchema>;

export interface BatchMessages {
  save(batchId: string, message: BatchMessage): Promise<void>;
  find(batchId: string): Promise<BatchMessage | undefined>;
}

export class RedisBatchMessages implements BatchMessages {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(batchId: string): string {
    return `${this.prefix}:batch-message:${batchId}`;
  }

  async save(batchId: string, message: BatchMessage): Promise<void> {
    const valid = batchMessageSchema.parse(message);
    await this.redis.set(this.key(batchId), JSON.stringify(valid), 'PX', DEFAULT_RETENTION_MS);
  }

  async find(batchId: string): Promise<BatchMessage | undefined> {
    const raw = await this.redis.get(this.key(batchId));
    if (raw === null) return undefined;
    try {
      const parsed = batchMessageSchema.safeParse(JSON.parse(raw));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }
}
