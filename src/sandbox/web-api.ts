import { z } from 'zod';
import {
  fail,
  parseArgs,
  refuseMessage,
  resolveChannel,
  type Args,
  type Handler,
  type WebApiContext,
  type WebApiResult,
} from './web-api-common';
import { fileHandlers } from './web-api-files';
import { findUser, findUserGroup } from './world';

export { refuseMessage, resolveChannel, type WebApiContext, type WebApiResult } from './web-api-common';

const messageFields = {
  channel: z.string().optional(),
  text: z.string().optional(),
  blocks: z.array(z.unknown()).optional(),
  thread_ts: z.string().optional(),
};
const postMessageArgs = z.looseObject({
  ...messageFields,
  // Form-encoded calls send it as a string.
  reply_broadcast: z.union([z.boolean(), z.enum(['true', 'false'])]).optional(),
});
const postEphemeralArgs = z.looseObject({ ...messageFields, user: z.string().optional() });
const updateArgs = z.looseObject({ ...messageFields, ts: z.string().optional() });
const deleteArgs = z.looseObject({ channel: z.string().optional(), ts: z.string().optional() });
const userArgs = z.looseObject({ user: z.string().optional() });
const userGroupArgs = z.looseObject({ usergroup: z.string().optional() });
const channelArgs = z.looseObject({ channel: z.string().optional() });
const permalinkArgs = z.looseObject({ channel: z.string().optional(), message_ts: z.string().optional() });

const handlers: Readonly<Record<string, Handler>> = {
  'auth.test': (_args, { world }) => ({
    ok: true,
    url: `https://${world.team.domain}.slack.com/`,
    team: world.team.name,
    user: world.bot.name,
    team_id: world.team.id,
    user_id: world.bot.userId,
    bot_id: world.bot.botId,
    is_enterprise_install: false,
  }),

  'chat.postMessage': (args, { world, state }) => {
    const parsed = parseArgs(postMessageArgs, args);
    if ('failure' in parsed) return parsed.failure;
    const { text, blocks, thread_ts: threadTs } = parsed.data;
    const broadcast = parsed.data.reply_broadcast === true || parsed.data.reply_broadcast === 'true';
    const channel = resolveChannel(world, parsed.data.channel);
    if (!channel) return fail('channel_not_found');
    const refusal = refuseMessage(text, blocks);
    if (refusal) return refusal;
    let rootTs: string | undefined;
    if (threadTs !== undefined && threadTs !== '') {
      // Slack's own behaviour for a bad thread_ts is murky; refusing makes the bot's mistake visible.
      rootTs = state.threadRoot(channel.id, threadTs)?.ts;
      if (rootTs === undefined) return fail('thread_not_found');
    }
    const message = state.postMessage({
      channel: channel.id,
      user: world.bot.userId,
      botId: world.bot.botId,
      appId: world.bot.appId,
      text: text ?? '',
      blocks: blocks ?? [],
      threadTs: rootTs,
      broadcast: broadcast && rootTs !== undefined,
    });
    return { ok: true, channel: channel.id, ts: message.ts, message };
  },

  'chat.postEphemeral': (args, { world, state }) => {
    const parsed = parseArgs(postEphemeralArgs, args);
    if ('failure' in parsed) return parsed.failure;
    const { text, blocks, thread_ts: threadTs, user } = parsed.data;
    const channel = resolveChannel(world, parsed.data.channel);
    if (!channel) return fail('channel_not_found');
    if (user === undefined || !findUser(world, user)) return fail('user_not_found');
    const refusal = refuseMessage(text, blocks);
    if (refusal) return refusal;
    const ephemeral = state.postEphemeral({
      channel: channel.id,
      user,
      text: text ?? '',
      blocks: blocks ?? [],
      ...(threadTs ? { thread_ts: threadTs } : {}),
    });
    return { ok: true, message_ts: ephemeral.ts };
  },

  'chat.update': (args, { world, state }) => {
    const parsed = parseArgs(updateArgs, args);
    if ('failure' in parsed) return parsed.failure;
    const { text, blocks, ts } = parsed.data;
    const channel = resolveChannel(world, parsed.data.channel);
    if (!channel) return fail('channel_not_found');
    // Ephemerals are not in the channel, so they land here too: Slack cannot update them either.
    const existing = ts === undefined ? undefined : state.findMessage(channel.id, ts);
    if (!existing || ts === undefined) return fail('message_not_found');
    if (existing.user !== world.bot.userId) return fail('cant_update_message');
    const refusal = refuseMessage(text ?? existing.text, blocks ?? existing.blocks);
    if (refusal) return refusal;
    const message = state.updateMessage(channel.id, ts, { text, blocks }, world.bot.userId);
    return { ok: true, channel: channel.id, ts, text: message?.text, message };
  },

  'chat.delete': (args, { world, state }) => {
    const parsed = parseArgs(deleteArgs, args);
    if ('failure' in parsed) return parsed.failure;
    const channel = resolveChannel(world, parsed.data.channel);
    if (!channel) return fail('channel_not_found');
    const { ts } = parsed.data;
    if (ts === undefined || !state.deleteMessage(channel.id, ts)) return fail('message_not_found');
    return { ok: true, channel: channel.id, ts };
  },

  'users.info': (args, { world }) => {
    const parsed = parseArgs(userArgs, args);
    if ('failure' in parsed) return parsed.failure;
    const user = parsed.data.user === undefined ? undefined : findUser(world, parsed.data.user);
    if (!user) return fail('user_not_found');
    return {
      ok: true,
      user: {
        id: user.id,
        team_id: world.team.id,
        name: user.name,
        real_name: user.realName,
        deleted: false,
        is_bot: user.isBot ?? false,
        profile: { display_name: user.displayName, real_name: user.realName },
      },
    };
  },

  // Slack's shape: the workspace URL, the channel, and the ts without its dot.
  'chat.getPermalink': (args, { world, state }) => {
    const parsed = parseArgs(permalinkArgs, args);
    if ('failure' in parsed) return parsed.failure;
    const channel = resolveChannel(world, parsed.data.channel);
    if (!channel) return fail('channel_not_found');
    const ts = parsed.data.message_ts ?? '';
    if (!state.findMessage(channel.id, ts)) return fail('message_not_found');
    return {
      ok: true,
      channel: channel.id,
      permalink: `https://${world.team.domain}.slack.com/archives/${channel.id}/p${ts.replace('.', '')}`,
    };
  },

  'usergroups.users.list': (args, { world }) => {
    const parsed = parseArgs(userGroupArgs, args);
    if ('failure' in parsed) return parsed.failure;
    const group =
      parsed.data.usergroup === undefined ? undefined : findUserGroup(world, parsed.data.usergroup);
    if (!group) return fail('no_such_subteam');
    return { ok: true, users: [...group.userIds] };
  },

  // Only the app-level token gets here (see auth.ts); the answer is a single-use WebSocket URL.
  'apps.connections.open': (_args, { openSocket }) => openSocket(),

  ...fileHandlers,

  'conversations.info': (args, { world }) => {
    const parsed = parseArgs(channelArgs, args);
    if ('failure' in parsed) return parsed.failure;
    const channel = resolveChannel(world, parsed.data.channel);
    if (!channel) return fail('channel_not_found');
    const isPrivate = channel.isPrivate ?? false;
    return {
      ok: true,
      channel: {
        id: channel.id,
        name: channel.name,
        is_channel: !isPrivate,
        is_group: isPrivate,
        is_private: isPrivate,
        is_archived: false,
        is_member: true,
        context_team_id: world.team.id,
      },
    };
  },
};

export const SUPPORTED_METHODS: readonly string[] = Object.keys(handlers);

export function callWebApiMethod(method: string, args: Args, context: WebApiContext): WebApiResult {
  const handler = Object.hasOwn(handlers, method) ? handlers[method] : undefined;
  return handler ? handler(args, context) : fail('unknown_method');
}
