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

  async open(session: IncidentSession): Promise<void> {
    await this.redis.set(
      this.key(session.teamId, session.channelId),
      JSON.stringify(sessionSchema.parse(session)),
      'EX',
      SESSION_TTL_SECONDS,
    );
  }

  async end(teamId: string, channelId: string, sessionId: string): Promise<boolean> {
    const current = await this.current(teamId, channelId);
    if (current?.id !== sessionId) return false;
    await this.redis.del(this.key(teamId, channelId));
    return true;
  }

  async current(teamId: string, channelId: string): Promise<IncidentSession | undefined> {
    const raw = await this.redis.get(this.key(teamId, channelId));
    if (raw === null) return undefined;
    try {
      const parsed = sessionSchema.safeParse(JSON.parse(raw));
      if (parsed.success) return parsed.data;
    } catch {
      // fall through: a corrupt session is treated as none
    }
    this.logger.warn({ teamId, channelId }, 'ignoring a session record that does not parse');
    return undefined;
  }
}
