import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { refuseMessage, type WebApiContext, type WebApiResult } from './web-api';

/** What a `response_url` POST acts on: where the command ran or which message was clicked. */
export interface ResponseTarget {
  readonly channel: string;
  readonly user: string;
  /** The message `replace_original`/`delete_original` act on. */
  original?: { readonly kind: 'channel' | 'ephemeral'; readonly ts: string };
  /** Where the interaction happened, so ephemeral answers appear in the same thread. */
  readonly threadTs?: string;
  /** Slash commands have no message of their own: their "original" becomes the last response posted. */
  readonly source: 'command' | 'block_actions';
}

const flag = z.union([z.boolean(), z.enum(['true', 'false']).transform((value) => value === 'true')]);
const responseBody = z.looseObject({
  text: z.string().optional(),
  blocks: z.array(z.unknown()).optional(),
  response_type: z.enum(['ephemeral', 'in_channel']).optional(),
  replace_original: flag.optional(),
  delete_original: flag.optional(),
  thread_ts: z.string().optional(),
});

export interface ResponseOutcome {
  readonly status: number;
  readonly response: WebApiResult;
}

/** The response URLs handed to the app, by id. */
export class ResponseUrls {
  private readonly targets = new Map<string, ResponseTarget>();

  constructor(private readonly baseUrl: () => string) {}

  create(target: ResponseTarget): string {
    const id = `${Date.now().toString(36)}${randomBytes(6).toString('hex')}`;
    this.targets.set(id, target);
    return `${this.baseUrl()}/response/${id}`;
  }

  get(id: string): ResponseTarget | undefined {
    return this.targets.get(id);
  }
}

/**
 * Applies one `response_url` POST to the state. Unlike the Web API, refusals
 * use HTTP errors here, as Slack does, so Bolt's `respond()` throws and the
 * app's error handling runs.
 */
export function applyResponse(
  target: ResponseTarget,
  args: Readonly<Record<string, unknown>>,
  context: WebApiContext,
): ResponseOutcome {
  const { state, world } = context;
  if (args.blocks !== undefined && !Array.isArray(args.blocks)) return refused(400, 'invalid_blocks_format');
  const parsed = responseBody.safeParse(args);
  if (!parsed.success) return refused(400, 'invalid_arguments');
  const body = parsed.data;
  const original = target.original;

  if (body.delete_original === true) {
    if (original?.kind === 'channel') state.deleteMessage(target.channel, original.ts);
    if (original?.kind === 'ephemeral') state.deleteEphemeral(target.user, original.ts);
    target.original = undefined;
    return { status: 200, response: { ok: true } };
  }

  const refusal = refuseMessage(body.text, body.blocks);
  if (refusal) return { status: 400, response: refusal };
  const patch = { text: body.text ?? '', blocks: body.blocks ?? [] };

  if (body.replace_original === true && original) {
    const replaced =
      original.kind === 'channel'
        ? state.updateMessage(target.channel, original.ts, patch, world.bot.userId)
        : state.replaceEphemeral(target.user, original.ts, patch);
    if (replaced) return { status: 200, response: { ok: true } };
    // The original is gone (deleted meanwhile): fall through and post a fresh message, as Slack does.
  }

  const requestedThread = body.thread_ts ?? target.threadTs;
  if (body.response_type === 'in_channel') {
    const root =
      requestedThread === undefined ? undefined : state.threadRoot(target.channel, requestedThread);
    if (requestedThread !== undefined && !root) return refused(404, 'thread_not_found');
    const message = state.postMessage({
      channel: target.channel,
      user: world.bot.userId,
      botId: world.bot.botId,
      appId: world.bot.appId,
      ...patch,
      threadTs: root?.ts,
    });
    if (target.source === 'command') target.original = { kind: 'channel', ts: message.ts };
    return { status: 200, response: { ok: true } };
  }

  const ephemeral = state.postEphemeral({
    channel: target.channel,
    user: target.user,
    ...patch,
    ...(requestedThread === undefined ? {} : { thread_ts: requestedThread }),
  });
  if (target.source === 'command') target.original = { kind: 'ephemeral', ts: ephemeral.ts };
  return { status: 200, response: { ok: true } };
}

const refused = (status: number, error: string): ResponseOutcome => ({
  status,
  response: { ok: false, error },
});
