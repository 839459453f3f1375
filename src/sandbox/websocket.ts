import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * The server half of RFC 6455, just enough for Slack's Socket Mode: text
 * messages, ping/pong and the close handshake. No extensions (the client's
 * `permessage-deflate` offer is declined by not answering it), no subprotocols.
 * Written here because `ws` is not a dependency of this project.
 */

const ACCEPT_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** Socket Mode acks are small; a bigger frame is a test bug, refused with 1009. */
const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

const Opcode = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

export interface WebSocketHandlers {
  readonly onText: (text: string) => void;
  /** Once, when the TCP connection is gone: `code` from the peer's close frame, else 1006. */
  readonly onClose: (code: number) => void;
}

export function acceptKey(key: string): string {
  return createHash('sha1').update(`${key}${ACCEPT_GUID}`).digest('base64');
}

/** Answers an upgrade request with a plain HTTP error, as a server does before switching protocols. */
export function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
}

/** Completes the opening handshake, or refuses it (400) and returns undefined. */
export function acceptWebSocket(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  handlers: WebSocketHandlers,
): WebSocketConnection | undefined {
  const key = req.headers['sec-websocket-key'];
  const valid =
    req.method === 'GET' &&
    req.headers.upgrade?.toLowerCase() === 'websocket' &&
    req.headers['sec-websocket-version'] === '13' &&
    typeof key === 'string' &&
    Buffer.from(key, 'base64').length === 16;
  if (!valid) {
    refuseUpgrade(socket, 400, 'Bad Request');
    return undefined;
  }
  socket.write(
    'HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\n' +
      `sec-websocket-accept: ${acceptKey(key)}\r\n\r\n`,
  );
  return new WebSocketConnection(socket, head, handlers);
}

export class WebSocketConnection {
  private buffer: Buffer = Buffer.alloc(0);
  private fragments: Buffer[] = [];
  private fragmentOpcode: number | undefined;
  private closeSent = false;
  private closeCode = 1006;
  private finished = false;

  constructor(
    private readonly socket: Duplex,
    head: Buffer,
    private readonly handlers: WebSocketHandlers,
  ) {
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.finish());
    if (head.length > 0) this.receive(head);
  }

  /** Open until either side has sent a close frame. */
  get isOpen(): boolean {
    return !this.closeSent && !this.finished;
  }

  sendText(text: string): void {
    if (this.isOpen) this.socket.write(encodeFrame(Opcode.text, Buffer.from(text, 'utf8')));
  }

  /** Starts the closing handshake; the peer answers and the socket ends. */
  close(code = 1000): void {
    if (!this.isOpen) return;
    const body = Buffer.alloc(2);
    body.writeUInt16BE(code);
    this.closeSent = true;
    this.socket.write(encodeFrame(Opcode.close, body));
  }

  /** Drops the TCP connection without a handshake: the client sees 1006. */
  terminate(): void {
    this.socket.destroy();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.handlers.onClose(this.closeCode);
  }

  private receive(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    while (!this.finished) {
      const parsed = parseFrame(this.buffer);
      if (parsed === undefined) return;
      if ('error' in parsed) return this.fail(parsed.error);
      this.buffer = this.buffer.subarray(parsed.size);
      this.onFrame(parsed.fin, parsed.opcode, parsed.payload);
    }
  }

  private onFrame(fin: boolean, opcode: number, payload: Buffer): void {
    if (opcode === Opcode.ping) return void this.socket.write(encodeFrame(Opcode.pong, payload));
    if (opcode === Opcode.pong) return;
    if (opcode === Opcode.close) {
      this.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
      if (!this.closeSent) {
        this.closeSent = true;
        this.socket.write(encodeFrame(Opcode.close, payload.subarray(0, 2)));
      }
      this.socket.end();
      return;
    }
    const starts = opcode === Opcode.text || opcode === Opcode.binary;
    if (starts === (this.fragmentOpcode !== undefined) || (!starts && opcode !== Opcode.continuation))
      return this.fail(1002);
    if (starts) this.fragmentOpcode = opcode;
    this.fragments.push(payload);
    const size = this.fragments.reduce((total, part) => total + part.length, 0);
    if (size > MAX_MESSAGE_BYTES) return this.fail(1009);
    if (!fin) return;
    const message = Buffer.concat(this.fragments);
    const messageOpcode = this.fragmentOpcode;
    this.fragments = [];
    this.fragmentOpcode = undefined;
    // Socket Mode speaks JSON text; binary messages are ignored, as Slack's client ignores them.
    if (messageOpcode === Opcode.text && this.isOpen) this.handlers.onText(message.toString('utf8'));
  }

  private fail(code: number): void {
    this.close(code);
    this.socket.end();
  }
}

type ParsedFrame =
  | { readonly fin: boolean; readonly opcode: number; readonly payload: Buffer; readonly size: number }
  | { readonly error: number };

/** One client frame from the front of `buffer`, or undefined until more bytes arrive. */
function parseFrame(buffer: Buffer): ParsedFrame | undefined {
  if (buffer.length < 2) return undefined;
  const first = buffer[0]!;
  const second = buffer[1]!;
  const fin = (first & 0x80) !== 0;
  const opcode = first & 0x0f;
  if ((first & 0x70) !== 0) return { error: 1002 }; // no extension was agreed, so RSV bits must be 0
  if ((second & 0x80) === 0) return { error: 1002 }; // client frames must be masked
  let length = second & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (buffer.length < 4) return undefined;
    length = buffer.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (buffer.length < 10) return undefined;
    const long = buffer.readBigUInt64BE(2);
    if (long > BigInt(MAX_MESSAGE_BYTES)) return { error: 1009 };
    length = Number(long);
    offset = 10;
  }
  if (opcode >= Opcode.close && (!fin || length > 125)) return { error: 1002 };
  if (length > MAX_MESSAGE_BYTES) return { error: 1009 };
  if (buffer.length < offset + 4 + length) return undefined;
  const mask = buffer.subarray(offset, offset + 4);
  const payload = Buffer.from(buffer.subarray(offset + 4, offset + 4 + length));
  for (let i = 0; i < payload.length; i += 1) payload[i] = payload[i]! ^ mask[i % 4]!;
  return { fin, opcode, payload, size: offset + 4 + length };
}

/** A single unmasked server frame. */
export function encodeFrame(opcode: number, payload: Buffer): Buffer {
  const length = payload.length;
  let header: Buffer;
  if (length < 126) {
    header = Buffer.from([0x80 | opcode, length]);
  } else if (length < 0x10000) {
    header = Buffer.alloc(4);
    header.writeUInt16BE(length, 2);
  } else {
    header = Buffer.alloc(10);
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  header[0] = 0x80 | opcode;
  if (length >= 126) header[1] = length < 0x10000 ? 126 : 127;
  return Buffer.concat([header, payload]);
}
