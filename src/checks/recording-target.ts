import { HeadBucketCommand, HeadObjectCommand, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { RecordingPayload } from '../workflows/recordings';
import { createTtlCache } from './cache';
import { withDeadline } from './deadline';
import type { Limiter } from './limit';
import { failed, passed, unknown } from './result';
import { s3Answer, type S3Answer } from './s3-errors';
import type { CheckResult, WorkflowTargetCheck } from './types';
import { createRecordingsS3Client } from '../probes/s3-client';

export interface RecordingTargetOptions {
  /** RECORDINGS_BUCKET; without it every check is `unknown`. */
  readonly bucket?: string;
  /** S3_ENDPOINT for an S3-compatible store; switches to path-style addressing. */
  readonly s3Endpoint?: string;
  readonly region: string;
  /** Per-request deadline. */
  readonly timeoutMs: number;
  /** Defaults to the SDK's provider chain; tests pass static fake keys. */
  readonly credentials?: S3ClientConfig['credentials'];
  readonly limit: Limiter;
  readonly cacheTtlMs: number;
}

export type RecordingTarget = Pick<RecordingPayload, 'sourceKey'>;

const notConfigured: WorkflowTargetCheck<RecordingTarget> = {
  check: () => Promise.resolve(unknown('not configured: set RECORDINGS_BUCKET')),
  close: () => Promise.resolve(),
};

/**
 * Recordings: `HeadObject` on the job's `sourceKey` in the recordings bucket.
 * A 404 is a `fail` only once the bucket itself is confirmed to exist (one
 * `HeadBucket` per checker, and only after a 404): a HEAD cannot tell "no such
 * key" from "no such bucket", and a mistyped RECORDINGS_BUCKET must not read
 * as every recording having vanished.
 */
export function createRecordingTargetCheck(
  options: RecordingTargetOptions,
): WorkflowTargetCheck<RecordingTarget> {
  const { bucket, s3Endpoint, region, timeoutMs, credentials, limit, cacheTtlMs } = options;
  if (bucket === undefined) return notConfigured;
  // One client for the checker's life; one attempt per request: a check reports, it does not insist.
  const client = createRecordingsS3Client({ region, s3Endpoint, timeoutMs, credentials });
  // S3 not answering (`unknown`, `other`) is asked again next time, not remembered.
  const objects = createTtlCache<CheckResult>(cacheTtlMs, undefined, (r) => r.status !== 'unknown');
  const bucketAnswers = createTtlCache<S3Answer>(cacheTtlMs, undefined, (a) => a.kind !== 'other');

  const head = (what: string, send: (signal: AbortSignal) => Promise<unknown>): Promise<S3Answer> =>
    limit(() =>
      withDeadline<S3Answer>(
        timeoutMs,
        async (signal) => {
          await send(signal);
          return { kind: 'found' };
        },
        {
          onTimeout: () => ({ kind: 'other', text: `S3 did not answer within ${timeoutMs} ms` }),
          onError: (error) => s3Answer(error, what, timeoutMs),
        },
      ),
    );

  const headBucket = () =>
    bucketAnswers.get('bucket', () =>
      head(`bucket ${bucket}`, (abortSignal) =>
        client.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal }),
      ),
    );

  const checkKey = async (key: string): Promise<CheckResult> => {
    const object = await head(`source object ${key}`, (abortSignal) =>
      client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), { abortSignal }),
    );
    if (object.kind === 'found') return passed(`source object ${key} exists`);
    if (object.kind === 'other') return unknown(object.text);
    // Asked outside the object's slot: nesting two slots could deadlock a limiter of one.
    const container = await headBucket();
    if (container.kind === 'found') return failed(`source object ${key} does not exist`);
    if (container.kind === 'missing')
      return unknown(`bucket ${bucket} does not exist: check RECORDINGS_BUCKET`);
    return unknown(
      `source object ${key} not found, but bucket ${bucket} could not be confirmed: ${container.text}`,
    );
  };

  return {
    check: ({ sourceKey }) => objects.get(sourceKey, () => checkKey(sourceKey)),
    close: () => {
      client.destroy();
      return Promise.resolve();
    },
  };
}
