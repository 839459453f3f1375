import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Logger } from '../logger';
import { parseApprovalRecord } from './approval-record';
import type {
  ApprovalRecord,
  AuditAction,
  AuditEntry,
  ClaimResult,
  CreateResult,
  DecideRequest,
  DecideResult,
  FinishOutcome,
  FinishResult,
} from './approval-types';
import { APPROVAL_STATES, CLAIM_CODES, CREATE_CODES, DECIDE_CODES, FINISH_CODES } from './approval-types';
import { AUDIT_MAXLEN, readAudit } from './audit';
import type { BatchManifest } from './batch-manifest';
import { batchIdSchema, batchManifestSchema, manifestHash } from './batch-manifest';
import { LuaScript } from './lua-script';

/** Long enough to read a batch back during the incident review; the audit stream outlives it. */
export const DEFAULT_RETENTION_MS = 7 * 24 * 3600_000;

/** A thread line, not a report: the journal (next issue) holds the per-job detail. */
const MAX_SUMMARY = 2_000;

/** One audit line for an attempt that never reached a batch record. */
export interface AuditAttempt {
  /** The incident it belongs to, so the summary finds it. */
  readonly session?: string;
  readonly action: AuditAction;
  readonly actor: string;
  readonly result: string;
  readonly detail: string;
  readonly batchId?: string;
  /** Epoch ms; the store's clock when absent. */
  readonly at?: number;
}

/** The batches and the audit trail of one bot; a port, so tests and the sandbox may fake it. */
export interface ApprovalStore {
  create(manifest: BatchManifest): Promise<CreateResult>;
  get(batchId: string): Promise<ApprovalRecord | undefined>;
  decide(batchId: string, request: DecideRequest): Promise<DecideResult>;
  claimForExecution(batchId: string, workerId: string): Promise<ClaimResult>;
  finish(batchId: string, outcome: FinishOutcome, summary: string): Promise<FinishResult>;
  auditTrail(batchId: string): Promise<AuditEntry[]>;
  auditAttempt(entry: AuditAttempt): Promise<void>;
  /** Ids of batches approved and not finished (a crash anywhere between the two leaves one here). */
  unsettled(): Promise<string[]>;
  forgetUnsettled(batchId: string): Promise<void>;
}

export interface ApprovalStoreOptions {
  /** Epoch ms; tests pin it to cross an expiry without waiting. */
  readonly clock?: () => number;
  readonly retentionMs?: number;
}

interface Scripts {
  readonly create: LuaScript;
  readonly decide: LuaScript;
  readonly claim: LuaScript;
  readonly finish: LuaScript;
}

let scripts: Scripts | undefined;

function loadScripts(): Scripts {
  scripts ??= {
    create: LuaScript.load('create-2.lua'),
    decide: LuaScript.load('decide-3.lua'),
    claim: LuaScript.load('claim-2.lua'),
    finish: LuaScript.load('finish-3.lua'),
  };
  return scripts;
}

const actorSchema = z.string().min(1).max(200);

const decideRequestSchema = z.object({
  decision: z.enum(['approve', 'deny']),
  userId: actorSchema,
  userAllowed: z.boolean(),
  manifestHash: z.string().max(200),
  preconditionFailure: z.string().min(1).optional(),
  now: z.number().int().nonnegative().optional(),
});

/** `''` in a script reply means "no value". */
const stateOrNone = z
  .union([z.enum(APPROVAL_STATES), z.literal('')])
  .transform((s) => (s === '' ? undefined : s));
const textOrNone = z.string().transform((s) => (s === '' ? undefined : s));
const msOrNone = z
  .union([z.string().regex(/^\d+$/), z.literal('')])
  .transform((s) => (s === '' ? undefined : Number(s)));

const createReply = z.tuple([z.enum(CREATE_CODES)]);
const decideReply = z.tuple([z.enum(DECIDE_CODES), stateOrNone, textOrNone, msOrNone]);
const claimReply = z.tuple([z.enum(CLAIM_CODES), stateOrNone, textOrNone]);
const finishReply = z.tuple([z.enum(FINISH_CODES), stateOrNone]);

export class RedisApprovalStore implements ApprovalStore {
  private readonly scripts = loadScripts();
  private readonly clock: () => number;
  private readonly retentionMs: number;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly logger: Logger,
    options: ApprovalStoreOptions = {},
  ) {
    this.clock = options.clock ?? (() => Date.now());
    this.retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
  }

  batchKey(batchId: string): string {
    return `${this.prefix}:batch:${batchId}`;
  }

  get auditKey(): string {
    return `${this.prefix}:audit`;
  }

  /** Batches approved and not finished: what recovery looks at after a crash anywhere in between. */
  get unsettledKey(): string {
    return `${this.prefix}:batches:unsettled`;
  }

  async unsettled(): Promise<string[]> {
    return this.redis.smembers(this.unsettledKey);
  }

  /** Drops an id recovery found settled or gone, so the set does not grow. */
  async forgetUnsettled(batchId: string): Promise<void> {
    await this.redis.srem(this.unsettledKey, batchId);
  }

  /** Stores the manifest as `pending`. Throws a ZodError if it is not a valid manifest. */
  async create(manifest: BatchManifest): Promise<CreateResult> {
    const valid = batchManifestSchema.parse(manifest);
    const hash = manifestHash(valid);
    const now = this.clock();
    const detail = `${valid.workflow}/${valid.queue} batch ${valid.batchNumber}: ${valid.jobs.length} jobs${
      valid.dryRun ? ' (dry run)' : ''
    }`;
    const reply = await this.scripts.create.run(
      this.redis,
      [this.batchKey(valid.id), this.auditKey],
      [
        valid.id,
        JSON.stringify(valid),
        hash,
        valid.requestedBy,
        valid.createdAt,
        valid.expiresAt,
        valid.dryRun ? '1' : '0',
        now,
        this.retentionMs,
        AUDIT_MAXLEN,
        detail,
        valid.sessionId,
      ],
    );
    const [code] = createReply.parse(reply);
    if (code === 'exists')
      this.logger.warn({ batchId: valid.id }, 'batch id already taken: manifest not stored');
    return { code, manifestHash: hash };
  }

  /** Throws an ApprovalRecordError when the stored record does not read back intact. */
  async get(batchId: string): Promise<ApprovalRecord | undefined> {
    if (!batchIdSchema.safeParse(batchId).success) return undefined;
    const raw = await this.redis.hgetall(this.batchKey(batchId));
    if (Object.keys(raw).length === 0) return undefined;
    return parseApprovalRecord(batchId, raw);
  }

  async decide(batchId: string, request: DecideRequest): Promise<DecideResult> {
    const req = decideRequestSchema.parse(request);
    const now = req.now ?? this.clock();
    if (!batchIdSchema.safeParse(batchId).success) {
      // Never build a key from a tampered button value, but still leave a trace.
      await this.auditAttempt({
        action: req.decision,
        actor: req.userId,
        result: 'not-found',
        detail: 'malformed batch id',
        batchId,
        at: now,
      });
      return { code: 'not-found' };
    }
    const reply = await this.scripts.decide.run(
      this.redis,
      [this.batchKey(batchId), this.auditKey, this.unsettledKey],
      [
        batchId,
        req.decision,
        req.userId,
        req.userAllowed ? '1' : '0',
        req.manifestHash,
        now,
        AUDIT_MAXLEN,
        (req.preconditionFailure ?? '').slice(0, MAX_SUMMARY),
      ],
    );
    const [code, state, decidedBy, decidedAt] = decideReply.parse(reply);
    const log = { batchId, userId: req.userId, decision: req.decision, code };
    // Double clicks and late clicks are routine; a rule broken on purpose or a stale plan is worth a warning.
    const suspicious = code === 'self-approval' || code === 'not-an-approver' || code === 'hash-mismatch';
    if (suspicious) this.logger.warn(log, 'batch decision refused');
    else
      this.logger.info(
        log,
        code === 'approved' || code === 'denied' ? 'batch decided' : 'batch decision refused',
      );
    return { code, state, decidedBy, decidedAt };
  }

  /** `claimed` means the caller, and only the caller, executes the batch now. */
  async claimForExecution(batchId: string, workerId: string): Promise<ClaimResult> {
    const worker = actorSchema.parse(workerId);
    if (!batchIdSchema.safeParse(batchId).success) return { code: 'not-found' };
    const reply = await this.scripts.claim.run(
      this.redis,
      [this.batchKey(batchId), this.auditKey],
      [batchId, worker, this.clock(), AUDIT_MAXLEN],
    );
    const [code, state, claimedBy] = claimReply.parse(reply);
    this.logger.info({ batchId, workerId: worker, code }, 'batch claim');
    return { code, state, claimedBy };
  }

  async finish(batchId: string, outcome: FinishOutcome, summary: string): Promise<FinishResult> {
    if (!batchIdSchema.safeParse(batchId).success) return { code: 'not-found' };
    const reply = await this.scripts.finish.run(
      this.redis,
      [this.batchKey(batchId), this.auditKey, this.unsettledKey],
      [batchId, outcome, summary.slice(0, MAX_SUMMARY), this.clock(), AUDIT_MAXLEN],
    );
    const [code, state] = finishReply.parse(reply);
    this.logger.info({ batchId, outcome, code }, 'batch finish');
    return { code, state };
  }

  auditTrail(batchId: string): Promise<AuditEntry[]> {
    return readAudit(this.redis, this.auditKey, { batchId });
  }

  /**
   * An attempt that never reached a batch record (a refused plan, a malformed
   * button value): still one audit line, with no batch state to move.
   */
  async auditAttempt(entry: AuditAttempt): Promise<void> {
    await this.redis.xadd(
      this.auditKey,
      'MAXLEN',
      '~',
      AUDIT_MAXLEN,
      '*',
      'at',
      entry.at ?? this.clock(),
      'batch',
      (entry.batchId ?? '').slice(0, 64),
      'action',
      entry.action,
      'actor',
      entry.actor.slice(0, 200),
      'result',
      entry.result.slice(0, 64),
      'from',
      '',
      'to',
      '',
      'detail',
      entry.detail.slice(0, MAX_SUMMARY),
      'session',
      (entry.session ?? '').slice(0, 200),
    );
  }
}
