import type { SlackEmulator } from '../emulator';
import type { SandboxEphemeral, SandboxMessage } from '../state';
import { findChannel, findUser, type SandboxWorld } from '../world';
import { renderBlocks } from './blocks';
import { escapeHtml } from './html';
import { renderMrkdwn } from './mrkdwn';
import type { RenderContext } from './render-context';

/** One message as the page shows it: `html` is rendered and escaped here, never by the browser. */
export interface MessageView {
  readonly ts: string;
  /** The author's name, escaped. */
  readonly author: string;
  readonly html: string;
  readonly replyCount: number;
  readonly edited: boolean;
  readonly threadTs?: string;
  /** A thread reply also sent to the channel. */
  readonly broadcast: boolean;
}

export interface StateView {
  readonly channel: { readonly id: string; readonly name: string };
  readonly user: string;
  readonly messages: readonly MessageView[];
  /** Replies per root ts, for the roots that have any. */
  readonly threads: Readonly<Record<string, readonly MessageView[]>>;
  /** Only the asking user's ephemerals in this channel. */
  readonly ephemerals: readonly MessageView[];
}

export function worldContext(world: SandboxWorld): RenderContext {
  return {
    userName: (id) => findUser(world, id)?.displayName,
    channelName: (id) => findChannel(world, id)?.name,
  };
}

/** Blocks when there are any, as Slack shows them; otherwise the mrkdwn `text`. */
function bodyHtml(message: SandboxMessage | SandboxEphemeral, ctx: RenderContext): string {
  const files = 'files' in message && message.files ? message.files : [];
  const body =
    message.blocks.length > 0 ? renderBlocks(message.blocks, ctx) : renderMrkdwn(message.text, ctx);
  const attached = files.map((file) => `<div class="file">📎 ${escapeHtml(file.name)}</div>`).join('');
  return body + attached;
}

function authorName(world: SandboxWorld, id: string): string {
  return escapeHtml(findUser(world, id)?.displayName ?? id);
}

export function buildStateView(emulator: SlackEmulator, user: string): StateView {
  const { world } = emulator;
  const ctx = worldContext(world);
  const channelId = world.incidentChannelId;
  const view = (message: SandboxMessage): MessageView => ({
    ts: message.ts,
    author: authorName(world, message.user),
    html: bodyHtml(message, ctx),
    replyCount: message.reply_count ?? 0,
    edited: message.edited !== undefined,
    broadcast: message.subtype === 'thread_broadcast',
    ...(message.thread_ts !== undefined ? { threadTs: message.thread_ts } : {}),
  });
  const messages = emulator.messages(channelId);
  const threads: Record<string, MessageView[]> = {};
  for (const root of messages) {
    if ((root.reply_count ?? 0) > 0) threads[root.ts] = emulator.thread(channelId, root.ts).map(view);
  }
  const ephemerals = emulator
    .ephemerals(user)
    .filter((ephemeral) => ephemeral.channel === channelId)
    .map((ephemeral) => ({
      ts: ephemeral.ts,
      author: authorName(world, world.bot.userId),
      html: bodyHtml(ephemeral, ctx),
      replyCount: 0,
      edited: false,
      broadcast: false,
      ...(ephemeral.thread_ts !== undefined ? { threadTs: ephemeral.thread_ts } : {}),
    }));
  return {
    channel: { id: channelId, name: escapeHtml(findChannel(world, channelId)?.name ?? channelId) },
    user,
    messages: messages.map(view),
    threads,
    ephemerals,
  };
}
