import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Logger } from '../logger';
import { findingsSchema } from '../runbook/oplog/findings';

/**
 * An incident session belongs to a channel: slash commands carry no thread,
 * so the open session's diagnosis message is where later steps reply.
 */
export const sessionSchema = z.object({
  id: z.string(),
  teamId: z.string(),
  channelId: z.string(),
  threadTs: z.string(),
  requestedBy: z.string(),
  openedAt: z.number(),
  workflowIds: z.array(z.string()),
  /** SigNoz's error rate and p95 when the incident was diagnosed: what verification compares against. */
  baseline: z
    .object({ errorRate: z.number().nullable(), p95Ms: z.number().nullable(), spans: z.number() })
    .optional(),
  /** What the first diagnosis found: when it started, the symptom, the causes, the counts before. */
  findings: findingsSchema.optional(),
});

export type IncidentSession = z.infer<typeof sessionSchema>;

/** An incident quiet for a day is over: the next diagnose opens a fresh one. */
const SESSION_TTL_SECONDS = 24 * 3600;

/** What the rest of the bot may do with sessions (a port: tests may fake it). */
export interface IncidentSessions {
  open(session: IncidentSession): Promise<void>;
  current(teamId: string, channelId: string): Promise<IncidentSession | undefined>;
  /** Ends the channel's incident if it is still `sessionId`; the next diagnose opens a fresh one. */
  end(teamId: string, channelId: string, sessionId: string): Promise<boolean>;
  /**
   * The right to write an incident's ending (note and summary), once: `done`
   * typed twice, two replicas sweeping idle incidents, or both at once.
   */
  claimEnd(sessionId: string): Promise<boolean>;
  /** Gives the claim back after an ending that failed, so it can be tried again. */
  releaseEnd(sessionId: string): Promise<void>;
  /** Every incident still open, oldest first (the idle sweep walks them). */
  listOpen(): Promise<IncidentSession[]>;
}

export class SessionStore implements IncidentSessions {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {}

  private key(teamId: string, channelId: string): string {
    return `${this.prefix}:session:${teamId}:${channelId}`;
  }

  private get openIndex(): string {
    return `${this.prefix}:sessions:open`;
  }

  async open(session: IncidentSession): Promise<void> {
    const valid = sessionSchema.parse(session);
    const key = this.key(valid.teamId, valid.channelId);
    await this.redis
      .multi()
      .set(key, JSON.stringify(valid), 'EX', SESSION_TTL_SECONDS)
      .zadd(this.openIndex, valid.openedAt, key)
      .exec();
  }

  async end(teamId: string, channelId: string, sessionId: string): Promise<boolean> {
    const current = await this.current(teamId, channelId);
    if (current?.id !== sessionId) return false;
    const key = this.key(teamId, channelId);
    await this.redis.multi().del(key).zrem(this.openIndex, key).exec();
    return true;
  }

  async claimEnd(sessionId: string): Promise<boolean> {
    const taken = await this.redis.set(
      `${this.prefix}:session-ending:${sessionId}`,
      '1',
      'EX',
      SESSION_TTL_SECONDS,
      'NX',
    );
    return taken === 'OK';
  }

  async releaseEnd(sessionId: string): Promise<void> {
    await this.redis.del(`${this.prefix}:session-ending:${sessionId}`);
  }

  async listOpen(): Promise<IncidentSession[]> {
    const keys = await this.redis.zrange(this.openIndex, '0', '-1');
    const found: IncidentSession[] = [];
    for (const key of keys) {
      const session = await this.read(key);
      // Expired (a day quiet) or replaced: drop it from the index.
      if (!session || this.key(session.teamId, session.channelId) !== key) {
        await this.redis.zrem(this.openIndex, key);
        continue;
      }
      found.push(session);
    }
    return found;
  }

  current(teamId: string, channelId: string): Promise<IncidentSession | undefined> {
    return this.read(this.key(teamId, channelId));
  }

  private async read(key: string): Promise<IncidentSession | undefined> {
    const raw = await this.redis.get(key);
    if (raw === null) return undefined;
    try {
      const parsed = sessionSchema.safeParse(JSON.parse(raw));
      if (parsed.success) return parsed.data;
    } catch {
      // fall through: a corrupt session is treated as none
    }
    this.logger.warn({ key }, 'ignoring a session record that does not parse');
    return undefined;
  }
}
