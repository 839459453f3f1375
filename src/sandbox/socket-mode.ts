import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { z } from 'zod';
import type { RecordedCall } from './call-log';
import type { WebApiResult } from './web-api';
import { acceptWebSocket, refuseUpgrade, type WebSocketConnection } from './websocket';

/** `slash_commands` and `interactive` are what the emulator sends; Slack also has `events_api`. */
export type EnvelopeType = 'slash_commands' | 'interactive';

export interface SocketAck {
  readonly envelopeId: string;
  /** What the app acked with; `{}` for a bare `ack()` (the Slack client always sends a payload object). */
  readonly payload: Readonly<Record<string, unknown>>;
}

export interface SocketModeOptions {
  /** `ws://127.0.0.1:PORT`, known once the HTTP server listens. */
  readonly wsBaseUrl: () => string;
  readonly appId: string;
  /** How long a delivery waits for its ack; Slack gives up (and retries) after 3 s. */
  readonly ackTimeoutMs: number;
  readonly record: (call: RecordedCall) => void;
}

interface PendingAck {
  readonly connection: WebSocketConnection;
  readonly resolve: (ack: SocketAck) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/** `{ envelope_id, payload? }`, as `SocketModeClient.send` writes it. */
const ackMessage = z.object({
  envelope_id: z.string().min(1),
  payload: z.record(z.string(), z.unknown()).optional(),
});

export const SOCKET_PATH = '/socket';

/**
 * Slack's side of Socket Mode: `apps.connections.open` hands out single-use
 * WebSocket URLs, a connection is greeted with `hello`, and deliveries wait
 * for the app's `{ envelope_id, payload }` ack.
 */
export class SocketModeServer {
  private readonly tickets = new Set<string>();
  private readonly connections = new Set<WebSocketConnection>();
  private readonly pending = new Map<string, PendingAck>();

  constructor(private readonly options: SocketModeOptions) {}

  /** Connections that completed the handshake and are not closing. */
  get connectionCount(): number {
    return [...this.connections].filter((connection) => connection.isOpen).length;
  }

  /** The `apps.connections.open` answer (auth was checked by the caller). */
  open(): WebApiResult {
    const ticket = randomBytes(12).toString('hex');
    this.tickets.add(ticket);
    const query = new URLSearchParams({ ticket, app_id: this.options.appId });
    return { ok: true, url: `${this.options.wsBaseUrl()}${SOCKET_PATH}?${query.toString()}` };
  }

  /** The HTTP server's `upgrade` event. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    if (url.pathname !== SOCKET_PATH) return refuseUpgrade(socket, 404, 'Not Found');
    const ticket = url.searchParams.get('ticket') ?? '';
    // Like Slack's, a URL is good for one connection: reconnecting means calling apps.connections.open again.
    if (!this.tickets.delete(ticket)) return refuseUpgrade(socket, 401, 'Unauthorized');
    const connection = acceptWebSocket(req, socket, head, {
      onText: (text) => this.onMessage(text),
      onClose: () => this.onClose(connection),
    });
    if (!connection) return;
    this.connections.add(connection);
    connection.sendText(
      JSON.stringify({
        type: 'hello',
        num_connections: this.connectionCount,
        debug_info: { host: 'sandbox-applink', build_number: 1, approximate_connection_time: 18060 },
        connection_info: { app_id: this.options.appId },
      }),
    );
  }

  /** Sends one envelope on the newest open connection and resolves with the app's ack. */
  deliver(type: EnvelopeType, payload: object, acceptsResponsePayload: boolean): Promise<SocketAck> {
    const connection = [...this.connections].reverse().find((candidate) => candidate.isOpen);
    if (!connection) return Promise.reject(new Error('SlackEmulator: no Socket Mode connection is open'));
    const envelopeId = randomUUID();
    return new Promise<SocketAck>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(envelopeId);
        reject(
          new Error(`SlackEmulator: no ack for ${type} envelope within ${this.options.ackTimeoutMs} ms`),
        );
      }, this.options.ackTimeoutMs);
      this.pending.set(envelopeId, { connection, resolve, reject, timer });
      connection.sendText(
        JSON.stringify({
          envelope_id: envelopeId,
          payload,
          type,
          accepts_response_payload: acceptsResponsePayload,
        }),
      );
    });
  }

  /** Fails pending deliveries and drops every connection without a handshake, so nothing keeps jest alive. */
  close(): void {
    for (const [envelopeId, pending] of this.pending) this.settle(envelopeId, pending);
    for (const connection of this.connections) connection.terminate();
    this.connections.clear();
    this.tickets.clear();
  }

  private onMessage(text: string): void {
    let parsed: ReturnType<typeof ackMessage.safeParse>;
    try {
      parsed = ackMessage.safeParse(JSON.parse(text));
    } catch {
      return; // Not JSON: Slack ignores what it cannot read, and so does the emulator.
    }
    if (!parsed.success) return;
    const envelopeId = parsed.data.envelope_id;
    const payload = parsed.data.payload ?? {};
    const pending = this.pending.get(envelopeId);
    this.options.record({
      method: 'socket_ack',
      args: payload,
      at: Date.now(),
      status: 200,
      response: pending ? { ok: true } : { ok: false, error: 'unknown_envelope_id' },
      envelopeId,
    });
    if (!pending) return;
    this.pending.delete(envelopeId);
    clearTimeout(pending.timer);
    pending.resolve({ envelopeId, payload });
  }

  private onClose(connection: WebSocketConnection | undefined): void {
    if (connection) this.connections.delete(connection);
    for (const [envelopeId, pending] of this.pending) {
      if (pending.connection === connection) this.settle(envelopeId, pending);
    }
  }

  private settle(envelopeId: string, pending: PendingAck): void {
    clearTimeout(pending.timer);
    this.pending.delete(envelopeId);
    pending.reject(
      new Error(`SlackEmulator: the Socket Mode connection closed before envelope ${envelopeId} was acked`),
    );
  }
}
