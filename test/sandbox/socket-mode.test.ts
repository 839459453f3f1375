import { channel } from 'node:diagnostics_channel';
import { ping, WebSocket } from 'undici';
import { z } from 'zod';
import { SANDBOX_IDS, SlackEmulator } from '../../src/sandbox';
import { sendJson, startLoopback } from '../helpers/loopback';
import { APP_TOKEN, approvalBlocks, BOT_TOKEN, SIGNING_SECRET, webClient } from './fixtures';

const CHANNEL = SANDBOX_IDS.incidentChannel;

/** Envelopes, and `hello` (which has no envelope id). */
const envelope = z.looseObject({
  envelope_id: z.string().optional(),
  type: z.string(),
  accepts_response_payload: z.boolean().optional(),
  payload: z.record(z.string(), z.unknown()).optional(),
});
type Envelope = z.infer<typeof envelope>;

/** A bare undici WebSocket (what @slack/socket-mode uses underneath), to see the protocol itself. */
interface RawClient {
  readonly ws: WebSocket;
  /** The next JSON message, in arrival order. */
  next(): Promise<Envelope>;
  readonly closed: Promise<number>;
}

function connect(url: string): Promise<RawClient> {
  const ws = new WebSocket(url);
  const queue: Envelope[] = [];
  const waiting: ((message: Envelope) => void)[] = [];
  ws.addEventListener('message', (event) => {
    const message = envelope.parse(JSON.parse(String(event.data)));
    const waiter = waiting.shift();
    if (waiter) waiter(message);
    else queue.push(message);
  });
  const closed = new Promise<number>((resolve) =>
    ws.addEventListener('close', (event) => resolve(event.code)),
  );
  const client: RawClient = {
    ws,
    closed,
    next: () => {
      const queued = queue.shift();
      return queued ? Promise.resolve(queued) : new Promise((resolve) => waiting.push(resolve));
    },
  };
  return new Promise((resolve, reject) => {
    ws.addEventListener('open', () => resolve(client));
    ws.addEventListener('error', () => reject(new Error(`WebSocket to ${url} failed`)));
  });
}

let emulator: SlackEmulator;
const clients: RawClient[] = [];

async function openUrl(): Promise<string> {
  const result = await webClient(emulator, APP_TOKEN).apps.connections.open();
  return result.url!;
}

/** Connected and greeted, as Bolt is once `start()` resolves. */
async function connected(): Promise<RawClient> {
  const client = await connect(await openUrl());
  clients.push(client);
  expect((await client.next()).type).toBe('hello');
  return client;
}

const ack = (client: RawClient, envelopeId: string | undefined, payload?: Record<string, unknown>): void =>
  client.ws.send(JSON.stringify({ envelope_id: envelopeId ?? 'missing', ...(payload ? { payload } : {}) }));

beforeEach(async () => {
  emulator = await SlackEmulator.start({
    signingSecret: SIGNING_SECRET,
    botToken: BOT_TOKEN,
    appToken: APP_TOKEN,
    socketAckTimeoutMs: 500,
  });
});

afterEach(async () => {
  await emulator.close();
  await Promise.all(clients.splice(0).map((client) => client.closed));
});

describe('apps.connections.open', () => {
  it('takes only the app-level token, and the app-level token is refused elsewhere', async () => {
    await expect(webClient(emulator, BOT_TOKEN).apps.connections.open()).rejects.toMatchObject({
      data: { ok: false, error: 'not_allowed_token_type' },
    });
    await expect(
      webClient(emulator, APP_TOKEN).chat.postMessage({ channel: CHANNEL, text: 'hi' }),
    ).rejects.toMatchObject({ data: { ok: false, error: 'not_allowed_token_type' } });
    expect(await openUrl()).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/socket\?ticket=[0-9a-f]+&app_id=A0STUCKJOBS$/);
  });

  it('refuses every token when the emulator has no app token', async () => {
    const plain = await SlackEmulator.start({ signingSecret: SIGNING_SECRET, botToken: BOT_TOKEN });
    try {
      await expect(webClient(plain, APP_TOKEN).apps.connections.open()).rejects.toMatchObject({
        data: { error: 'invalid_auth' },
      });
    } finally {
      await plain.close();
    }
  });
});

describe('the WebSocket', () => {
  it('greets a connection with hello, as Slack does', async () => {
    const client = await connect(await openUrl());
    clients.push(client);
    expect(await client.next()).toEqual({
      type: 'hello',
      num_connections: 1,
      debug_info: expect.objectContaining({ host: expect.any(String) as unknown }) as unknown,
      connection_info: { app_id: SANDBOX_IDS.app },
    });
    expect(emulator.socketConnections).toBe(1);
  });

  it('accepts each URL once: reconnecting means calling apps.connections.open again', async () => {
    const url = await openUrl();
    clients.push(await connect(url));
    await expect(connect(url)).rejects.toThrow('failed');
    await expect(connect(url.replace('/socket?', '/elsewhere?'))).rejects.toThrow('failed');
  });

  it("answers the client's pings with pongs carrying the same data (the client disconnects without them)", async () => {
    const client = await connected();
    const pongs = channel('undici:websocket:pong');
    const pong = new Promise<string>((resolve) => {
      const listener = (message: unknown): void => {
        const { websocket, payload } = message as { websocket: unknown; payload: Buffer };
        if (websocket !== client.ws) return;
        pongs.unsubscribe(listener);
        resolve(payload.toString('utf8'));
      };
      pongs.subscribe(listener);
    });
    ping(client.ws, Buffer.from('Ping from client (1)'));
    expect(await pong).toBe('Ping from client (1)');
  });

  it('drops open connections on close(), so nothing keeps the process alive', async () => {
    const client = await connected();
    await emulator.close();
    expect(await client.closed).toBe(1006);
  });
});

describe('deliveries over the socket', () => {
  it('sends a slash command as a slash_commands envelope and resolves with the ack payload', async () => {
    const client = await connected();
    const sending = emulator.sendSlashCommand({ text: 'help' });
    const received = await client.next();
    expect(received).toMatchObject({
      type: 'slash_commands',
      accepts_response_payload: true,
      payload: { command: '/stuckjobs', text: 'help', channel_id: CHANNEL, user_id: SANDBOX_IDS.requester },
    });
    ack(client, received.envelope_id, { response_type: 'ephemeral', text: 'Usage' });

    const result = await sending;
    expect(result).toMatchObject({ transport: 'socket', status: 200, envelopeId: received.envelope_id });
    expect(JSON.parse(result.body)).toEqual({ response_type: 'ephemeral', text: 'Usage' });
    expect(received.payload?.response_url).toBe(result.responseUrl);
    expect(await emulator.waitForCall('socket_ack')).toMatchObject({
      envelopeId: received.envelope_id,
      args: { response_type: 'ephemeral', text: 'Usage' },
      response: { ok: true },
    });
  });

  it('sends a click as an interactive envelope; a bare ack gives an empty payload', async () => {
    const client = await connected();
    const posted = await webClient(emulator).chat.postMessage({
      channel: CHANNEL,
      text: 'Approve replay?',
      blocks: approvalBlocks('s-42'),
    });
    // A forged value over 64 KiB, so both directions use the 64-bit frame length.
    const value = 'v'.repeat(70_000);
    const clicking = emulator.sendBlockAction({ messageTs: posted.ts!, actionId: 'replay_approve', value });
    const received = await client.next();
    expect(received).toMatchObject({
      type: 'interactive',
      accepts_response_payload: false,
      payload: { type: 'block_actions', container: { message_ts: posted.ts }, actions: [{ value }] },
    });
    expect(JSON.stringify(received).length).toBeGreaterThan(65_536);
    ack(client, received.envelope_id);
    expect(await clicking).toMatchObject({ transport: 'socket', status: 200, body: '{}' });

    const sending = emulator.sendSlashCommand({ text: 'help' });
    const second = await client.next();
    ack(client, second.envelope_id, { text: 'y'.repeat(70_000) });
    expect((await sending).body).toHaveLength(70_000 + '{"text":""}'.length);
  });

  it('records acks for unknown envelopes as refused, and keeps waiting for the right one', async () => {
    const client = await connected();
    const sending = emulator.sendSlashCommand({ text: 'help' });
    const received = await client.next();
    ack(client, 'not-an-envelope', { text: 'stray' });
    ack(client, received.envelope_id, { text: 'right' });
    expect(JSON.parse((await sending).body)).toEqual({ text: 'right' });
    expect(
      emulator.calls.filter((call) => call.method === 'socket_ack').map((call) => call.response),
    ).toEqual([{ ok: false, error: 'unknown_envelope_id' }, { ok: true }]);
  });

  it('fails a delivery that is not acked in time, or whose connection closes first', async () => {
    const client = await connected();
    await expect(emulator.sendSlashCommand({ text: 'help' })).rejects.toThrow(
      'no ack for slash_commands envelope',
    );
    await client.next();

    const sending = emulator.sendSlashCommand({ text: 'help' });
    await client.next();
    client.ws.close(1000);
    await expect(sending).rejects.toThrow('closed before envelope');
    expect(await client.closed).toBe(1000);
    expect(emulator.socketConnections).toBe(0);
  });

  it('prefers the app URL when one is set, and says how to connect when there is neither', async () => {
    await expect(emulator.sendSlashCommand({ text: 'help' })).rejects.toThrow('no Socket Mode connection');
    await connected();
    const app = await startLoopback((_req, res) => sendJson(res, 200, { text: 'over http' }));
    try {
      emulator.setAppUrl(`${app.url}/slack/events`);
      const result = await emulator.sendSlashCommand({ text: 'help' });
      expect(result).toMatchObject({ transport: 'http', status: 200 });
      expect(app.seen).toHaveLength(1);
    } finally {
      await app.close();
    }
  });
});
