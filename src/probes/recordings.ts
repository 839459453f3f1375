import { HeadBucketCommand, type S3ClientConfig } from '@aws-sdk/client-s3';
import { errorMessage } from '../errors';
import { describeNetworkError, errorCode, oneLine } from './net-errors';
import { safeProbe, type ProbeOutcome } from './safe-probe';
import type { ProbeResult, ProbeStatus, RecordingsDetails } from './types';
import { createRecordingsS3Client } from './s3-client';

export interface RecordingsProbeOptions {
  /** RECORDING_ENABLED; `undefined` when unset. */
  readonly enabled?: boolean;
  readonly bucket?: string;
  /** S3_ENDPOINT for an S3-compatible store; switches to path-style addressing. */
  readonly s3Endpoint?: string;
  readonly region: string;
  readonly timeoutMs: number;
  /** Defaults to the SDK's provider chain; tests pass static fake keys. */
  readonly credentials?: S3ClientConfig['credentials'];
}

interface BucketAnswer {
  readonly status: ProbeStatus;
  readonly text: string;
}

function statusOf(error: unknown): number | undefined {
  const meta = (error as { $metadata?: { httpStatusCode?: unknown } } | null)?.$metadata;
  return typeof meta?.httpStatusCode === 'number' ? meta.httpStatusCode : undefined;
}

function answerOf(error: unknown, bucket: string, timeoutMs: number): BucketAnswer {
  const http = statusOf(error);
  if (http === 403)
    return {
      status: 'down',
      text: `access denied to bucket ${bucket} (HTTP 403): check the bot's S3 policy`,
    };
  if (http === 404)
    return { status: 'down', text: `no such bucket ${bucket} (HTTP 404): check RECORDINGS_BUCKET` };
  if (http === 301)
    return { status: 'down', text: `bucket ${bucket} is in another region (HTTP 301): check AWS_REGION` };
  // Any 5xx (503 SlowDown included) is down, not degraded: the replay precondition is a healthy
  // bucket, and replaying uploads into a store that fails or throttles now only re-fails the jobs.
  if (http !== undefined && http >= 500)
    return { status: 'down', text: `bucket ${bucket} store error (HTTP ${http})` };
  if (http !== undefined)
    return { status: 'down', text: `bucket ${bucket} refused HeadBucket (HTTP ${http})` };
  const name = error instanceof Error ? error.name : '';
  if (name === 'CredentialsProviderError') {
    return {
      status: 'unknown',
      text: `no AWS credentials to check bucket ${bucket}: ${oneLine(errorMessage(error))}`,
    };
  }
  if (name === 'TimeoutError')
    return { status: 'down', text: `S3 bucket ${bucket} did not answer within ${timeoutMs} ms` };
  if (errorCode(error) !== undefined)
    return { status: 'down', text: `cannot reach S3 for ${bucket}: ${describeNetworkError(error)}` };
  return { status: 'down', text: `HeadBucket ${bucket} failed: ${oneLine(errorMessage(error))}` };
}

/**
 * Whether recordings can be written now: RECORDING_ENABLED and a `HeadBucket`
 * on the recordings bucket. Unset RECORDING_ENABLED caps the result at `degraded`.
 */
export function createRecordingsProbe(
  options: RecordingsProbeOptions,
): () => Promise<ProbeResult<RecordingsDetails>> {
  const { enabled, bucket, s3Endpoint, region, timeoutMs, credentials } = options;
  const details: RecordingsDetails = { enabled: enabled ?? null, ...(bucket ? { bucket } : {}) };
  return async () => {
    if (enabled === false) {
      return {
        probe: 'recordings',
        status: 'down',
        reason: 'RECORDING_ENABLED is false: recordings are off',
        latencyMs: 0,
        details,
      };
    }
    if (bucket === undefined) {
      return {
        probe: 'recordings',
        status: 'unknown',
        reason: 'not configured: set RECORDINGS_BUCKET',
        latencyMs: 0,
        details,
      };
    }
    const deadline = { timeoutMs, onTimeout: 'down' as const, subject: `S3 bucket ${bucket}` };
    return safeProbe('recordings', deadline, async (signal): Promise<ProbeOutcome<RecordingsDetails>> => {
      const client = createRecordingsS3Client({ region, s3Endpoint, timeoutMs, credentials });
      let answer: BucketAnswer;
      try {
        await client.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal: signal });
        answer = { status: 'ok', text: `bucket ${bucket} reachable` };
      } catch (error) {
        if (signal.aborted) throw error;
        answer = answerOf(error, bucket, timeoutMs);
      } finally {
        client.destroy();
      }
      if (enabled === true) return { status: answer.status, reason: answer.text, details };
      const unset = 'RECORDING_ENABLED is unset: set it to true once recordings are meant to be on';
      const status = answer.status === 'ok' ? 'degraded' : answer.status;
      return { status, reason: `${answer.text}; ${unset}`, details };
    });
  };
}
