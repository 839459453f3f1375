import { createHmac } from 'node:crypto';

/** The headers Bolt's HTTP receiver reads before it trusts a request (a type alias, so it fits a string record). */
export type SlackRequestHeaders = {
  /** Exactly this value: Bolt compares it with `===`, so `; charset=utf-8` breaks parsing. */
  'content-type': 'application/x-www-form-urlencoded';
  'x-slack-request-timestamp': string;
  'x-slack-signature': string;
};

export interface SlackRequestHeaderOptions {
  /** Defaults to now; pass an old value to test Bolt's 5-minute staleness check. */
  readonly timestampSeconds?: number;
  /** Replaces the computed signature, to test that forgeries are refused. */
  readonly signature?: string;
}

/** Slack's v0 scheme: `v0=` + hex HMAC-SHA256 of `v0:<timestamp>:<raw body>`. */
export function signSlackRequest(signingSecret: string, timestampSeconds: number, rawBody: string): string {
  const digest = createHmac('sha256', signingSecret)
    .update(`v0:${timestampSeconds}:${rawBody}`)
    .digest('hex');
  return `v0=${digest}`;
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

export function slackRequestHeaders(
  signingSecret: string,
  rawBody: string,
  options: SlackRequestHeaderOptions = {},
): SlackRequestHeaders {
  const timestampSeconds = options.timestampSeconds ?? nowSeconds();
  return {
    'content-type': 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': String(timestampSeconds),
    'x-slack-signature': options.signature ?? signSlackRequest(signingSecret, timestampSeconds, rawBody),
  };
}
