import type { ChainableCommander } from 'ioredis';

/**
 * Run a pipeline or MULTI and return its replies, failing on the first command
 * error: a half-read snapshot would look like an empty queue.
 */
export async function execReplies(chain: ChainableCommander): Promise<unknown[]> {
  const replies = await chain.exec();
  if (replies === null) throw new Error('redis transaction was aborted');
  return replies.map(([error, value]) => {
    if (error) throw error;
    return value;
  });
}

export function asNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    const parsed = Number(value);
    return Number.isFinite(parsed) ? parsed : 0;
  }
  return 0;
}

export function asString(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (typeof value === 'number') return String(value);
  return null;
}

/**
 * Array replies, flattened one level: RESP3 mapping returns WITHSCORES pairs as
 * `[[member, score]]` where RESP2 returns `[member, score]`.
 */
export function asStrings(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return (value as unknown[]).flat().map((item) => asString(item) ?? '');
}

export function asNullableStrings(value: unknown): (string | null)[] {
  if (!Array.isArray(value)) return [];
  return (value as unknown[]).map(asString);
}
