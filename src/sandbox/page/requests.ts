import { z } from 'zod';
import type { SandboxWorld } from '../world';

/** Only the two people the page can switch between may act or read. */
export function isPerson(world: SandboxWorld, user: unknown): user is string {
  return user === world.requesterId || user === world.approverId;
}

export const commandRequest = z.object({ user: z.string(), text: z.string().max(4000) });

export const clickRequest = z.object({
  user: z.string(),
  messageTs: z.string(),
  actionId: z.string(),
  blockId: z.string().optional(),
  value: z.string().optional(),
});

/** `/stuckjobs diagnose webhooks` → `{ command: '/stuckjobs', text: 'diagnose webhooks' }`. */
export function parseCommandLine(line: string): { command: string; text: string } | undefined {
  const match = /^(\/[\w-]+)(?:\s+([\s\S]*))?$/.exec(line.trim());
  if (!match) return undefined;
  return { command: match[1] ?? '', text: (match[2] ?? '').trim() };
}

/** What the app acked a slash command with, when Slack would show it (text or blocks in JSON). */
export function ackMessage(body: string): Record<string, unknown> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  const shape = z.looseObject({ text: z.string().optional(), blocks: z.array(z.unknown()).optional() });
  const result = shape.safeParse(parsed);
  if (!result.success || (result.data.text === undefined && result.data.blocks === undefined))
    return undefined;
  return result.data;
}
