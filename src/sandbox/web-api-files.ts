import { z } from 'zod';
import type { SandboxMessageFile } from './state';
import { fail, parseArgs, refuseMessage, resolveChannel, type Handler } from './web-api-common';

/** Form bodies carry numbers as strings. */
const byteLength = z
  .union([z.number(), z.string().regex(/^\d+$/, 'expected a byte count').transform(Number)])
  .pipe(z.number().int().nonnegative());

/** `files` arrives as a JSON string in form bodies (the Slack client's way) or as an array in JSON bodies. */
const fileRefs = z
  .union([
    z.array(z.unknown()),
    z.string().transform((raw, ctx) => {
      try {
        return JSON.parse(raw) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'expected a JSON array of { id, title }' });
        return z.NEVER;
      }
    }),
  ])
  .pipe(z.array(z.object({ id: z.string().min(1), title: z.string().optional() })).min(1));

const uploadUrlArgs = z.looseObject({
  filename: z.string().min(1),
  length: byteLength,
  alt_text: z.string().optional(),
  snippet_type: z.string().optional(),
});

const completeArgs = z.looseObject({
  files: fileRefs,
  channel_id: z.string().optional(),
  /** The v1 name; the Slack client maps a single `channels` to `channel_id`. */
  channels: z.string().optional(),
  thread_ts: z.string().optional(),
  initial_comment: z.string().optional(),
  blocks: z.array(z.unknown()).optional(),
});

/**
 * `files.uploadV2` in the Slack client is three steps: reserve an upload URL
 * with the exact byte length, POST the bytes there (see `FileStore.receive`),
 * then complete, which shares the files into a channel or thread in one
 * message, as Slack does.
 */
export const fileHandlers: Readonly<Record<string, Handler>> = {
  'files.getUploadURLExternal': (args, { files, baseUrl }) => {
    const parsed = parseArgs(uploadUrlArgs, args);
    if ('failure' in parsed) return parsed.failure;
    const fileId = files.reserve(parsed.data.filename, parsed.data.length);
    return { ok: true, upload_url: `${baseUrl}/upload/${fileId}`, file_id: fileId };
  },

  'files.completeUploadExternal': (args, { world, state, files }) => {
    const parsed = parseArgs(completeArgs, args);
    if ('failure' in parsed) return parsed.failure;
    const { thread_ts: threadTs, initial_comment: initialComment, blocks } = parsed.data;
    const described = parsed.data.files.map((ref) => files.describe(ref.id, ref.title));
    // Unknown ids, ids whose bytes never arrived (or did not match the length), and completed ids.
    if (described.some((file) => file === undefined)) return fail('file_not_found');
    const completed = described.filter((file): file is SandboxMessageFile => file !== undefined);

    const channelArg = parsed.data.channel_id ?? parsed.data.channels;
    if (channelArg === undefined || channelArg === '') {
      // Uploaded privately: Slack keeps the file but shares it nowhere.
      for (const file of completed) files.complete(file, undefined);
      return { ok: true, files: completed };
    }
    const channel = resolveChannel(world, channelArg);
    if (!channel) return fail('channel_not_found');
    let rootTs: string | undefined;
    if (threadTs !== undefined && threadTs !== '') {
      rootTs = state.threadRoot(channel.id, threadTs)?.ts;
      if (rootTs === undefined) return fail('thread_not_found');
    }
    if (blocks !== undefined && blocks.length > 0) {
      const refusal = refuseMessage(initialComment, blocks);
      if (refusal) return refusal;
    }
    const message = state.postMessage({
      channel: channel.id,
      user: world.bot.userId,
      botId: world.bot.botId,
      appId: world.bot.appId,
      text: initialComment ?? '',
      blocks: blocks ?? [],
      threadTs: rootTs,
      files: completed,
    });
    const share = { channel: channel.id, messageTs: message.ts, threadTs: rootTs, initialComment };
    for (const file of completed) files.complete(file, share);
    return { ok: true, files: completed };
  },
};
