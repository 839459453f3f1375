import { batchManifestSchema, type BatchManifest } from '../../approvals/batch-manifest';
import { ReplayError, ReplayErrorCode } from './errors';
import { replayBatchSchema, type ReplayBatch } from './types';

/**
 * The executor's batch for an approved manifest: its id, queue and exactly its
 * jobs, each with the payload hash the approval bound to (and, for `enqueue`,
 * the job to add). The manifest is parsed again first, so a record edited
 * behind the store's back (an enqueue job's payload not matching its hash, a
 * replay job carrying a payload) throws here instead of running.
 *
 * Throws for a dry run: approving a dry run never authorises a real one, and
 * this is the last point before the executor where that can be enforced.
 */
export function batchFromManifest(manifest: BatchManifest, queuePrefix: string): ReplayBatch {
  const valid = batchManifestSchema.parse(manifest);
  if (valid.dryRun) {
    throw new ReplayError(
      ReplayErrorCode.DryRun,
      `batch ${valid.id} is a dry run: it has nothing to execute`,
      valid.id,
    );
  }
  return replayBatchSchema.parse({
    id: valid.id,
    // A replay batch keeps its pre-`kind` shape: the journal stores it as such.
    ...(valid.kind === 'enqueue' ? { kind: 'enqueue' } : {}),
    queuePrefix,
    queue: valid.queue,
    jobs: valid.jobs.map((job) => ({
      id: job.id,
      payloadSha256: job.payloadSha256,
      ...(valid.kind === 'enqueue' && job.enqueue
        ? { enqueue: { name: job.enqueue.name, data: job.enqueue.data } }
        : {}),
      ...(job.failedAt !== undefined ? { failedAt: job.failedAt } : {}),
    })),
  });
}
