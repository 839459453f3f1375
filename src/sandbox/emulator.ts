import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppClient, type AppResponse, type RawRequest, type SignedRequestOptions } from './app-client';
import { CallLog, type CallPredicate, type RecordedCall } from './call-log';
import { FaultQueue, type Fault } from './faults';
import { parseJsonObject, parseWebApiArgs, readBody, sendJson } from './http-io';
import {
  buildBlockActionPayload,
  buildSlashCommandForm,
  type BlockActionPayload,
  type SlashCommandForm,
} from './payloads';
import { applyResponse, ResponseUrls } from './response-urls';
import { SandboxState, type SandboxEphemeral, type SandboxMessage } from './state';
import { callWebApiMethod, type WebApiContext, type WebApiResult } from './web-api';
import { defaultWorld, type SandboxWorld } from './world';

export interface SlackEmulatorOptions {
  readonly signingSecret: string;
  readonly botToken: string;
  readonly world?: SandboxWorld;
  /** The app's request URL, as in the manifest: `http://127.0.0.1:PORT/slack/events`. */
  readonly appUrl?: string;
  /** Loopback only: the emulator accepts any caller that has the token. */
  readonly host?: '127.0.0.1';
  /** 0 (the default) picks a free port. */
  readonly port?: number;
}

export interface SendSlashCommandOptions extends SignedRequestOptions {
  readonly text: string;
  /** Default: the world's requester. */
  readonly user?: string;
  /** Default: the world's incident channel. */
  readonly channel?: string;
  readonly command?: string;
}

export interface SlashCommandResponse extends AppResponse {
  readonly responseUrl: string;
  readonly form: SlashCommandForm;
}

export interface SendBlockActionOptions extends SignedRequestOptions {
  /** The clicked message; its stored blocks supply the button's block id, value and label. */
  readonly messageTs: string;
  readonly actionId: string;
  /** Default: the world's requester (the least privileged person), so approval tests say who approves. */
  readonly user?: string;
  /** Default: the world's incident channel. */
  readonly channel?: string;
  /** Default: the clicked message's thread, when it is a reply. */
  readonly threadTs?: string;
  readonly value?: string;
  readonly blockId?: string;
  readonly text?: string;
}

export interface BlockActionResponse extends AppResponse {
  readonly responseUrl: string;
  readonly payload: BlockActionPayload;
}

/**
 * A local Slack for tests: the Web API and `response_url`s the app calls, and
 * signed slash commands and button clicks sent to the app.
 */
export class SlackEmulator {
  readonly baseUrl: string;
  /** Give this to the app as `clientOptions.slackApiUrl`. */
  readonly apiUrl: string;
  readonly world: SandboxWorld;
  private appUrl: string | undefined;
  private readonly state = new SandboxState();
  private readonly log = new CallLog();
  private readonly faults = new FaultQueue();
  private readonly responseUrls: ResponseUrls;
  private readonly appClient: AppClient;
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

  /** Makes the next call(s) to `method` (or `response_url`) fail instead of being handled. */
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

  ephemerals(userId: string): SandboxEphemeral[] {
    return this.state.ephemerals(userId);
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
    const response = await this.appClient.sendForm(this.requireAppUrl(), form, options);
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
    const response = await this.appClient.sendForm(
      this.requireAppUrl(),
      { payload: JSON.stringify(payload) },
      options,
    );
    return { ...response, responseUrl, payload };
  }

  /** Exactly these bytes and headers, unsigned unless the test signed them. */
  async sendRaw(request: RawRequest): Promise<AppResponse> {
    return this.appClient.send(request.url ?? this.requireAppUrl(), request.body, request.headers);
  }

  /** Idempotent; runs every step even if one fails, and drops keep-alive sockets so jest can exit. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.log.close();
    this.faults.clear();
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
      throw new Error('SlackEmulator: no app URL; pass appUrl to start() or call setAppUrl()');
    return this.appUrl;
  }

  private get context(): WebApiContext {
    return { world: this.world, state: this.state };
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    this.route(req, res).catch((error: unknown) => {
      // Web API callers retry on anything but 200, so even the emulator's own bugs answer 200.
      const detail = error instanceof Error ? error.message : String(error);
      if (!res.headersSent) sendJson(res, 200, { ok: false, error: 'sandbox_internal_error', detail });
      else res.destroy();
    });
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.baseUrl);
    if (url.pathname.startsWith('/api/')) {
      const method = decodeURIComponent(url.pathname.slice('/api/'.length));
      return this.handleWebApi(method, req, res, url.searchParams);
    }
    if (req.method === 'POST' && url.pathname.startsWith('/response/')) {
      return this.handleResponseUrl(url, req, res);
    }
    sendJson(res, 404, { ok: false, error: 'not_found' });
  }

  private async handleWebApi(
    method: string,
    req: IncomingMessage,
    res: ServerResponse,
    query: URLSearchParams,
  ): Promise<void> {
    const raw = await readBody(req);
    const parsed = parseWebApiArgs(req.headers['content-type'], raw, query);
    const { token: _token, ...args } = parsed.ok ? parsed.args : { raw };
    const fault = this.faults.take(method);
    let status = 200;
    let headers: Readonly<Record<string, string>> = {};
    let response: WebApiResult;
    if (fault) {
      ({ status, headers } = fault);
      response = fault.body;
    } else if (!parsed.ok) {
      response = { ok: false, error: parsed.error };
    } else {
      response = this.refuseAuth(req, parsed.args) ?? callWebApiMethod(method, parsed.args, this.context);
    }
    this.log.record({ method, args, at: Date.now(), status, response });
    sendJson(res, status, response, headers);
  }

  /** The bot token in `Authorization: Bearer`, or in a `token` field as Slack also allows. */
  private refuseAuth(
    req: IncomingMessage,
    args: Readonly<Record<string, unknown>>,
  ): WebApiResult | undefined {
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const token = bearer ?? (typeof args.token === 'string' ? args.token : undefined);
    if (token === undefined || token === '') return { ok: false, error: 'not_authed' };
    return token === this.options.botToken ? undefined : { ok: false, error: 'invalid_auth' };
  }

  private async handleResponseUrl(url: URL, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const responseUrl = `${this.baseUrl}${url.pathname}`;
    const raw = await readBody(req);
    const parsed = parseJsonObject(raw);
    const args = parsed.ok ? parsed.args : { raw };
    const target = this.responseUrls.get(url.pathname.slice('/response/'.length));
    const fault = this.faults.take('response_url');
    let outcome: { status: number; headers?: Readonly<Record<string, string>>; response: WebApiResult };
    if (fault) outcome = { status: fault.status, headers: fault.headers, response: fault.body };
    else if (!target) outcome = { status: 404, response: { ok: false, error: 'expired_url' } };
    else if (!parsed.ok) outcome = { status: 400, response: { ok: false, error: parsed.error } };
    else outcome = applyResponse(target, parsed.args, this.context);
    this.log.record({
      method: 'response_url',
      args,
      at: Date.now(),
      status: outcome.status,
      response: outcome.response,
      responseUrl,
    });
    sendJson(res, outcome.status, outcome.response, outcome.headers);
  }
}
