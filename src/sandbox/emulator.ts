import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { AppClient, type AppResponse, type RawRequest, type SignedRequestOptions } from './app-client';
import { CallLog, type CallPredicate, type RecordedCall } from './call-log';
import type {
  BlockActionResponse,
  DeliveryOptions,
  DeliveryResponse,
  SendBlockActionOptions,
  SendSlashCommandOptions,
  SlackEmulatorOptions,
  SlashCommandResponse,
} from './emulator-types';
import { FaultQueue, type Fault } from './faults';
import { FileStore, type SandboxFile } from './files';
import { sendJson } from './http-io';
import { buildBlockActionPayload, buildSlashCommandForm } from './payloads';
import { ResponseUrls } from './response-urls';
import { routeRequest, type RouteDeps } from './routes';
import { SocketModeServer, type EnvelopeType } from './socket-mode';
import { SandboxState, type SandboxEphemeral, type SandboxMessage } from './state';
import type { WebApiContext } from './web-api';
import { defaultWorld, type SandboxWorld } from './world';

export type {
  BlockActionResponse,
  DeliveryOptions,
  DeliveryResponse,
  SendBlockActionOptions,
  SendSlashCommandOptions,
  SlackEmulatorOptions,
  SlashCommandResponse,
} from './emulator-types';

/**
 * A local Slack for tests: the Web API, `response_url`s and file uploads the
 * app calls, and slash commands and button clicks sent to the app, signed
 * over HTTP or as envelopes on its Socket Mode connection.
 */
export class SlackEmulator {
  readonly baseUrl: string;
  /** Give this to the app as `clientOptions.slackApiUrl` (and in Socket Mode as `installerOptions.clientOptions.slackApiUrl`). */
  readonly apiUrl: string;
  readonly world: SandboxWorld;
  private appUrl: string | undefined;
  private readonly state = new SandboxState();
  private readonly log = new CallLog();
  private readonly faults = new FaultQueue();
  private readonly responseUrls: ResponseUrls;
  private readonly appClient: AppClient;
  private readonly fileStore = new FileStore();
  private readonly socketMode: SocketModeServer;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    private readonly options: SlackEmulatorOptions,
    port: number,
  ) {
    this.baseUrl = `http://127.0.0.1:${port}`;
    this.apiUrl = `${this.baseUrl}/api/`;
    this.world = options.world ?? defaultWorld();
    this.appUrl = options.appUrl;
    this.responseUrls = new ResponseUrls(() => this.baseUrl);
    this.appClient = new AppClient(options.signingSecret);
    this.socketMode = new SocketModeServer({
      wsBaseUrl: () => `ws://127.0.0.1:${port}`,
      appId: this.world.bot.appId,
      ackTimeoutMs: options.socketAckTimeoutMs ?? 3000,
      record: (call) => this.log.record(call),
    });
  }

  static async start(options: SlackEmulatorOptions): Promise<SlackEmulator> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const emulator = new SlackEmulator(server, options, (server.address() as AddressInfo).port);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => emulator.onRequest(req, res));
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      emulator.socketMode.handleUpgrade(req, socket, head),
    );
    return emulator;
  }

  setAppUrl(url: string): void {
    this.appUrl = url;
  }

  /** A copy: later calls do not appear in an array a test already holds. */
  get calls(): readonly RecordedCall[] {
    return [...this.log.calls];
  }

  /** The first call to `method` matching `predicate`, already made or still to come. */
  async waitForCall(method: string, predicate?: CallPredicate, timeoutMs = 5000): Promise<RecordedCall> {
    return this.log.waitFor(method, predicate, timeoutMs);
  }

  /**
   * Makes the next call(s) to `method` (or `response_url`, or `file_upload` for
   * the upload URL, where a 200 fault becomes a 500) fail instead of being handled.
   */
  failNext(method: string, fault: Fault = {}): void {
    this.faults.add(method, fault);
  }

  messages(channel: string): SandboxMessage[] {
    return this.state.messages(channel);
  }

  thread(channel: string, ts: string): SandboxMessage[] {
    return this.state.thread(channel, ts);
  }

  /** Any message in the channel, thread replies included. */
  message(channel: string, ts: string): SandboxMessage | undefined {
    return this.state.findMessage(channel, ts);
  }

  /** `listener` runs after every change to messages or ephemerals; returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    return this.state.onChange(listener);
  }

  /** Empties every channel, thread and ephemeral list: the sandbox page's "Reset demo". */
  clearMessages(): void {
    this.state.clear();
  }

  ephemerals(userId: string): SandboxEphemeral[] {
    return this.state.ephemerals(userId);
  }

  /** Files shared into the channel (thread replies included), in completion order. */
  files(channel: string): SandboxFile[] {
    return this.fileStore.files(channel);
  }

  /** Open Socket Mode connections (Bolt's `app.start()` resolves once one is greeted). */
  get socketConnections(): number {
    return this.socketMode.connectionCount;
  }

  async sendSlashCommand(options: SendSlashCommandOptions): Promise<SlashCommandResponse> {
    const user = options.user ?? this.world.requesterId;
    const channel = options.channel ?? this.world.incidentChannelId;
    const responseUrl = this.responseUrls.create({ channel, user, source: 'command' });
    const form = buildSlashCommandForm(this.world, {
      user,
      channel,
      command: options.command ?? '/stuckjobs',
      text: options.text,
      responseUrl,
    });
    const response = await this.deliver('slash_commands', form, form, options);
    return { ...response, responseUrl, form };
  }

  async sendBlockAction(options: SendBlockActionOptions): Promise<BlockActionResponse> {
    const user = options.user ?? this.world.requesterId;
    const channel = options.channel ?? this.world.incidentChannelId;
    const message = this.state.findMessage(channel, options.messageTs);
    const isReply = message?.thread_ts !== undefined && message.thread_ts !== message.ts;
    const threadTs = options.threadTs ?? (isReply ? message.thread_ts : undefined);
    const responseUrl = this.responseUrls.create({
      channel,
      user,
      source: 'block_actions',
      original: message ? { kind: 'channel', ts: message.ts } : undefined,
      threadTs,
    });
    const payload = buildBlockActionPayload(this.world, {
      ...options,
      user,
      channel,
      threadTs,
      responseUrl,
      message,
    });
    const response = await this.deliver(
      'interactive',
      payload,
      { payload: JSON.stringify(payload) },
      options,
    );
    return { ...response, responseUrl, payload };
  }

  /** Exactly these bytes and headers, unsigned unless the test signed them. */
  async sendRaw(request: RawRequest): Promise<AppResponse> {
    return this.appClient.send(request.url ?? this.requireAppUrl(), request.body, request.headers);
  }

  /**
   * Over the app's Socket Mode connection when it has one and no app URL is
   * set, else signed HTTP. Slack sets `accepts_response_payload` only where a
   * response can change something: slash commands yes, block_actions no.
   */
  private async deliver(
    type: EnvelopeType,
    payload: object,
    form: Readonly<Record<string, string>>,
    options: DeliveryOptions,
  ): Promise<DeliveryResponse> {
    const { to, ...signing } = options;
    if (to !== undefined) return this.deliverTo(typeof to === 'string' ? [to] : to, form, signing);
    if (this.appUrl === undefined && this.socketMode.connectionCount > 0) {
      const ack = await this.socketMode.deliver(type, payload, type === 'slash_commands');
      return {
        status: 200,
        body: JSON.stringify(ack.payload),
        transport: 'socket',
        envelopeId: ack.envelopeId,
      };
    }
    const response = await this.appClient.sendForm(this.requireAppUrl(), form, options);
    return { ...response, transport: 'http' };
  }

  /** One signed request to each URL at once; the first answer is the response, all of them `deliveries`. */
  private async deliverTo(
    urls: readonly string[],
    form: Readonly<Record<string, string>>,
    options: SignedRequestOptions,
  ): Promise<DeliveryResponse> {
    const [first, ...rest] = await this.appClient.sendFormToAll(urls, form, options);
    if (!first) throw new Error('SlackEmulator: `to` names no app URL');
    return { ...first, transport: 'http', ...(rest.length > 0 ? { deliveries: [first, ...rest] } : {}) };
  }

  /** Idempotent; runs every step even if one fails, and drops keep-alive and WebSocket connections so jest can exit. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.log.close();
    this.faults.clear();
    this.socketMode.close();
    const closed = new Promise<void>((resolve, reject) => {
      this.server.close((error) => (error ? reject(error) : resolve()));
      // Bolt's fetch keeps connections open; without this close() waits for them to time out.
      this.server.closeAllConnections();
    });
    const results = await Promise.allSettled([closed, this.appClient.close()]);
    const failure = results.find((result) => result.status === 'rejected');
    if (failure) throw failure.reason;
  }

  private requireAppUrl(): string {
    if (this.appUrl === undefined)
      throw new Error(
        'SlackEmulator: no app URL and no Socket Mode connection; pass appUrl to start(), call setAppUrl(), or connect the app with appToken',
      );
    return this.appUrl;
  }

  private get routes(): RouteDeps {
    const context: WebApiContext = {
      world: this.world,
      state: this.state,
      files: this.fileStore,
      baseUrl: this.baseUrl,
      openSocket: () => this.socketMode.open(),
    };
    const { log, faults, responseUrls, fileStore: files, baseUrl, options: tokens } = this;
    return { log, faults, responseUrls, files, baseUrl, tokens, context };
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    routeRequest(this.routes, req, res).catch((error: unknown) => {
      // Web API callers retry on anything but 200, so even the emulator's own bugs answer 200.
      const detail = error instanceof Error ? error.message : String(error);
      if (!res.headersSent) sendJson(res, 200, { ok: false, error: 'sandbox_internal_error', detail });
      else res.destroy();
    });
  }
}
