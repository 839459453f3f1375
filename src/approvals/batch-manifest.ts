import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { WORKFLOW_IDS } from '../workflows';

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

export const manifestJobSchema = z.object({
  id: z.string().min(1).max(256),
  payloadSha256: sha256HexSchema,
});

export const batchManifestSchema = z
  .object({
    id: batchIdSchema,
    sessionId: nonEmpty,
    teamId: nonEmpty,
    channelId: nonEmpty,
    workflow: z.enum(WORKFLOW_IDS),
    queue: nonEmpty,
    cohort: z.object({
      tenant: z.string().optional(),
      reason: z.string().optional(),
      handler: z.string().optional(),
    }),
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
    });
  });

export type ManifestJob = Readonly<z.infer<typeof manifestJobSchema>>;

/** A frozen list of exactly the jobs one batch may replay; approvals bind to its hash. */
export type BatchManifest = Readonly<
  Omit<z.infer<typeof batchManifestSchema>, 'jobs' | 'cohort'> & {
    cohort: Readonly<z.infer<typeof batchManifestSchema>['cohort']>;
    jobs: readonly ManifestJob[];
  }
>;

/** Everything but what the store decides itself; `expiresAt` defaults to 15 minutes. */
export type BatchManifestInput = Omit<BatchManifest, 'id' | 'createdAt' | 'expiresAt'> & {
  readonly id?: string;
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
    jobs: input.jobs.map((job) => ({ id: job.id, payloadSha256: job.payloadSha256 })),
  });
  return freezeManifest(manifest);
}

export function freezeManifest(manifest: z.infer<typeof batchManifestSchema>): BatchManifest {
  return Object.freeze({
    ...manifest,
    cohort: Object.freeze({ ...manifest.cohort }),
    jobs: Object.freeze(manifest.jobs.map((job) => Object.freeze({ ...job }))),
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
 */
export function manifestHash(manifest: BatchManifest): string {
  const jobs = [...manifest.jobs].sort(byId).map((job) => [job.id, job.payloadSha256]);
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
  ]);
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}
