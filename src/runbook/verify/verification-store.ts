import type { Redis } from 'ioredis';
import { z } from 'zod';
import { WORKFLOW_IDS } from '../../workflows';
import type { Verification } from './types';

const partSchema = z.object({
  name: z.enum(['jobs', 'drain', 'downstream', 'error-rate']),
  status: z.enum(['pass', 'fail', 'unknown', 'skipped']),
  summary: z.string(),
  details: z.array(z.string()),
});

export const verificationSchema = z.object({
  batchId: z.string(),
  workflow: z.enum(WORKFLOW_IDS),
  status: z.enum(['verified', 'not-verified', 'inconclusive']),
  parts: z.array(partSchema),
  startedAt: z.number(),
  finishedAt: z.number(),
  replayed: z.number().int().nonnegative(),
});

/** As long as the batch record: the ladder and the paper trail read it during and after the incident. */
const RETENTION_SECONDS = 7 * 24 * 3600;

/** Verification results by batch: what the ladder reads to unlock growth (a port: tests may fake it). */
export interface VerificationStore {
  save(verification: Verification): Promise<void>;
  get(batchId: string): Promise<Verification | undefined>;
  /** Takes the batch's watch for `ttlMs`; false when one is running. */
  begin(batchId: string, ttlMs: number): Promise<boolean>;
  end(batchId: string): Promise<void>;
  /** A watch is running now: the ladder waits for its result. */
  running(batchId: string): Promise<boolean>;
}

export class RedisVerificationStore implements VerificationStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(batchId: string): string {
    return `${this.prefix}:verification:${batchId}`;
  }

  private runningKey(batchId: string): string {
    return `${this.prefix}:verifying:${batchId}`;
  }

  async begin(batchId: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(this.runningKey(batchId), '1', 'PX', ttlMs, 'NX')) === 'OK';
  }

  async end(batchId: string): Promise<void> {
    await this.redis.del(this.runningKey(batchId));
  }

  async running(batchId: string): Promise<boolean> {
    return (await this.redis.exists(this.runningKey(batchId))) === 1;
  }

  async save(verification: Verification): Promise<void> {
    const valid = verificationSchema.parse(verification);
    await this.redis.set(this.key(valid.batchId), JSON.stringify(valid), 'EX', RETENTION_SECONDS);
  }

  /** An unreadable record counts as none: nothing is unlocked by a result nobody can read. */
  async get(batchId: string): Promise<Verification | undefined> {
    const raw = await this.redis.get(this.key(batchId));
    if (raw === null) return undefined;
    try {
      const parsed = verificationSchema.safeParse(JSON.parse(raw));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }
}
