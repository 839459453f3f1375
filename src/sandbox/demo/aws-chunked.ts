/**
 * Decodes an `aws-chunked` request body (SigV4 streaming uploads and the SDK's
 * flexible checksums): `<hex size>[;chunk-signature=…]\r\n<bytes>\r\n` chunks
 * ending with a zero-size chunk, then optional trailer lines
 * (`x-amz-checksum-crc32:…`) and a blank line.
 */

export interface DecodedChunks {
  readonly body: Buffer;
  readonly trailers: Readonly<Record<string, string>>;
}

const CRLF = Buffer.from('\r\n');

export class MalformedChunkError extends Error {
  override name = 'MalformedChunkError';
}

export function decodeAwsChunked(raw: Buffer): DecodedChunks {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = raw.indexOf(CRLF, at);
    if (lineEnd < 0) throw new MalformedChunkError('chunk header without CRLF');
    const header = raw.subarray(at, lineEnd).toString('latin1');
    const size = Number.parseInt(header.split(';', 1)[0] ?? '', 16);
    if (!Number.isInteger(size) || size < 0) throw new MalformedChunkError(`bad chunk size '${header}'`);
    at = lineEnd + CRLF.length;
    if (size === 0) break;
    if (at + size > raw.length) throw new MalformedChunkError('chunk longer than the body');
    parts.push(raw.subarray(at, at + size));
    at += size;
    if (!raw.subarray(at, at + CRLF.length).equals(CRLF)) throw new MalformedChunkError('chunk without CRLF');
    at += CRLF.length;
  }
  const trailers: Record<string, string> = {};
  for (const line of raw.subarray(at).toString('latin1').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { body: Buffer.concat(parts), trailers };
}
