/** A message as `conversations.history` would show it. */
export interface SandboxMessage {
  readonly type: 'message';
  readonly channel: string;
  readonly ts: string;
  readonly user: string;
  readonly bot_id?: string;
  readonly app_id?: string;
  readonly text: string;
  readonly blocks: readonly unknown[];
  /** On a reply: its root's ts. On a root with replies: its own ts (Slack's convention). */
  readonly thread_ts?: string;
  readonly reply_count?: number;
  readonly reply_users?: readonly string[];
  readonly latest_reply?: string;
  readonly edited?: { readonly user: string; readonly ts: string };
  /** Files shared with this message by `files.completeUploadExternal`. */
  readonly files?: readonly SandboxMessageFile[];
  /** Set, as Slack does, on the message a file upload created. */
  readonly upload?: true;
  /** A thread reply also sent to the channel (`reply_broadcast`), as Slack marks it. */
  readonly subtype?: 'thread_broadcast';
}

/** A file as a message carries it (Slack's file object, trimmed). */
export interface SandboxMessageFile {
  readonly id: string;
  readonly name: string;
  readonly title: string;
  readonly size: number;
}

/** Visible to one user only; Slack forgets these on reload, so nothing here is "on record". */
export interface SandboxEphemeral {
  readonly channel: string;
  readonly user: string;
  readonly ts: string;
  readonly text: string;
  readonly blocks: readonly unknown[];
  readonly thread_ts?: string;
}

export interface NewMessage {
  readonly channel: string;
  readonly user: string;
  readonly botId?: string;
  readonly appId?: string;
  readonly text: string;
  readonly blocks: readonly unknown[];
  /** Must be a root's ts: resolve it with `threadRoot` first. */
  readonly threadTs?: string;
  readonly files?: readonly SandboxMessageFile[];
  /** With `threadTs`: shown in the channel too. */
  readonly broadcast?: boolean;
}

export interface MessagePatch {
  readonly text?: string;
  readonly blocks?: readonly unknown[];
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A fixed epoch keeps timestamps deterministic, so failing tests print the same ids on every run. */
const BASE_SECONDS = 1_764_320_000;
const TS_STEP_MICROS = 100;

/**
 * Channels, threads and ephemerals. Accessors hand out copies: a test that
 * kept a message sees it as it was, and cannot change the emulator's record.
 */
export class SandboxState {
  /** Per channel, every message including thread replies, in posting order. */
  private readonly channelMessages = new Map<string, Mutable<SandboxMessage>[]>();
  private readonly ephemeralsByUser = new Map<string, Mutable<SandboxEphemeral>[]>();
  private sequence = 0;
  private readonly listeners = new Set<() => void>();

  /** Called after every post, update and delete (ephemerals included); returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Forget every message and ephemeral (a sandbox reset); timestamps keep increasing, never reused. */
  clear(): void {
    this.channelMessages.clear();
    this.ephemeralsByUser.clear();
    this.changed();
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }

  /** Unique and increasing, in Slack's `seconds.micros` shape (`1764320000.000100`). */
  nextTs(): string {
    this.sequence += 1;
    const micros = this.sequence * TS_STEP_MICROS;
    const seconds = BASE_SECONDS + Math.floor(micros / 1_000_000);
    return `${seconds}.${String(micros % 1_000_000).padStart(6, '0')}`;
  }

  /** The root a reply to `ts` belongs in: replying to a reply lands in the same thread. */
  threadRoot(channel: string, ts: string): SandboxMessage | undefined {
    const target = this.find(channel, ts);
    if (target?.thread_ts === undefined || target.thread_ts === target.ts) return target && copy(target);
    const root = this.find(channel, target.thread_ts);
    return root && copy(root);
  }

  postMessage(input: NewMessage): SandboxMessage {
    const message: Mutable<SandboxMessage> = {
      type: 'message',
      channel: input.channel,
      ts: this.nextTs(),
      user: input.user,
      text: input.text,
      blocks: input.blocks,
    };
    if (input.botId !== undefined) message.bot_id = input.botId;
    if (input.appId !== undefined) message.app_id = input.appId;
    if (input.files !== undefined) {
      message.files = input.files;
      message.upload = true;
    }
    if (input.threadTs !== undefined) {
      message.thread_ts = input.threadTs;
      if (input.broadcast === true) message.subtype = 'thread_broadcast';
      const root = this.find(input.channel, input.threadTs);
      if (root) {
        root.thread_ts = root.ts;
        root.reply_count = (root.reply_count ?? 0) + 1;
        root.reply_users = [...new Set([...(root.reply_users ?? []), input.user])];
        root.latest_reply = message.ts;
      }
    }
    this.listFor(input.channel).push(message);
    this.changed();
    return copy(message);
  }

  /** Omitted fields keep their value; `blocks: []` removes the blocks, as in `chat.update`. */
  updateMessage(
    channel: string,
    ts: string,
    patch: MessagePatch,
    editor: string,
  ): SandboxMessage | undefined {
    const message = this.find(channel, ts);
    if (!message) return undefined;
    if (patch.text !== undefined) message.text = patch.text;
    if (patch.blocks !== undefined) message.blocks = patch.blocks;
    message.edited = { user: editor, ts: this.nextTs() };
    this.changed();
    return copy(message);
  }

  deleteMessage(channel: string, ts: string): boolean {
    const list = this.listFor(channel);
    const index = list.findIndex((message) => message.ts === ts);
    if (index < 0) return false;
    list.splice(index, 1);
    this.changed();
    return true;
  }

  findMessage(channel: string, ts: string): SandboxMessage | undefined {
    const message = this.find(channel, ts);
    return message && copy(message);
  }

  postEphemeral(input: Omit<SandboxEphemeral, 'ts'>): SandboxEphemeral {
    const ephemeral: Mutable<SandboxEphemeral> = { ...input, ts: this.nextTs() };
    const list = this.ephemeralsByUser.get(input.user) ?? [];
    list.push(ephemeral);
    this.ephemeralsByUser.set(input.user, list);
    this.changed();
    return copy(ephemeral);
  }

  replaceEphemeral(user: string, ts: string, patch: MessagePatch): SandboxEphemeral | undefined {
    const ephemeral = this.ephemeralsByUser.get(user)?.find((candidate) => candidate.ts === ts);
    if (!ephemeral) return undefined;
    if (patch.text !== undefined) ephemeral.text = patch.text;
    if (patch.blocks !== undefined) ephemeral.blocks = patch.blocks;
    this.changed();
    return copy(ephemeral);
  }

  deleteEphemeral(user: string, ts: string): boolean {
    const list = this.ephemeralsByUser.get(user) ?? [];
    const index = list.findIndex((candidate) => candidate.ts === ts);
    if (index < 0) return false;
    list.splice(index, 1);
    this.changed();
    return true;
  }

  /** Top-level messages (thread roots included, replies not), oldest first. */
  /** The channel as Slack shows it: roots, and replies that were also sent to the channel. */
  messages(channel: string): SandboxMessage[] {
    return this.listFor(channel)
      .filter(
        (message) =>
          message.thread_ts === undefined ||
          message.thread_ts === message.ts ||
          message.subtype === 'thread_broadcast',
      )
      .map(copy);
  }

  /** The replies under `ts`, oldest first, without the root. */
  thread(channel: string, ts: string): SandboxMessage[] {
    return this.listFor(channel)
      .filter((message) => message.thread_ts === ts && message.ts !== ts)
      .map(copy);
  }

  ephemerals(user: string): SandboxEphemeral[] {
    return (this.ephemeralsByUser.get(user) ?? []).map(copy);
  }

  private find(channel: string, ts: string): Mutable<SandboxMessage> | undefined {
    return this.channelMessages.get(channel)?.find((message) => message.ts === ts);
  }

  private listFor(channel: string): Mutable<SandboxMessage>[] {
    let list = this.channelMessages.get(channel);
    if (!list) {
      list = [];
      this.channelMessages.set(channel, list);
    }
    return list;
  }
}

const copy = <T>(value: T): T => structuredClone(value);
