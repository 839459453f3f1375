import { signSlackRequest } from '../slack-signing';

/** Re-exported: the emulator's callers sign with the same helper production verifies with. */
export { signSlackRequest };

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
