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
  /** With `to` naming several URLs: every answer, in the order of `to` (the first is also the response itself). */
  readonly deliveries?: readonly AppResponse[];
}

/** Where one request goes over HTTP; signing options apply to HTTP delivery only. */
export interface DeliveryOptions extends SignedRequestOptions {
  /**
   * The app's request URL(s) for this request only (default: the app URL):
   * one replica of several, or several at once, the same signed bytes to each,
   * as a balancer that delivers one click to two replicas would.
   */
  readonly to?: string | readonly string[];
}

/** Signing options apply to HTTP delivery only; Socket Mode envelopes are not signed. */
export interface SendSlashCommandOptions extends DeliveryOptions {
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

export interface SendBlockActionOptions extends DeliveryOptions {
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
