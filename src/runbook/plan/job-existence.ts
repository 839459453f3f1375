import type { Redis } from 'ioredis';
import { execReplies } from '../../queues/redis-replies';

/** Which job ids are already taken in a queue, in any state (a port: tests may fake it). */
export interface JobExistence {
  existing(queue: string, jobIds: readonly string[]): Promise<ReadonlySet<string>>;
}

/**
 * BullMQ keeps every job, whatever its state, in the hash `<prefix>:<queue>:<id>`,
 * so one EXISTS per id answers "is this id taken". Plain reads in one pipeline:
 * planning never writes to Delphi's keys (invariant 1).
 */
export function redisJobExistence(redis: Redis, queuePrefix: string): JobExistence {
  return {
    async existing(queue, jobIds) {
      if (jobIds.length === 0) return new Set();
      const pipeline = redis.pipeline();
      for (const id of jobIds) pipeline.exists(`${queuePrefix}:${queue}:${id}`);
      const replies = await execReplies(pipeline);
      return new Set(jobIds.filter((_, i) => replies[i] === 1));
    },
  };
}
