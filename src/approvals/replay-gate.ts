import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Logger } from '../logger';
import type { Cohort, SampleOutcome } from '../runbook/inspect/types';

/** Where a gate applies: one channel's incident. */
export interface GateScope {
  readonly teamId: string;
  readonly channelId: string;
}

const blockSchema = z.object({
  workflow: z.string(),
  cohortKey: z.string(),
  cohort: z.object({
    tenant: z.string().optional(),
    reason: z.string().optional(),
    handler: z.string().optional(),
  }),
  sampleId: z.string(),
  at: z.number(),
  by: z.string(),
  failures: z.array(z.object({ jobId: z.string(), check: z.string(), reason: z.string() })),
});

/** "Stop and ask before replay": a failed check on a sample of this workflow and cohort. */
export type GateBlock = z.infer<typeof blockSchema>;

/**
 * The binding half of runbook step 2. Sampling records here; replay planning
 * asks here, through this interface, before it plans anything.
 */
export interface ReplayGate {
  /** Failures block the sample's cohort; a clean re-sample that showed jobs lifts it. */
  record(scope: GateScope, outcome: SampleOutcome, by: string): Promise<readonly GateBlock[]>;
  /** Every block on `workflow`, whatever its cohort. */
  blocks(scope: GateScope, workflow: string): Promise<readonly GateBlock[]>;
}

/** `*` for an unfiltered sample, else the filters in a fixed order: one key per cohort. */
export function cohortKey(cohort: Cohort): string {
  const parts = (['handler', 'tenant', 'reason'] as const)
    .filter((name) => cohort[name] !== undefined)
    .map((name) => `${name}=${cohort[name] ?? ''}`);
  return parts.length === 0 ? '*' : parts.join('&');
}

const GATE_TTL_SECONDS = 24 * 3600;

function parseBlock(raw: string): GateBlock | undefined {
  try {
    const parsed = blockSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** A record we cannot read still blocks: failing open here would let a replay through. */
function unreadableBlock(workflow: string, key: string): GateBlock {
  return {
    workflow,
    cohortKey: key,
    cohort: {},
    sampleId: '(unreadable)',
    at: 0,
    by: '(unknown)',
    failures: [],
  };
}

export class RedisReplayGate implements ReplayGate {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {}

  private key(scope: GateScope): string {
    return `${this.prefix}:gate:${scope.teamId}:${scope.channelId}`;
  }

  async record(scope: GateScope, outcome: SampleOutcome, by: string): Promise<readonly GateBlock[]> {
    const workflow = outcome.request.workflowId;
    const key = cohortKey(outcome.request.cohort);
    const field = `${workflow}|${key}`;
    if (outcome.failures.length > 0) {
      const block: GateBlock = {
        workflow,
        cohortKey: key,
        cohort: { ...outcome.request.cohort },
        sampleId: outcome.id,
        at: outcome.takenAt,
        by,
        failures: outcome.failures.map((f) => ({ jobId: f.jobId, check: f.check, reason: f.reason })),
      };
      await this.redis
        .multi()
        .hset(this.key(scope), field, JSON.stringify(block))
        .expire(this.key(scope), GATE_TTL_SECONDS)
        .exec();
      this.logger.warn({ workflow, cohort: key, sample: outcome.id }, 'sample check failed: replay blocked');
    } else if (outcome.jobs.length > 0) {
      const lifted = await this.redis.hdel(this.key(scope), field);
      if (lifted > 0)
        this.logger.info({ workflow, cohort: key, sample: outcome.id }, 'clean re-sample: block lifted');
    }
    return this.blocks(scope, workflow);
  }

  async blocks(scope: GateScope, workflow: string): Promise<readonly GateBlock[]> {
    const all = await this.redis.hgetall(this.key(scope));
    return Object.entries(all)
      .filter(([field]) => field.startsWith(`${workflow}|`))
      .map(([field, raw]) => parseBlock(raw) ?? unreadableBlock(workflow, field.slice(workflow.length + 1)))
      .sort((a, b) => a.at - b.at);
  }
}
