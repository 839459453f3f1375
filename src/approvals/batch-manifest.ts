import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { isEnqueueJobIdFor, WORKFLOW_IDS } from '../workflows';

/** How long an approval request stays clickable unless the planner says otherwise (issue 4, item 4). */
export const DEFAULT_MANIFEST_TTL_MS = 15 * 60_000;

/**
 * Far above any ladder step: a manifest this large is a bug, and a bound keeps
 * one stored record (and the hash over it) from growing without limit.
 */
export const MAX_MANIFEST_JOBS = 10_000;

/**
 * Stands for "the job has no stored payload". Not the SHA-256 of anything we
 * can hash, so an absent payload never matches an empty or a `null` one.
 */
export const NO_PAYLOAD_SHA256 = '0'.repeat(64);

/** `b-` and 12 hex digits: no `:` (it is part of a Redis key) and never all digits. */
export const batchIdSchema = z.string().regex(/^b-[0-9a-f]{12}$/, 'not a batch id');

export const sha256HexSchema = z.string().regex(/^[0-9a-f]{64}$/, 'not a lowercase SHA-256 hex digest');

const nonEmpty = z.string().min(1).max(200);
const epochMs = z.number().int().nonnegative();

/** Largest payload an enqueue job may carry: far above any template, small enough to store in a manifest. */
export const MAX_ENQUEUE_DATA_BYTES = 64 * 1024;

/**
 * What a batch does to its jobs: `replay` moves given-up jobs out of `failed`;
 * `enqueue` adds never-enqueued jobs built from the workflow's template.
 * Absent (manifests stored before enqueue existed) means `replay`.
 */
export const MANIFEST_KINDS = ['replay', 'enqueue'] as const;
export type ManifestKind = (typeof MANIFEST_KINDS)[number];

/**
 * The payload exactly as BullMQ will store it: `Queue.add` stores
 * `JSON.stringify(data)`, so only text that survives a parse-and-stringify
 * unchanged is accepted, and the approved SHA-256 is the stored bytes' SHA-256.
 */
function isCanonicalJsonObject(data: string): boolean {
  try {
    const parsed: unknown = JSON.parse(data);
    return (
      typeof parsed === 'object' &&
      parsed !== null &&
      !Array.isArray(parsed) &&
      JSON.stringify(parsed) === data
    );
  } catch {
    return false;
  }
}

/** The job an enqueue batch adds: BullMQ job name and payload text. */
export const enqueueSpecSchema = z.object({
  name: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[^\s:]+$/, 'no spaces or colons'),
  data: z
    .string()
    .refine((data) => Buffer.byteLength(data, 'utf8') <= MAX_ENQUEUE_DATA_BYTES, 'payload over 64 KB')
    .refine(isCanonicalJsonObject, 'payload is not a JSON object as JSON.stringify writes it'),
});

export type EnqueueSpec = Readonly<z.infer<typeof enqueueSpecSchema>>;

const cohortSchema = z.object({
  tenant: z.string().optional(),
  reason: z.string().optional(),
  handler: z.string().optional(),
});

export const manifestJobSchema = z.object({
  id: z.string().min(1).max(256),
  payloadSha256: sha256HexSchema,
  /** Only (and always) in an `enqueue` manifest. */
  enqueue: enqueueSpecSchema.optional(),
  /**
   * Replays: when the job last failed (its `finishedOn`) at plan time. A job
   * retried elsewhere and failed again since (perhaps on a Stripe 4xx) has
   * another, and is not the job the approver saw.
   */
  failedAt: epochMs.optional(),
});

export const batchManifestSchema = z
  .object({
    id: batchIdSchema,
    kind: z.enum(MANIFEST_KINDS).default('replay'),
    sessionId: nonEmpty,
    teamId: nonEmpty,
    channelId: nonEmpty,
    workflow: z.enum(WORKFLOW_IDS),
    queue: nonEmpty,
    cohort: cohortSchema,
    /** Cohorts the operator left out (`--exclude`): the sample gate is re-checked with them at click time. */
    exclude: z.array(cohortSchema).max(20).optional(),
    jobs: z.array(manifestJobSchema).min(1).max(MAX_MANIFEST_JOBS),
    batchNumber: z.number().int().min(1),
    requestedBy: nonEmpty,
    createdAt: epochMs,
    expiresAt: epochMs,
    dryRun: z.boolean(),
  })
  .superRefine((manifest, ctx) => {
    if (manifest.expiresAt <= manifest.createdAt) {
      ctx.addIssue({ code: 'custom', path: ['expiresAt'], message: 'must be after createdAt' });
    }
    // A job listed twice would be replayed twice by anything that walks the list.
    const seen = new Set<string>();
    manifest.jobs.forEach((job, index) => {
      if (seen.has(job.id)) {
        ctx.addIssue({ code: 'custom', path: ['jobs', index, 'id'], message: `job ${job.id} listed twice` });
      }
      seen.add(job.id);
      checkJobKind(manifest.kind, manifest.workflow, job, index, ctx);
    });
  });

/** An enqueue manifest adds exactly what was approved, under ids only enqueue makes; a replay adds nothing. */
function checkJobKind(
  kind: ManifestKind,
  workflow: (typeof WORKFLOW_IDS)[number],
  job: z.infer<typeof manifestJobSchema>,
  index: number,
  ctx: z.RefinementCtx,
): void {
  const issue = (message: string, ...path: string[]) =>
    ctx.addIssue({ code: 'custom', path: ['jobs', index, ...path], message });
  if (kind === 'replay') {
    if (job.enqueue) issue('a replay job carries no payload to enqueue', 'enqueue');
    return;
  }
  if (!job.enqueue) return issue('an enqueue job needs its name and payload', 'enqueue');
  if (payloadSha256(job.enqueue.data) !== job.payloadSha256) {
    issue('payloadSha256 is not the SHA-256 of the payload', 'payloadSha256');
  }
  if (!isEnqueueJobIdFor(workflow, job.id)) issue(`not an enqueue job id for ${workflow}`, 'id');
}

export type ManifestJob = Readonly<Omit<z.infer<typeof manifestJobSchema>, 'enqueue'>> & {
  readonly enqueue?: EnqueueSpec;
};

/** A frozen list of exactly the jobs one batch may replay; approvals bind to its hash. */
export type BatchManifest = Readonly<
  Omit<z.infer<typeof batchManifestSchema>, 'jobs' | 'cohort'> & {
    cohort: Readonly<z.infer<typeof batchManifestSchema>['cohort']>;
    jobs: readonly ManifestJob[];
  }
>;

/** Everything but what the store decides itself; `expiresAt` defaults to 15 minutes, `kind` to `replay`. */
export type BatchManifestInput = Omit<BatchManifest, 'id' | 'kind' | 'createdAt' | 'expiresAt'> & {
  readonly id?: string;
  readonly kind?: ManifestKind;
  readonly createdAt?: number;
  readonly expiresAt?: number;
};

export function newBatchId(): string {
  return `b-${randomBytes(6).toString('hex')}`;
}

/**
 * SHA-256 of a job's payload exactly as stored (the raw string, not a
 * re-serialisation, so key order and number literals count), so `sha256sum`
 * on the stored text gives the same digest. `null` is "no payload".
 */
export function payloadSha256(raw: string | null): string {
  if (raw === null) return NO_PAYLOAD_SHA256;
  return createHash('sha256').update(raw, 'utf8').digest('hex');
}

/** Validates and freezes: what an approver sees must be what runs. Throws a ZodError on bad input. */
export function createBatchManifest(input: BatchManifestInput, now: number = Date.now()): BatchManifest {
  const createdAt = input.createdAt ?? now;
  const manifest = batchManifestSchema.parse({
    ...input,
    id: input.id ?? newBatchId(),
    createdAt,
    expiresAt: input.expiresAt ?? createdAt + DEFAULT_MANIFEST_TTL_MS,
    cohort: { ...input.cohort },
    jobs: input.jobs.map((job) => ({
      id: job.id,
      payloadSha256: job.payloadSha256,
      ...(job.enqueue ? { enqueue: { name: job.enqueue.name, data: job.enqueue.data } } : {}),
      ...(job.failedAt !== undefined ? { failedAt: job.failedAt } : {}),
    })),
  });
  return freezeManifest(manifest);
}

export function freezeManifest(manifest: z.infer<typeof batchManifestSchema>): BatchManifest {
  return Object.freeze({
    ...manifest,
    cohort: Object.freeze({ ...manifest.cohort }),
    jobs: Object.freeze(
      manifest.jobs.map((job) =>
        Object.freeze({ ...job, ...(job.enqueue ? { enqueue: Object.freeze({ ...job.enqueue }) } : {}) }),
      ),
    ),
  });
}

/** Code-unit order: `localeCompare` depends on the process's locale, a hash must not. */
function byId(a: ManifestJob, b: ManifestJob): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * The digest an approval binds to. A JSON array of strings and numbers has one
 * serialisation, so this is canonical without a canonical-JSON library; a
 * version tag lets the layout change without old hashes matching new ones.
 *
 * Covered: id, workflow, queue, every job id with its payload hash (sorted, so
 * order does not matter but membership does), batch number, requester, expiry,
 * and the dry-run flag — approving a dry run must never authorise a real one.
 * Not covered: session, team, channel and cohort labels, which describe the
 * batch but do not change what it replays.
 *
 * An `enqueue` manifest also covers its kind (approving a replay must never
 * authorise an enqueue, nor the reverse) and, per job, the job name and the
 * SHA-256 of the payload text itself (not only the declared hash, so a
 * manifest that skipped the schema still cannot swap payloads). A replay's
 * array is unchanged, so hashes stored before `kind` existed still match.
 */
export function manifestHash(manifest: BatchManifest): string {
  const enqueue = manifest.kind === 'enqueue';
  const jobs = [...manifest.jobs]
    .sort(byId)
    .map((job) =>
      enqueue
        ? [job.id, job.payloadSha256, job.enqueue?.name ?? null, payloadSha256(job.enqueue?.data ?? null)]
        : job.failedAt === undefined
          ? [job.id, job.payloadSha256]
          : [job.id, job.payloadSha256, job.failedAt],
    );
  const canonical = JSON.stringify([
    'stuckjobs-manifest-v1',
    manifest.id,
    manifest.workflow,
    manifest.queue,
    jobs,
    manifest.batchNumber,
    manifest.requestedBy,
    manifest.expiresAt,
    manifest.dryRun,
    ...(enqueue ? ['enqueue'] : []),
  ]);
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}
