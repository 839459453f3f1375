import { Readable } from 'node:stream';
import {
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { createLimiter } from '../../../src/checks/limit';
import { createRecordingTargetCheck } from '../../../src/checks/recording-target';
import { createRecordingsProbe } from '../../../src/probes/recordings';
import { startS3StandIn, type S3StandIn } from '../../../src/sandbox/demo/s3-stand-in';

describe('S3 stand-in', () => {
  let s3: S3StandIn;
  let client: S3Client;

  beforeAll(async () => {
    s3 = await startS3StandIn();
    // The SDK's defaults, flexible checksums included: PUT bodies arrive aws-chunked with a trailer.
    client = new S3Client({
      region: 'us-east-1',
      endpoint: s3.url,
      forcePathStyle: true,
      credentials: s3.credentials,
      maxAttempts: 1,
    });
  });
  afterAll(async () => {
    client.destroy();
    await s3.close();
  });

  it('stores a PUT from the real SDK (aws-chunked with a checksum trailer) and serves it back', async () => {
    const body = Buffer.from('RIFF....WAVE some audio bytes');
    await client.send(
      new PutObjectCommand({ Bucket: s3.bucket, Key: 'recordings/acme/r1/source.wav', Body: body }),
    );
    expect(s3.object('recordings/acme/r1/source.wav')?.body.equals(body)).toBe(true);
    // A buffer goes up plain, its checksum in a header; a stream goes aws-chunked with a trailer.
    await client.send(
      new PutObjectCommand({
        Bucket: s3.bucket,
        Key: 'recordings/acme/r2/source.wav',
        Body: Readable.from([body.subarray(0, 5), body.subarray(5)]),
        ContentLength: body.length,
      }),
    );
    expect(s3.object('recordings/acme/r2/source.wav')?.body.equals(body)).toBe(true);
    expect(s3.requests.filter((r) => r.method === 'PUT').map((r) => r.chunked)).toEqual([false, true]);

    const got = await client.send(
      new GetObjectCommand({ Bucket: s3.bucket, Key: 'recordings/acme/r1/source.wav' }),
    );
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true);
    const head = await client.send(
      new HeadObjectCommand({ Bucket: s3.bucket, Key: 'recordings/acme/r1/source.wav' }),
    );
    expect(head.ContentLength).toBe(body.length);
    expect(head.ETag).toBe(s3.object('recordings/acme/r1/source.wav')?.etag);
  });

  it('answers NoSuchKey and NoSuchBucket as S3 does', async () => {
    const missing = client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: 'recordings/nope.wav' }));
    await expect(missing).rejects.toMatchObject({
      name: 'NoSuchKey',
      message: 'The specified key does not exist.',
      $metadata: { httpStatusCode: 404 },
    });
    await expect(
      client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: 'recordings/nope.wav' })),
    ).rejects.toMatchObject({ name: 'NotFound', $metadata: { httpStatusCode: 404 } });
    await expect(client.send(new GetObjectCommand({ Bucket: 'other', Key: 'k' }))).rejects.toMatchObject({
      name: 'NoSuchBucket',
      $metadata: { httpStatusCode: 404 },
    });
    await expect(client.send(new HeadBucketCommand({ Bucket: s3.bucket }))).resolves.toBeDefined();
  });

  it('refuses an unsigned request with 403 AccessDenied', async () => {
    const res = await fetch(`${s3.url}/${s3.bucket}/recordings/acme/r1/source.wav`);
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('<Code>AccessDenied</Code>');
  });

  it("satisfies the bot's recordings probe and target check", async () => {
    const probe = createRecordingsProbe({
      enabled: true,
      bucket: s3.bucket,
      s3Endpoint: s3.url,
      region: 'us-east-1',
      timeoutMs: 5_000,
      credentials: s3.credentials,
    });
    await expect(probe()).resolves.toMatchObject({ status: 'ok' });

    const check = createRecordingTargetCheck({
      bucket: s3.bucket,
      s3Endpoint: s3.url,
      region: 'us-east-1',
      timeoutMs: 5_000,
      credentials: s3.credentials,
      limit: createLimiter(4),
      cacheTtlMs: 0,
    });
    try {
      await expect(check.check({ sourceKey: 'recordings/acme/r1/source.wav' })).resolves.toMatchObject({
        status: 'pass',
      });
      await expect(check.check({ sourceKey: 'recordings/acme/gone/source.wav' })).resolves.toMatchObject({
        status: 'fail',
      });
    } finally {
      await check.close();
    }
  });
});
