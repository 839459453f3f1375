import type { Redis } from 'ioredis';
import { readAudit } from '../../src/approvals/audit';
import { silentLogger } from '../../src/logger';
import { journalKeys, RedisBatchJournal } from '../../src/runbook/replay/journal';
import { SANDBOX_IDS, type SlackEmulator } from '../../src/sandbox';
import { startEmulatedSlack } from '../../src/sandbox/emulated-bot';
import { SessionStore } from '../../src/sessions/session-store';
import { movesOutOfFailed } from '../../bench/lib/move-events';
import { RunbookDriver } from '../../bench/lib/runbook-driver';
import { seedWithWorker } from '../helpers/bullmq-fixtures';
import { eventually } from '../helpers/eventually';
import { startLoopback, type Loopback } from '../helpers/loopback';
import { deleteKeysWithPrefix, randomPrefix, testRedis, testRedisUrl } from '../helpers/redis';
import { tenantWebhooks } from '../helpers/tenant-webhooks';
import { startReplica, type Replica } from './spawn-replica';

export const QUEUE = 'webhook-delivery';
const CHANNEL = SANDBOX_IDS.incidentChannel;

/** A reply in the batch's thread that says the batch ended (from the run, or from recovery). */
const DONE_REPLY = [
  /Batch \d+ of webhooks ran:/,
  /Batch \d+ of webhooks ran after all:/,
  /has now finished:/,
  /closed by recovery from its journal:/,
];

/** How often each job was moved out of `failed`, three ways (each written by a different step). */
export interface MoveCounts {
  /** `waiting` events with `prev: failed` in BullMQ's events stream (written by the move itself). */
  readonly events: ReadonlyMap<string, number>;
  /** Occurrences in the `wait` list (no worker runs after seeding, so a moved job stays there). */
  readonly waiting: ReadonlyMap<string, number>;
  /** The batch's move ledger verdicts (written in the same atomic step as the move). */
  readonly ledger: ReadonlyMap<string, string>;
}

export interface MoveFigures {
  readonly jobs: number;
  readonly movedOnce: number;
  readonly duplicates: number;
  readonly lost: number;
}

/**
 * Two (or more) real bot processes on one Redis, as deployed for high
 * availability: the same state and queue prefixes, the same Slack app, and one
 * Slack emulator in this process that can deliver to either replica or both.
 */
export class ReplicaWorld {
  readonly statePrefix = randomPrefix('rep-bot');
  readonly queuePrefix = randomPrefix('rep-q');
  private readonly replicas: Replica[] = [];
  private readonly driver: RunbookDriver;
  private tenants = 0;

  private constructor(
    readonly emulator: SlackEmulator,
    private readonly secrets: { botToken: string; signingSecret: string },
    readonly redis: Redis,
    private readonly tenant: Loopback,
    private readonly sweepMs: number,
  ) {
    this.driver = new RunbookDriver(emulator, { timeoutMs: 30_000 });
  }

  static async start(options: { sweepMs: number }): Promise<ReplicaWorld> {
    const slack = await startEmulatedSlack('replicas');
    const tenant = await startLoopback((_req, res) => res.writeHead(200).end());
    return new ReplicaWorld(slack.emulator, slack, testRedis(), tenant, options.sweepMs);
  }

  /** A replica with the shared configuration; `hooks` are replica-child.ts's test hooks. */
  async startReplica(name: string, hooks: Readonly<Record<string, string>> = {}): Promise<Replica> {
    const replica = await startReplica(name, {
      REDIS_URL: testRedisUrl(),
      STATE_PREFIX: this.statePrefix,
      QUEUE_PREFIX: this.queuePrefix,
      SLACK_BOT_TOKEN: this.secrets.botToken,
      SLACK_SIGNING_SECRET: this.secrets.signingSecret,
      SLACK_API_URL: this.emulator.apiUrl,
      APPROVERS: SANDBOX_IDS.approvers,
      WEBHOOK_PROBE_ALLOW_PRIVATE: 'true',
      TREND_WINDOW_MS: '50',
      PROBE_TIMEOUT_MS: '2000',
      VERIFY_WINDOW_MS: '1500',
      VERIFY_POLL_MS: '100',
      RECOVERY_SWEEP_MS: String(this.sweepMs),
      // The first batch takes every seeded job (at most 10, invariant 3).
      REPLAY_LADDER: '10,50',
      LOG_LEVEL: 'info',
      ...hooks,
    });
    this.replicas.push(replica);
    return replica;
  }

  /** `/stuckjobs diagnose webhooks --new` through `via`; returns the thread root's ts once the session is saved. */
  async newIncident(via: Replica): Promise<string> {
    const sessions = new SessionStore(this.redis, this.statePrefix, silentLogger);
    return this.driver.newIncident('webhooks', sessions, { to: via.eventsUrl });
  }

  /** Given-up webhook jobs of a tenant of their own (a real Worker failed them). */
  async givenUp(count: number): Promise<{ tenantId: string; ids: string[] }> {
    const tenantId = `t-${++this.tenants}`;
    const ids = await seedWithWorker({
      url: testRedisUrl(),
      prefix: this.queuePrefix,
      queue: QUEUE,
      jobs: tenantWebhooks(tenantId, count, this.tenant.url),
    });
    return { tenantId, ids };
  }

  /** `/stuckjobs replay webhooks --tenant …` through `via`: the approval request's ts and batch id. */
  async plan(via: Replica, tenantId: string): Promise<{ ts: string; batchId: string }> {
    const answer = await this.driver.plan(`replay webhooks --tenant ${tenantId}`, SANDBOX_IDS.requester, {
      to: via.eventsUrl,
    });
    if (answer.kind !== 'posted' || answer.batchId === '') throw new Error('approval request names no batch');
    return { ts: answer.ts, batchId: answer.batchId };
  }

  /** The approver clicks Approve; the click goes to `to` (one replica's URL, or several at once). */
  async approve(ts: string, to: string | readonly string[], headers?: Record<string, string>): Promise<void> {
    await this.driver.click(ts, 'approve', SANDBOX_IDS.approver, { to, ...(headers ? { headers } : {}) });
  }

  async batchState(batchId: string): Promise<string | null> {
    return this.redis.hget(`${this.statePrefix}:batch:${batchId}`, 'state');
  }

  async waitForState(batchId: string, state: string, timeoutMs = 30_000): Promise<void> {
    await eventually(
      async () => ((await this.batchState(batchId)) === state ? true : undefined),
      timeoutMs,
      50,
    );
  }

  /** The line the approval record was closed with. */
  async batchSummary(batchId: string): Promise<string | null> {
    return this.redis.hget(`${this.statePrefix}:batch:${batchId}`, 'summary');
  }

  /** The journal's meta: state (`running` | `done`) and the owner of its latest claim. */
  async journalMeta(batchId: string): Promise<{ state?: string; owner?: string }> {
    const [state, owner] = await this.redis.hmget(
      journalKeys(this.statePrefix, batchId).meta,
      'state',
      'owner',
    );
    return { ...(state ? { state } : {}), ...(owner ? { owner } : {}) };
  }

  /** The job ids the approved manifest froze. */
  async manifestJobs(batchId: string): Promise<string[]> {
    const raw = await this.redis.hget(`${this.statePrefix}:batch:${batchId}`, 'manifest');
    return (JSON.parse(raw ?? '{"jobs":[]}') as { jobs: { id: string }[] }).jobs.map((job) => job.id);
  }

  /** The journal's entry per job: status and reason (`unreadable` for one that does not parse). */
  async journal(batchId: string): Promise<Record<string, { status: string; reason?: string }>> {
    const entries = await new RedisBatchJournal(this.redis, this.statePrefix, silentLogger).entries(batchId);
    return Object.fromEntries(
      [...entries].map(([id, entry]) => [id, entry === 'unreadable' ? { status: entry } : entry]),
    );
  }

  async ledger(batchId: string): Promise<Map<string, string>> {
    return new Map(Object.entries(await this.redis.hgetall(journalKeys(this.statePrefix, batchId).moves)));
  }

  async moveCounts(batchId: string): Promise<MoveCounts> {
    const events = await movesOutOfFailed(this.redis, this.queuePrefix, QUEUE);
    const waiting = new Map<string, number>();
    for (const jobId of await this.redis.lrange(`${this.queuePrefix}:${QUEUE}:wait`, 0, -1)) {
      waiting.set(jobId, (waiting.get(jobId) ?? 0) + 1);
    }
    return { events, waiting, ledger: await this.ledger(batchId) };
  }

  /** Jobs, moved exactly once, moved more than once (duplicates), never moved (lost), by the events stream. */
  static figures(ids: readonly string[], counts: MoveCounts): MoveFigures {
    const times = ids.map((id) => counts.events.get(id) ?? 0);
    return {
      jobs: ids.length,
      movedOnce: times.filter((n) => n === 1).length,
      duplicates: times.reduce((sum, n) => sum + Math.max(0, n - 1), 0),
      lost: times.filter((n) => n === 0).length,
    };
  }

  /** Replies in the incident's thread that report a batch as ended (each test's incident has one batch). */
  doneReplies(threadTs: string): string[] {
    return this.emulator
      .thread(CHANNEL, threadTs)
      .map((m) => m.text)
      .filter((text) => DONE_REPLY.some((pattern) => pattern.test(text)));
  }

  /** The batch's audit lines, oldest first: [action, actor, result]. */
  async audit(batchId: string): Promise<[string, string, string][]> {
    const entries = await readAudit(this.redis, `${this.statePrefix}:audit`, { batchId });
    return entries.map((e) => [e.action, e.actor, e.result]);
  }

  /** Stops every replica still running (SIGTERM), then the emulator, the tenant and the keys. */
  async close(): Promise<void> {
    await Promise.allSettled(this.replicas.map((replica) => replica.stop()));
    await Promise.allSettled([this.emulator.close(), this.tenant.close()]);
    await deleteKeysWithPrefix(this.redis, this.statePrefix);
    await deleteKeysWithPrefix(this.redis, this.queuePrefix);
    await this.redis.quit();
  }
}
