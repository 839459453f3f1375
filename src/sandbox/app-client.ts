import { Agent, request } from 'undici';
import { slackRequestHeaders, type SlackRequestHeaderOptions } from './signing';

export interface AppResponse {
  readonly status: number;
  readonly body: string;
}

export interface RawRequest {
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Defaults to the app URL. */
  readonly url?: string;
}

export interface SignedRequestOptions extends SlackRequestHeaderOptions {
  /** Merged over the signed headers, to forge them or add `x-slack-retry-num`. */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Sends requests to the app the way Slack does. A private undici agent keeps
 * a test's `setGlobalDispatcher(MockAgent)` from swallowing them, and lets
 * `close()` drop the keep-alive sockets so jest can exit.
 */
export class AppClient {
  private readonly agent = new Agent({ connections: 8 });

  constructor(private readonly signingSecret: string) {}

  async sendForm(
    url: string,
    fields: Readonly<Record<string, string>>,
    options: SignedRequestOptions = {},
  ): Promise<AppResponse> {
    const { body, headers } = this.signedForm(fields, options);
    return this.send(url, body, headers);
  }

  /**
   * One signed request sent to every URL at once (the same bytes, timestamp
   * and signature), as when a balancer in front of two replicas delivers one
   * click twice. The answers come back in the order of `urls`.
   */
  async sendFormToAll(
    urls: readonly string[],
    fields: Readonly<Record<string, string>>,
    options: SignedRequestOptions = {},
  ): Promise<AppResponse[]> {
    const { body, headers } = this.signedForm(fields, options);
    return Promise.all(urls.map((url) => this.send(url, body, headers)));
  }

  private signedForm(
    fields: Readonly<Record<string, string>>,
    options: SignedRequestOptions,
  ): { body: string; headers: Record<string, string> } {
    const body = new URLSearchParams(fields).toString();
    return {
      body,
      headers: { ...slackRequestHeaders(this.signingSecret, body, options), ...options.headers },
    };
  }

  async send(url: string, body: string, headers: Readonly<Record<string, string>>): Promise<AppResponse> {
    const response = await request(url, { method: 'POST', body, headers, dispatcher: this.agent });
    return { status: response.statusCode, body: await response.body.text() };
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}
