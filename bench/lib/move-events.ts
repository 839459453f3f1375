import type { Redis } from 'ioredis';
import { entriesAfter, field } from './streams';

/**
 * Job id -> how many times BullMQ moved it out of `failed`, by BullMQ's own
 * record: every `Job.retry('failed')` (reprocessJob.lua) and the replay's chunk
 * script XADD `event waiting jobId <id> prev failed` to the queue's events
 * stream, and nothing else writes that pair. Only entries after `mark` count
 * (an incident's own moves); by default, the whole stream.
 */
export async function movesOutOfFailed(
  redis: Redis,
  prefix: string,
  queue: string,
  mark = '0-0',
): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const { flat } of await entriesAfter(redis, `${prefix}:${queue}:events`, mark)) {
    const jobId = field(flat, 'jobId');
    if (jobId !== undefined && field(flat, 'event') === 'waiting' && field(flat, 'prev') === 'failed') {
      counts.set(jobId, (counts.get(jobId) ?? 0) + 1);
    }
  }
  return counts;
}
