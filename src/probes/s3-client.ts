import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';

export interface RecordingsS3Options {
  readonly region: string;
  readonly s3Endpoint?: string;
  readonly timeoutMs: number;
  readonly credentials?: S3ClientConfig['credentials'];
}

/**
 * The recordings bucket's client, as the probe and the checks use it: one
 * attempt per request (a check reports, it does not insist), our own
 * timeouts, and path-style addressing for a custom endpoint.
 */
export function createRecordingsS3Client(options: RecordingsS3Options): S3Client {
  return new S3Client({
    region: options.region,
    maxAttempts: 1,
    requestHandler: { requestTimeout: options.timeoutMs, connectionTimeout: options.timeoutMs },
    ...(options.s3Endpoint ? { endpoint: options.s3Endpoint, forcePathStyle: true } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  });
}
