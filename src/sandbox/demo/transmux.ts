import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { UnrecoverableError, type Job } from 'bullmq';
import { recordingPayloadSchema } from '../../workflows/recordings';
import { isLoopbackUrl } from './listen';
import { noSuchKeyReason } from './seed-recordings';

/**
 * The demo's `transmux-recording` handler: reads the source from the S3
 * stand-in and writes the output key. A missing source fails the job with
 * `NoSuchKey: The specified key does not exist. (<key>)`, as the seed's reasons read.
 */

export interface DemoS3Target {
  readonly endpoint: string;
  readonly bucket: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

export interface TransmuxResult {
  readonly outputKey: string;
  readonly bytes: number;
}

/** The "transmuxed" output: an ID3-tagged wrapper of the source, enough to tell it apart. */
export function transmuxed(source: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from('ID3\u0004\u0000\u0000demo-transmux\n', 'latin1'), source]);
}

export function createDemoS3Client(target: DemoS3Target, timeoutMs: number): S3Client {
  if (!isLoopbackUrl(target.endpoint)) {
    throw new Error(`demo worker talks only to the loopback S3 stand-in, not ${target.endpoint}`);
  }
  return new S3Client({
    region: 'us-east-1',
    endpoint: target.endpoint,
    forcePathStyle: true,
    credentials: { ...target.credentials },
    maxAttempts: 1,
    // No aws-chunked bodies with checksum trailers: one plain PUT per output.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    requestHandler: { requestTimeout: timeoutMs, connectionTimeout: timeoutMs },
  });
}

const nameOf = (error: unknown): string =>
  typeof (error as { name?: unknown } | null)?.name === 'string' ? (error as { name: string }).name : 'Error';
const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export function transmuxRecording(client: S3Client, bucket: string) {
  return async (job: Job): Promise<TransmuxResult> => {
    const parsed = recordingPayloadSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`invalid recording payload: ${parsed.error.message}`);
    const { sourceKey, outputKey } = parsed.data;
    let source: Uint8Array;
    try {
      const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: sourceKey }));
      if (!object.Body) throw new Error('GetObject answered without a body');
      source = await object.Body.transformToByteArray();
    } catch (error) {
      if (nameOf(error) === 'NoSuchKey') throw new Error(noSuchKeyReason(sourceKey));
      throw new Error(`${nameOf(error)}: ${messageOf(error)} (GetObject ${sourceKey})`);
    }
    const output = transmuxed(source);
    try {
      await client.send(
        new PutObjectCommand({ Bucket: bucket, Key: outputKey, Body: output, ContentType: 'audio/mpeg' }),
      );
    } catch (error) {
      throw new Error(`${nameOf(error)}: ${messageOf(error)} (PutObject ${outputKey})`);
    }
    return { outputKey, bytes: output.length };
  };
}
