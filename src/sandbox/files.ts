import type { IncomingMessage } from 'node:http';
import { BodyTooLargeError, readBytes } from './http-io';
import type { SandboxMessageFile } from './state';

/** A file shared into a channel, as a test reads it back. */
export interface SandboxFile {
  readonly id: string;
  readonly title: string;
  readonly filename: string;
  /** The uploaded bytes as UTF-8 (the bot uploads text snippets). */
  readonly content: string;
  /** The thread root it was shared into, if any. */
  readonly threadTs?: string;
  readonly initialComment?: string;
  /** The message that carries the file. */
  readonly messageTs: string;
}

export interface FileShare {
  readonly channel: string;
  readonly messageTs: string;
  readonly threadTs?: string;
  readonly initialComment?: string;
}

interface Upload {
  readonly id: string;
  readonly filename: string;
  readonly length: number;
  bytes?: Buffer;
}

export interface UploadOutcome {
  readonly status: number;
  /** Slack's upload host answers plain text (`OK - <bytes>`). */
  readonly body: string;
  readonly error?: string;
  readonly bytes?: number;
}

/** Room for the multipart envelope around the declared bytes. */
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;

/**
 * The two halves of `files.uploadV2`: uploads reserved by
 * `files.getUploadURLExternal` and filled by a POST to their URL, and files
 * completed (and shared) by `files.completeUploadExternal`.
 */
export class FileStore {
  private sequence = 0;
  private readonly uploads = new Map<string, Upload>();
  private readonly shared: (SandboxFile & { readonly channel: string })[] = [];

  reserve(filename: string, length: number): string {
    this.sequence += 1;
    const id = `F0SANDBOX${String(this.sequence).padStart(4, '0')}`;
    this.uploads.set(id, { id, filename, length });
    return id;
  }

  /** A POST to the upload URL: raw bytes, or multipart with one file part (what the Slack client sends). */
  async receive(id: string, req: IncomingMessage): Promise<UploadOutcome> {
    const upload = this.uploads.get(id);
    if (!upload) return { status: 404, body: 'file_not_found', error: 'file_not_found' };
    let bytes: Buffer | undefined;
    try {
      const raw = await readBytes(req, upload.length + MULTIPART_OVERHEAD_BYTES);
      bytes = await uploadedBytes(req.headers['content-type'], raw);
    } catch (error) {
      // Never a 200 here: the Slack client takes any 200 from the upload host as success.
      if (error instanceof BodyTooLargeError)
        return { status: 413, body: error.message, error: 'length_mismatch' };
      return { status: 400, body: 'unreadable upload body', error: 'invalid_form_data' };
    }
    if (bytes === undefined) return { status: 400, body: 'no file part in the form', error: 'no_file_data' };
    if (bytes.length !== upload.length) {
      const body = `length mismatch: files.getUploadURLExternal declared ${upload.length} bytes, received ${bytes.length}`;
      return { status: 400, body, error: 'length_mismatch', bytes: bytes.length };
    }
    upload.bytes = bytes;
    return { status: 200, body: `OK - ${bytes.length}`, bytes: bytes.length };
  }

  /** The file as a message shows it, if its bytes arrived and it is not completed yet. */
  describe(id: string, title: string | undefined): SandboxMessageFile | undefined {
    const upload = this.uploads.get(id);
    if (upload?.bytes === undefined) return undefined;
    return { id, name: upload.filename, title: title ?? upload.filename, size: upload.length };
  }

  /** Ends the upload; a shared file becomes visible through `files(channel)`. */
  complete(file: SandboxMessageFile, share: FileShare | undefined): void {
    const upload = this.uploads.get(file.id);
    if (upload?.bytes === undefined) return;
    this.uploads.delete(file.id);
    if (!share) return;
    this.shared.push({
      id: file.id,
      title: file.title,
      filename: upload.filename,
      content: upload.bytes.toString('utf8'),
      channel: share.channel,
      messageTs: share.messageTs,
      ...(share.threadTs === undefined ? {} : { threadTs: share.threadTs }),
      ...(share.initialComment === undefined ? {} : { initialComment: share.initialComment }),
    });
  }

  files(channel: string): SandboxFile[] {
    return this.shared
      .filter((file) => file.channel === channel)
      .map(({ channel: _channel, ...file }) => structuredClone(file));
  }
}

async function uploadedBytes(contentType: string | undefined, raw: Buffer): Promise<Buffer | undefined> {
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  if (mediaType !== 'multipart/form-data') return raw;
  const form = await new Response(raw, { headers: { 'content-type': contentType ?? '' } }).formData();
  for (const [, value] of form) {
    if (typeof value !== 'string') return Buffer.from(await value.arrayBuffer());
  }
  return undefined;
}
