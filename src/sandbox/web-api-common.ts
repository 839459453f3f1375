import type { z } from 'zod';
import { findBlockKitViolations } from '../../blocks/limits';
import type { FileStore } from './files';
import type { SandboxState } from './state';
import type { SandboxChannel, SandboxWorld } from './world';

export interface WebApiContext {
  readonly world: SandboxWorld;
  readonly state: SandboxState;
  /** Uploads and shared files (`files.getUploadURLExternal`, `files.completeUploadExternal`). */
  readonly files: FileStore;
  /** Where upload URLs point: `http://127.0.0.1:PORT`. */
  readonly baseUrl: string;
  /** Answers `apps.connections.open` (the app-level token was checked before). */
  readonly openSocket: () => WebApiResult;
}

export type WebApiResult = Readonly<Record<string, unknown>> & { readonly ok: boolean };

export type Args = Readonly<Record<string, unknown>>;
export type Handler = (args: Args, context: WebApiContext) => WebApiResult;

export const fail = (error: string, extra: Record<string, unknown> = {}): WebApiResult => ({
  ok: false,
  error,
  ...extra,
});

/**
 * Why Slack would refuse this message, or undefined. `msg_too_long` for plain
 * text, `invalid_blocks` with the readable violations otherwise. Stricter than
 * Slack on one point: blocks without a fallback `text` are refused, because
 * the project requires it (reference/slack-notes.md).
 */
export function refuseMessage(
  text: string | undefined,
  blocks: readonly unknown[] | undefined,
): WebApiResult | undefined {
  const hasText = text !== undefined && text.trim() !== '';
  const hasBlocks = blocks !== undefined && blocks.length > 0;
  if (!hasText && !hasBlocks) return fail('no_text');
  const violations = findBlockKitViolations({ text, blocks: blocks ?? [] });
  if (violations.length === 0) return undefined;
  if (!hasBlocks) return fail('msg_too_long', { errors: violations });
  return fail('invalid_blocks', { errors: violations, response_metadata: { messages: violations } });
}

/** Channel ids, or names with or without `#`, as `chat.postMessage` accepts both. */
export function resolveChannel(
  world: SandboxWorld,
  idOrName: string | undefined,
): SandboxChannel | undefined {
  if (idOrName === undefined) return undefined;
  const name = idOrName.replace(/^#/, '');
  return world.channels.find((channel) => channel.id === idOrName || channel.name === name);
}

export function parseArgs<T>(
  schema: z.ZodType<T, unknown>,
  args: Args,
): { data: T } | { failure: WebApiResult } {
  if (args.blocks !== undefined && !Array.isArray(args.blocks))
    return { failure: fail('invalid_blocks_format') };
  const parsed = schema.safeParse(args);
  if (parsed.success) return { data: parsed.data };
  const messages = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  return { failure: fail('invalid_arguments', { response_metadata: { messages } }) };
}
