import type { IncomingMessage } from 'node:http';
import type { WebApiResult } from './web-api';

/** Methods that take the app-level token (`xapp-…`) and refuse the bot token. */
const APP_LEVEL_METHODS: ReadonlySet<string> = new Set(['apps.connections.open']);

export interface SandboxTokens {
  readonly botToken: string;
  /** Unset: Socket Mode is off, and `apps.connections.open` refuses every token. */
  readonly appToken?: string;
}

/** The token in `Authorization: Bearer`, or in a `token` field as Slack also allows. */
export function requestToken(
  req: IncomingMessage,
  args: Readonly<Record<string, unknown>>,
): string | undefined {
  const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
  return bearer ?? (typeof args.token === 'string' ? args.token : undefined);
}

/** Why Slack would refuse `token` for `method`, or undefined when it is the right kind of token. */
export function refuseToken(
  method: string,
  token: string | undefined,
  tokens: SandboxTokens,
): WebApiResult | undefined {
  if (token === undefined || token === '') return { ok: false, error: 'not_authed' };
  const appLevel = APP_LEVEL_METHODS.has(method);
  if (token === tokens.botToken) return appLevel ? { ok: false, error: 'not_allowed_token_type' } : undefined;
  if (tokens.appToken !== undefined && token === tokens.appToken)
    return appLevel ? undefined : { ok: false, error: 'not_allowed_token_type' };
  return { ok: false, error: 'invalid_auth' };
}
