import type { Redis } from 'ioredis';
import { z } from 'zod';
import { CodedError, ErrorCode } from '../errors';
import type { Logger } from '../logger';
import type { Cohort, SampleOutcome } from '../runbook/inspect/types';

/** Where a gate applies: one channel's incident. */
export interface GateScope {
  readonly teamId: string;
  readonly channelId: string;
}

const failureSchema = z.object({ jobId: z.string(), check: z.string(), reason: z.string() });
const blockSchema = z.object({
  workflow: z.string(),
  state: z.string(),
  cohortKey: z.string(),
  cohort: z.object({
    tenant: z.string().optional(),
    reason: z.string().optional(),
    handler: z.string().optional(),
  }),
  sampleId: z.string(),
  at: z.number(),
  by: z.string(),
  failures: z.array(failureSchema),
});

/** "Stop and ask before replay": failed checks on a sample of this workflow, state and cohort. */
export type GateBlock = z.infer<typeof blockSchema>;

/**
 * The binding half of runbook step 2. Sampling records here; replay planning
 * asks here, through this interface, before it plans anything.
 */
export interface ReplayGate {
  /**
   * New failures block the sample's cohort. A standing failure is lifted only
   * when its job is in `resolvedJobIds` (re-checked clean, or gone from the
   * state), and never by a sample older than the block.
   */
  record(
    scope: GateScope,
    outcome: SampleOutcome,
    by: string,
    resolvedJobIds: ReadonlySet<string>,
  ): Promise<void>;
  /** Every block on `workflow`, whatever its state and cohort. */
  blocks(scope: GateScope, workflow: string): Promise<readonly GateBlock[]>;
}

/** `*` for an unfiltered sample, else the filters in a fixed order: one key per cohort. */
export function cohortKey(cohort: Cohort): string {
  const parts = (['handler', 'tenant', 'reason'] as const)
    .filter((name) => cohort[name] !== undefined)
    .map((name) => `${name}=${cohort[name] ?? ''}`);
  return parts.length === 0 ? '*' : parts.join('&');
}

function parseBlock(raw: string | null): GateBlock | undefined {
  if (raw === null) return undefined;
  try {
    const parsed = blockSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** A record we cannot read still blocks: failing open here would let a replay through. */
function unreadableBlock(field: string): GateBlock {
  const [workflow = '', state = '', key = ''] = field.split('|');
  return {
    workflow,
    state,
    cohortKey: key,
    cohort: {},
    sampleId: '(unreadable)',
    at: 0,
    by: '(unknown)',
    failures: [],
  };
}

/** The block after this sample, or undefined when nothing stands. Pure, so it is easy to test. */
export function nextBlock(
  existing: GateBlock | undefined,
  outcome: SampleOutcome,
  by: string,
  resolvedJobIds: ReadonlySet<string>,
): GateBlock | undefined {
  // An older sample recorded late must not lift what a newer one found.
  const stale = existing !== undefined && existing.at > outcome.takenAt;
  const kept = (existing?.failures ?? []).filter((f) => stale || !resolvedJobIds.has(f.jobId));
  // This sample's findings on a job replace what was recorded for it before.
  const failures = [
    ...kept.filter((f) => !outcome.failures.some((n) => n.jobId === f.jobId)),
    ...outcome.failures,
  ];
  if (failures.length === 0) return undefined;
  const found = outcome.failures.length > 0;
  return {
    workflow: outcome.request.workflowId,
    state: outcome.request.state,
    cohortKey: cohortKey(outcome.request.cohort),
    cohort: { ...outcome.request.cohort },
    sampleId: found || !existing ? outcome.id : existing.sampleId,
    at: found || !existing ? Math.max(existing?.at ?? 0, outcome.takenAt) : existing.at,
    by: found || !existing ? by : existing.by,
    failures,
  };
}

const MAX_ATTEMPTS = 5;

/**
 * Blocks never expire: a block that times out would let a replay through
 * unseen. They go only when the failures are gone.
 */
export class RedisReplayGate implements ReplayGate {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {}

  private key(scope: GateScope): string {
    return `${this.prefix}:gate:${scope.teamId}:${scope.channelId}`;
  }

  /** Records on one key, in order: WATCH is per connection, and this process shares one. */
  private readonly queues = new Map<string, Promise<void>>();

  record(
    scope: GateScope,
    outcome: SampleOutcome,
    by: string,
    resolvedJobIds: ReadonlySet<string>,
  ): Promise<void> {
    const key = this.key(scope);
    const previous = this.queues.get(key) ?? Promise.resolve();
    const next = previous.then(() => this.recordNow(key, outcome, by, resolvedJobIds));
    const settled = next.catch(() => undefined);
    this.queues.set(key, settled);
    void settled.then(() => {
      if (this.queues.get(key) === settled) this.queues.delete(key);
    });
    return next;
  }

  /** WATCH guards against other processes (replicas) writing the same key meanwhile. */
  private async recordNow(
    key: string,
    outcome: SampleOutcome,
    by: string,
    resolvedJobIds: ReadonlySet<string>,
  ): Promise<void> {
    const field = `${outcome.request.workflowId}|${outcome.request.state}|${cohortKey(outcome.request.cohort)}`;
    const log = this.logger.child({ workflow: outcome.request.workflowId, sample: outcome.id });
    // WATCH makes read-decide-write one step against a concurrent sample of the same cohort.
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      await this.redis.watch(key);
      const raw = await this.redis.hget(key, field);
      const existing = raw === null ? undefined : (parseBlock(raw) ?? unreadableBlock(field));
      const next = nextBlock(existing, outcome, by, resolvedJobIds);
      const multi = this.redis.multi();
      if (next) multi.hset(key, field, JSON.stringify(next));
      else multi.hdel(key, field);
      const result = await multi.exec();
      if (result === null) continue;
      const failed = result.find(([error]) => error !== null);
      if (failed)
        throw new CodedError(ErrorCode.UpstreamFailed, 'could not record the sample in the replay gate', {
          cause: failed[0],
        });
      if (next && !existing)
        log.warn({ failures: next.failures.length }, 'sample check failed: replay blocked');
      if (!next && existing) log.info('failures resolved: replay block lifted');
      return;
    }
    throw new CodedError(
      ErrorCode.UpstreamFailed,
      'the replay gate kept changing under this sample; sample again',
    );
  }

  async blocks(scope: GateScope, workflow: string): Promise<readonly GateBlock[]> {
    const all = await this.redis.hgetall(this.key(scope));
    return Object.entries(all)
      .filter(([field]) => field.startsWith(`${workflow}|`))
      .map(([field, raw]) => parseBlock(raw) ?? unreadableBlock(field))
      .sort((a, b) => a.at - b.at);
  }
}
