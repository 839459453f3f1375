import type { Redis } from 'ioredis';
import { payloadSha256 } from '../../../src/approvals/batch-manifest';
import type { ReplayBatch } from '../../../src/runbook/replay/types';
import { enqueueJobId, fillTemplate } from '../../../src/workflows/enqueue-template';
import { recordingsWorkflow } from '../../../src/workflows/recordings';
import { randomBatchId } from './helpers';

export const RECORDINGS = 'recording-postprocess';

/** The job the default recordings template builds for one recording id of tenant acme. */
export function recordingJob(recordingId: string): ReplayBatch['jobs'][number] {
  const data = JSON.stringify(
    fillTemplate(recordingsWorkflow.enqueue!.template, { id: recordingId, tenant: 'acme' }),
  );
  return {
    id: enqueueJobId('recordings', recordingId),
    payloadSha256: payloadSha256(data),
    enqueue: { name: 'transmux-recording', data },
  };
}

/** An approved enqueue batch, as batchFromManifest makes it, without the planning around it. */
export function enqueueBatchOf(
  prefix: string,
  recordingIds: readonly string[],
  id = randomBatchId(),
): ReplayBatch {
  return {
    id,
    kind: 'enqueue',
    queuePrefix: prefix,
    queue: RECORDINGS,
    jobs: recordingIds.map(recordingJob),
  };
}

/**
 * How many times BullMQ created each job id, by its own record: storeJob.lua
 * XADDs `event added jobId <id>` exactly when it writes a new job hash, and an
 * add of an existing id writes `duplicated` instead.
 */
export async function eventsPerJob(
  redis: Redis,
  prefix: string,
  queue: string,
  event: 'added' | 'duplicated',
): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const [, fields] of await redis.xrange(`${prefix}:${queue}:events`, '-', '+')) {
    const value = (name: string): string | undefined => {
      const at = fields.indexOf(name);
      return at >= 0 && at % 2 === 0 ? fields[at + 1] : undefined;
    };
    const jobId = value('jobId');
    if (value('event') === event && jobId !== undefined) counts.set(jobId, (counts.get(jobId) ?? 0) + 1);
  }
  return counts;
}
