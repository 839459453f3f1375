import { z } from 'zod';
import { CodedError, ErrorCode } from '../errors';
import type { ApprovalRecord } from './approval-types';
import { APPROVAL_STATES } from './approval-types';
import { batchManifestSchema, freezeManifest, manifestHash, sha256HexSchema } from './batch-manifest';

/** A stored batch that does not read back as written: nothing may act on it. */
export class ApprovalRecordError extends CodedError {
  override name = 'ApprovalRecordError';
  constructor(batchId: string, problem: string) {
    super(ErrorCode.Unknown, `batch ${batchId}: stored record is unusable (${problem})`);
  }
}

const epochMs = z
  .string()
  .regex(/^\d+$/)
  .transform((s) => Number(s));

/** The hash fields the Lua scripts write (see `lua/*.lua`); all strings in Redis. */
const storedSchema = z.object({
  manifest: z.string(),
  hash: sha256HexSchema,
  state: z.enum(APPROVAL_STATES),
  requestedBy: z.string(),
  createdAt: epochMs,
  expiresAt: epochMs,
  dryRun: z.enum(['0', '1']),
  decision: z.enum(['approve', 'deny']).optional(),
  decidedBy: z.string().optional(),
  decidedAt: epochMs.optional(),
  claimedBy: z.string().optional(),
  claimedAt: epochMs.optional(),
  finishedAt: epochMs.optional(),
  summary: z.string().optional(),
});

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

/**
 * HGETALL -> record, failing closed. The scripts decide on the flat fields
 * (requester, expiry, hash, dry run) while the executor will run the JSON
 * manifest's jobs; both were written together, so any disagreement means the
 * record was edited behind the store's back, and it is refused.
 */
export function parseApprovalRecord(batchId: string, raw: Record<string, string>): ApprovalRecord {
  const stored = storedSchema.safeParse(raw);
  if (!stored.success) {
    throw new ApprovalRecordError(batchId, stored.error.issues[0]?.message ?? 'bad fields');
  }
  const fields = stored.data;
  const parsed = batchManifestSchema.safeParse(parseJson(fields.manifest));
  if (!parsed.success) throw new ApprovalRecordError(batchId, 'manifest does not parse');
  const manifest = freezeManifest(parsed.data);
  if (manifest.id !== batchId) throw new ApprovalRecordError(batchId, `manifest is for ${manifest.id}`);
  if (manifestHash(manifest) !== fields.hash) throw new ApprovalRecordError(batchId, 'manifest hash differs');
  if (
    manifest.requestedBy !== fields.requestedBy ||
    manifest.expiresAt !== fields.expiresAt ||
    manifest.createdAt !== fields.createdAt ||
    manifest.dryRun !== (fields.dryRun === '1')
  ) {
    throw new ApprovalRecordError(batchId, 'fields disagree with the manifest');
  }
  return {
    manifest,
    manifestHash: fields.hash,
    state: fields.state,
    decision: fields.decision,
    decidedBy: fields.decidedBy,
    decidedAt: fields.decidedAt,
    claimedBy: fields.claimedBy,
    claimedAt: fields.claimedAt,
    finishedAt: fields.finishedAt,
    summary: fields.summary,
  };
}
