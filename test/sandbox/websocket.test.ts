import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { SlackEmulator } from '../../src/sandbox';
import { APP_TOKEN, BOT_TOKEN, SIGNING_SECRET, webClient } from './fixtures';

/**
 * The emulator's WebSocket framing seen byte by byte, for the paths undici's
 * client never takes: fragmented messages and protocol errors.
 */

interface Frame {
  readonly fin: boolean;
  readonly opcode: number;
  readonly payload: Buffer;
}

/** A raw TCP client that has completed the opening handshake. */
class RawPeer {
  private buffer = Buffer.alloc(0);
  private readonly waiters: (() => void)[] = [];
  readonly ended: Promise<void>;

  constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.ended = new Promise((resolve) => socket.on('close', () => resolve()));
  }

  async readHandshake(): Promise<string> {
    for (;;) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end >= 0) {
        const head = this.buffer.subarray(0, end).toString('latin1');
        this.buffer = this.buffer.subarray(end + 4);
        return head;
      }
      await this.more();
    }
  }

  /** The next server frame (server frames are unmasked). */
  async readFrame(): Promise<Frame> {
    for (;;) {
      // 16-bit lengths at most: nothing here sends 64 KiB.
      const short = this.buffer.length >= 2 ? this.buffer[1]! & 0x7f : 0;
      const offset = short === 126 ? 4 : 2;
      const length = short === 126 && this.buffer.length >= 4 ? this.buffer.readUInt16BE(2) : short;
      if (this.buffer.length >= 2 && this.buffer.length >= offset + length) {
        const frame = {
          fin: (this.buffer[0]! & 0x80) !== 0,
          opcode: this.buffer[0]! & 0x0f,
          payload: this.buffer.subarray(offset, offset + length),
        };
        this.buffer = this.buffer.subarray(offset + length);
        return frame;
      }
      await this.more();
    }
  }

  /** A masked client frame (payloads under 126 bytes are enough here). */
  send(opcode: number, payload: Buffer, { fin = true, masked = true } = {}): void {
    const key = randomBytes(4);
    const body = Buffer.from(payload.map((byte, i) => (masked ? byte ^ key[i % 4]! : byte)));
    const head = Buffer.from([(fin ? 0x80 : 0) | opcode, (masked ? 0x80 : 0) | payload.length]);
    this.socket.write(Buffer.concat(masked ? [head, key, body] : [head, body]));
  }

  private more(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

let emulator: SlackEmulator;
let peer: RawPeer;

beforeEach(async () => {
  emulator = await SlackEmulator.start({
    signingSecret: SIGNING_SECRET,
    botToken: BOT_TOKEN,
    appToken: APP_TOKEN,
  });
  const url = new URL((await webClient(emulator, APP_TOKEN).apps.connections.open()).url!);
  const socket = connect(Number(url.port), '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  peer = new RawPeer(socket);
  socket.write(
    `GET ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${url.host}\r\nupgrade: websocket\r\n` +
      // The key and accept value from RFC 6455 section 1.3.
      'connection: Upgrade\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n',
  );
});

afterEach(async () => {
  peer.socket.destroy();
  await emulator.close();
});

it('completes the handshake with the RFC accept value, then sends hello as one text frame', async () => {
  const head = await peer.readHandshake();
  expect(head).toMatch(/^HTTP\/1\.1 101 /);
  expect(head).toContain('sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  expect(head).not.toContain('sec-websocket-extensions');
  const hello = await peer.readFrame();
  expect(hello).toMatchObject({ fin: true, opcode: 0x1 });
  expect(JSON.parse(hello.payload.toString('utf8'))).toMatchObject({ type: 'hello' });
});

it('reassembles a fragmented ack, and answers pings in between', async () => {
  await peer.readHandshake();
  await peer.readFrame();
  const sending = emulator.sendSlashCommand({ text: 'help' });
  const envelopeFrame = await peer.readFrame();
  const { envelope_id: envelopeId } = JSON.parse(envelopeFrame.payload.toString('utf8')) as {
    envelope_id: string;
  };

  const ack = Buffer.from(JSON.stringify({ envelope_id: envelopeId, payload: { text: 'ok' } }));
  peer.send(0x1, ack.subarray(0, 10), { fin: false });
  peer.send(0x9, Buffer.from('beat'));
  peer.send(0x0, ack.subarray(10));

  expect(await peer.readFrame()).toEqual({ fin: true, opcode: 0xa, payload: Buffer.from('beat') });
  expect(JSON.parse((await sending).body)).toEqual({ text: 'ok' });
});

it('closes with 1002 on an unmasked client frame, and ends the connection', async () => {
  await peer.readHandshake();
  await peer.readFrame();
  peer.send(0x1, Buffer.from('{}'), { masked: false });
  const close = await peer.readFrame();
  expect(close.opcode).toBe(0x8);
  expect(close.payload.readUInt16BE(0)).toBe(1002);
  await peer.ended;
  expect(emulator.socketConnections).toBe(0);
});
