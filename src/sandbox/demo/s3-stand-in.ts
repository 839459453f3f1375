import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodeAwsChunked, MalformedChunkError } from './aws-chunked';
import { listen } from './listen';

/**
 * The demo's recordings bucket: a path-style S3 on loopback with one bucket.
 * It answers HeadBucket, HeadObject, GetObject and PutObject with S3's status
 * codes, headers and XML errors. Signatures are not verified, but a request
 * must carry an `authorization` header (403 AccessDenied otherwise), so an
 * unsigned client fails as it would against S3. PUT bodies may be
 * `aws-chunked` (the SDK's default flexible checksums).
 */

export const DEMO_BUCKET = 'demo-recordings';

/** Static fake keys: the stand-in only checks that a request is signed at all. */
export const DEMO_S3_CREDENTIALS = {
  accessKeyId: 'AKIADEMOSANDBOX00001',
  secretAccessKey: 'demo-sandbox-secret-access-key-not-a-real-one',
} as const;

export interface StoredObject {
  readonly body: Buffer;
  readonly contentType: string;
  readonly etag: string;
  readonly lastModified: Date;
}

export interface SeenS3Request {
  readonly method: string;
  /** Decoded path, `/<bucket>/<key>` */
  readonly path: string;
  readonly signed: boolean;
  /** Whether the body came `aws-chunked` (the SDK's flexible checksums). */
  readonly chunked: boolean;
}

export interface S3StandIn {
  /** Endpoint for the SDK (`forcePathStyle: true`). */
  readonly url: string;
  readonly bucket: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** The stored object under `key`, if any. */
  object(key: string): StoredObject | undefined;
  /** Every stored key, sorted. */
  keys(): string[];
  /** Store an object directly (seeding), as a PUT would. */
  putObject(key: string, body: Buffer, contentType?: string): void;
  /** Forget every object (reset). */
  clear(): void;
  /** Every request answered, oldest first. */
  readonly requests: readonly SeenS3Request[];
  close(): Promise<void>;
}

const escapeXml = (text: string): string => text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

function sendError(
  res: ServerResponse,
  method: string,
  status: number,
  code: string,
  message: string,
  extra: Readonly<Record<string, string>> = {},
): void {
  const requestId = randomBytes(8).toString('hex').toUpperCase();
  const headers = { 'content-type': 'application/xml', 'x-amz-request-id': requestId };
  // A HEAD answer has no body: the SDK then names the error after the status (`NotFound`).
  if (method === 'HEAD') {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  const fields = Object.entries(extra)
    .map(([name, value]) => `<${name}>${escapeXml(value)}</${name}>`)
    .join('');
  res.writeHead(status, headers);
  res.end(
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${escapeXml(message)}</Message>` +
      `${fields}<RequestId>${requestId}</RequestId><HostId>${requestId}</HostId></Error>`,
  );
}

function objectHeaders(object: StoredObject): Record<string, string> {
  return {
    'content-type': object.contentType,
    'content-length': String(object.body.length),
    etag: object.etag,
    'last-modified': object.lastModified.toUTCString(),
    'accept-ranges': 'bytes',
  };
}

function storedObject(body: Buffer, contentType: string): StoredObject {
  const etag = `"${createHash('md5').update(body).digest('hex')}"`;
  return { body, contentType, etag, lastModified: new Date() };
}

/** `/<bucket>/<key…>` with each segment decoded; an undecodable path is undefined. */
function splitPath(url: string): { bucket: string; key: string } | undefined {
  const path = url.split('?', 1)[0] ?? '';
  try {
    const [bucket = '', ...rest] = path.replace(/^\//, '').split('/').map(decodeURIComponent);
    return { bucket, key: rest.join('/') };
  } catch {
    return undefined;
  }
}

function isChunked(req: IncomingMessage): boolean {
  const encoding = String(req.headers['content-encoding'] ?? '');
  const sha = String(req.headers['x-amz-content-sha256'] ?? '');
  return encoding.split(',').some((e) => e.trim() === 'aws-chunked') || sha.startsWith('STREAMING-');
}

export async function startS3StandIn(): Promise<S3StandIn> {
  const objects = new Map<string, StoredObject>();
  const requests: SeenS3Request[] = [];

  const server = await listen((req, raw, res) => {
    const method = req.method ?? '';
    const target = splitPath(req.url ?? '/');
    const signed = typeof req.headers.authorization === 'string' && req.headers.authorization.length > 0;
    const chunked = isChunked(req);
    const path = target ? `/${target.bucket}/${target.key}` : (req.url ?? '');
    requests.push({ method, path, signed, chunked });
    if (!target) return sendError(res, method, 400, 'InvalidURI', 'Could not parse the specified URI.');
    if (!signed) return sendError(res, method, 403, 'AccessDenied', 'Access Denied');
    const { bucket, key } = target;
    if (bucket !== DEMO_BUCKET) {
      return sendError(res, method, 404, 'NoSuchBucket', 'The specified bucket does not exist', {
        BucketName: bucket,
      });
    }
    if (key === '') {
      if (method !== 'HEAD') {
        return sendError(res, method, 405, 'MethodNotAllowed', 'The specified method is not allowed.');
      }
      res.writeHead(200, { 'x-amz-bucket-region': 'us-east-1' });
      res.end();
      return;
    }
    if (method === 'PUT') {
      let body: Buffer;
      try {
        body = chunked ? decodeAwsChunked(raw).body : raw;
      } catch (error) {
        if (!(error instanceof MalformedChunkError)) throw error;
        return sendError(res, method, 400, 'IncompleteBody', error.message);
      }
      const stored = storedObject(body, String(req.headers['content-type'] ?? 'binary/octet-stream'));
      objects.set(key, stored);
      res.writeHead(200, { etag: stored.etag });
      res.end();
      return;
    }
    if (method !== 'GET' && method !== 'HEAD') {
      return sendError(res, method, 405, 'MethodNotAllowed', 'The specified method is not allowed.');
    }
    const found = objects.get(key);
    if (!found) {
      return sendError(res, method, 404, 'NoSuchKey', 'The specified key does not exist.', { Key: key });
    }
    res.writeHead(200, objectHeaders(found));
    res.end(method === 'GET' ? found.body : undefined);
  });

  return {
    url: server.url,
    bucket: DEMO_BUCKET,
    credentials: { ...DEMO_S3_CREDENTIALS },
    object: (key) => objects.get(key),
    keys: () => [...objects.keys()].sort(),
    putObject: (key, body, contentType = 'binary/octet-stream') => {
      objects.set(key, storedObject(body, contentType));
    },
    clear: () => objects.clear(),
    requests,
    close: () => server.close(),
  };
}
