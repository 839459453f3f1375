import type { AppResponse, SignedRequestOptions } from './app-client';
import type { BlockActionPayload, SlashCommandForm } from './payloads';
import type { SandboxWorld } from './world';

export interface SlackEmulatorOptions {
  readonly signingSecret: string;
  readonly botToken: string;
  /**
   * The app-level token (`xapp-…`) that `apps.connections.open` accepts; without
   * it Socket Mode is off. Give the same token to Bolt as `appToken`.
   */
  readonly appToken?: string;
  readonly world?: SandboxWorld;
  /** The app's request URL, as in the manifest: `http://127.0.0.1:PORT/slack/events`. */
  readonly appUrl?: string;
  /** Loopback only: the emulator accepts any caller that has the token. */
  readonly host?: '127.0.0.1';
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  /** How long a Socket Mode delivery waits for the app's ack; default 3000, Slack's own limit. */
  readonly socketAckTimeoutMs?: number;
}

/** How the app got the request: signed HTTP to its URL, or an envelope on its Socket Mode connection. */
export interface DeliveryResponse extends AppResponse {
  readonly transport: 'http' | 'socket';
  /** Socket Mode only: the envelope the app acked. */
  readonly envelopeId?: string;
}

/** Signing options apply to HTTP delivery only; Socket Mode envelopes are not signed. */
export interface SendSlashCommandOptions extends SignedRequestOptions {
  readonly text: string;
  /** Default: the world's requester. */
  readonly user?: string;
  /** Default: the world's incident channel. */
  readonly channel?: string;
  readonly command?: string;
}

/** Over Socket Mode: `status` 200 and `body` the JSON of the ack's payload (`{}` for a bare `ack()`). */
export interface SlashCommandResponse extends DeliveryResponse {
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

export interface BlockActionResponse extends DeliveryResponse {
  readonly responseUrl: string;
  readonly payload: BlockActionPayload;
}
