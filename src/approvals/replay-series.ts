import type { Redis } from 'ioredis';
import type { WorkflowId } from '../workflows/types';
import type { ApprovalRecord } from './approval-types';
import type { ApprovalStore } from './approval-store';
import { REPLAY_LUA_DIRS } from '../runbook/replay/journal';
import { DEFAULT_RETENTION_MS } from './approval-store';
import { LuaScript } from './lua-script';

/**
 * The batches of one replay: one incident session, one workflow. The ladder
 * reads it to number the next batch and find the previous one; a list keeps
 * the order in which batches were planned.
 */
export interface ReplaySeries {
  /**
   * The right to plan the next batch of this replay, for `ttlMs`: two plans at
   * once (a double click on Plan replay, two replicas) would both see no open
   * batch and both become batch N. False when someone else is planning.
   */
  lockPlanning(sessionId: string, workflow: WorkflowId, token: string, ttlMs: number): Promise<boolean>;
  unlockPlanning(sessionId: string, workflow: WorkflowId, token: string): Promise<void>;
  append(sessionId: string, workflow: WorkflowId, batchId: string): Promise<void>;
  /** Oldest first, with records that no longer exist left out. */
  records(sessionId: string, workflow: WorkflowId): Promise<ApprovalRecord[]>;
}

/** Far more than any incident plans; bounds what the ladder reads per plan. */
const MAX_SERIES = 500;

export class RedisReplaySeries implements ReplaySeries {
  private readonly releaseLease = LuaScript.load('release-lease-1.lua', REPLAY_LUA_DIRS);

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly store: Pick<ApprovalStore, 'get'>,
  ) {}

  key(sessionId: string, workflow: WorkflowId): string {
    return `${this.prefix}:series:${sessionId}:${workflow}`;
  }

  async lockPlanning(
    sessionId: string,
    workflow: WorkflowId,
    token: string,
    ttlMs: number,
  ): Promise<boolean> {
    const taken = await this.redis.set(`${this.key(sessionId, workflow)}:planning`, token, 'PX', ttlMs, 'NX');
    return taken === 'OK';
  }

  async unlockPlanning(sessionId: string, workflow: WorkflowId, token: string): Promise<void> {
    await this.releaseLease.run(this.redis, [`${this.key(sessionId, workflow)}:planning`], [token]);
  }

  async append(sessionId: string, workflow: WorkflowId, batchId: string): Promise<void> {
    const key = this.key(sessionId, workflow);
    await this.redis
      .multi()
      .rpush(key, batchId)
      .ltrim(key, -MAX_SERIES, -1)
      .pexpire(key, DEFAULT_RETENTION_MS)
      .exec();
  }

  async records(sessionId: string, workflow: WorkflowId): Promise<ApprovalRecord[]> {
    const ids = await this.redis.lrange(this.key(sessionId, workflow), 0, -1);
    const records = await Promise.all(ids.map((id) => this.store.get(id)));
    return records.filter((record): record is ApprovalRecord => record !== undefined);
  }
}
