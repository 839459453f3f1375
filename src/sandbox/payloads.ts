import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { SandboxMessage } from './state';
import { findChannel, findUser, type SandboxWorld } from './world';

/** The form fields Slack posts for a slash command (a type alias, so it is assignable to a string record). */
export type SlashCommandForm = {
  readonly token: string;
  readonly team_id: string;
  readonly team_domain: string;
  readonly channel_id: string;
  readonly channel_name: string;
  readonly user_id: string;
  readonly user_name: string;
  readonly command: string;
  readonly text: string;
  readonly api_app_id: string;
  readonly is_enterprise_install: 'false';
  readonly response_url: string;
  readonly trigger_id: string;
};

export interface BlockActionPayload {
  readonly type: 'block_actions';
  readonly user: {
    readonly id: string;
    readonly username: string;
    readonly name: string;
    readonly team_id: string;
  };
  readonly api_app_id: string;
  readonly token: string;
  readonly container: {
    readonly type: 'message';
    readonly message_ts: string;
    readonly channel_id: string;
    readonly is_ephemeral: false;
    readonly thread_ts?: string;
  };
  readonly trigger_id: string;
  readonly team: { readonly id: string; readonly domain: string };
  readonly enterprise: null;
  readonly is_enterprise_install: false;
  readonly channel: { readonly id: string; readonly name: string };
  /** Absent when the clicked message is not in the emulator (a test forging a click). */
  readonly message?: Readonly<Record<string, unknown>>;
  readonly state: { readonly values: Readonly<Record<string, never>> };
  readonly response_url: string;
  readonly actions: readonly [
    {
      readonly type: string;
      readonly action_id: string;
      readonly block_id: string;
      readonly value?: string;
      readonly text: { readonly type: 'plain_text'; readonly text: string; readonly emoji: true };
      readonly action_ts: string;
    },
  ];
}

export interface SlashCommandInput {
  readonly user: string;
  readonly channel: string;
  readonly command: string;
  readonly text: string;
  readonly responseUrl: string;
}

export interface BlockActionInput {
  readonly user: string;
  readonly channel: string;
  readonly messageTs: string;
  readonly threadTs?: string;
  readonly actionId: string;
  readonly value?: string;
  readonly blockId?: string;
  readonly text?: string;
  readonly responseUrl: string;
  /** The clicked message as stored, if it exists. */
  readonly message?: SandboxMessage;
}

/** Shaped like Slack's (`<digits>.<digits>.<hex>`); nothing here opens modals, so it only needs to be unique. */
export function newTriggerId(): string {
  return `${Date.now()}.${process.pid}.${randomBytes(10).toString('hex')}`;
}

export function buildSlashCommandForm(world: SandboxWorld, input: SlashCommandInput): SlashCommandForm {
  return {
    token: world.verificationToken,
    team_id: world.team.id,
    team_domain: world.team.domain,
    channel_id: input.channel,
    channel_name: findChannel(world, input.channel)?.name ?? input.channel,
    user_id: input.user,
    user_name: findUser(world, input.user)?.name ?? input.user,
    command: input.command,
    text: input.text,
    api_app_id: world.bot.appId,
    is_enterprise_install: 'false',
    response_url: input.responseUrl,
    trigger_id: newTriggerId(),
  };
}

export function buildBlockActionPayload(world: SandboxWorld, input: BlockActionInput): BlockActionPayload {
  const user = findUser(world, input.user);
  const button = input.message ? findButton(input.message.blocks, input.actionId) : undefined;
  const threadTs = input.threadTs ?? replyThreadTs(input.message);
  const label = input.text ?? button?.text ?? input.actionId;
  const value = input.value ?? button?.value;
  return {
    type: 'block_actions',
    user: {
      id: input.user,
      username: user?.name ?? input.user,
      name: user?.name ?? input.user,
      team_id: world.team.id,
    },
    api_app_id: world.bot.appId,
    token: world.verificationToken,
    container: {
      type: 'message',
      message_ts: input.messageTs,
      channel_id: input.channel,
      is_ephemeral: false,
      ...(threadTs === undefined ? {} : { thread_ts: threadTs }),
    },
    trigger_id: newTriggerId(),
    team: { id: world.team.id, domain: world.team.domain },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: input.channel, name: findChannel(world, input.channel)?.name ?? input.channel },
    ...(input.message ? { message: asPayloadMessage(world, input.message) } : {}),
    state: { values: {} },
    response_url: input.responseUrl,
    actions: [
      {
        type: button?.type ?? 'button',
        action_id: input.actionId,
        block_id: input.blockId ?? button?.blockId ?? 'sandbox_block',
        ...(value === undefined ? {} : { value }),
        text: { type: 'plain_text', text: label, emoji: true },
        action_ts: actionTs(),
      },
    ],
  };
}

/** Payload messages carry `team` and no `channel`: the channel is beside them. */
function asPayloadMessage(world: SandboxWorld, message: SandboxMessage): Record<string, unknown> {
  const { channel: _channel, ...rest } = message;
  return { ...rest, team: world.team.id };
}

function replyThreadTs(message: SandboxMessage | undefined): string | undefined {
  return message?.thread_ts !== undefined && message.thread_ts !== message.ts ? message.thread_ts : undefined;
}

const actionTs = (): string => (Date.now() / 1000).toFixed(6);

const element = z.looseObject({
  type: z.string(),
  action_id: z.string(),
  value: z.string().optional(),
  text: z.looseObject({ text: z.string() }).optional(),
});
const block = z.looseObject({
  block_id: z.string().optional(),
  elements: z.array(z.unknown()).optional(),
  accessory: z.unknown().optional(),
});

interface FoundButton {
  readonly type: string;
  readonly blockId?: string;
  readonly value?: string;
  readonly text?: string;
}

/** The element a click would come from, so tests need only name the action. */
function findButton(blocks: readonly unknown[], actionId: string): FoundButton | undefined {
  for (const candidate of blocks) {
    const parsedBlock = block.safeParse(candidate);
    if (!parsedBlock.success) continue;
    const elements = [...(parsedBlock.data.elements ?? []), parsedBlock.data.accessory];
    for (const raw of elements) {
      const parsed = element.safeParse(raw);
      if (parsed.success && parsed.data.action_id === actionId) {
        return {
          type: parsed.data.type,
          blockId: parsedBlock.data.block_id,
          value: parsed.data.value,
          text: parsed.data.text?.text,
        };
      }
    }
  }
  return undefined;
}
