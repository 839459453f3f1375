import { randomBytes } from 'node:crypto';
import { Agent, request } from 'undici';
import { BlockId } from '../../blocks/ids';
import { findBlockKitViolations } from '../../blocks/limits';
import { SANDBOX_IDS, slackRequestHeaders, type AppResponse, type RecordedCall } from '../../src/sandbox';
import { eventually } from '../helpers/eventually';
import { startLoopback, type Loopback } from '../helpers/loopback';
import type { Harness } from '../e2e/harness';
import { blocksOf } from '../e2e/messages';

/** How one attack ended, for the suite's tally. */
export type Verdict = 'refused' | 'handled';

export interface Tally {
  tried: number;
  refused: number;
  /** Attacks after which the bot failed a listener with an unknown error or stopped answering. */
  crashed: number;
  readonly names: string[];
}

/** What a reply to one of our own response URLs said. */
export interface CapturedReply {
  readonly text: string;
  readonly blocks: unknown[];
  readonly raw: Record<string, unknown>;
}

/** pino's number for `error`: a listener that failed with an unknown error logs at it. */
const ERROR_LEVEL = 50;

/**
 * Sends crafted requests to the running bot (signed right, signed wrong, or
 * not at all), collects the answers on a response URL of its own, and keeps
 * the tally: tried, refused, crashed. After each attack it checks the bot
 * still answers a normal diagnose, and that nothing it sent breaks Block Kit.
 */
export class AttackKit {
  readonly tally: Tally = { tried: 0, refused: 0, crashed: 0, names: [] };
  private readonly agent = new Agent({ connections: 4 });
  private replyCount = 0;

  private constructor(
    readonly harness: Harness,
    private readonly replies: Loopback,
  ) {}

  static async start(harness: Harness): Promise<AttackKit> {
    const replies = await startLoopback((_req, res) => res.writeHead(200).end('ok'));
    return new AttackKit(harness, replies);
  }

  get appUrl(): string {
    return `http://127.0.0.1:${this.harness.bot.port}/slack/events`;
  }

  private get secret(): string {
    const secret = this.harness.config.slack.signingSecret;
    if (!secret) throw new Error('the harness runs in HTTP mode with a signing secret');
    return secret;
  }

  /** The headers Slack would send for `body`; `overrides` forge or drop them. */
  headers(
    body: string,
    options: { timestampSeconds?: number; overrides?: Record<string, string | undefined> } = {},
  ): Record<string, string> {
    const headers: Record<string, string | undefined> = {
      ...slackRequestHeaders(
        this.secret,
        body,
        options.timestampSeconds !== undefined ? { timestampSeconds: options.timestampSeconds } : {},
      ),
      ...options.overrides,
    };
    return Object.fromEntries(
      Object.entries(headers).filter((entry): entry is [string, string] => entry[1] !== undefined),
    );
  }

  /** Exactly these bytes and headers. */
  async post(body: string | Buffer, headers: Record<string, string>): Promise<AppResponse> {
    const response = await request(this.appUrl, { method: 'POST', body, headers, dispatcher: this.agent });
    return { status: response.statusCode, body: await response.body.text() };
  }

  /** A response URL on our own loopback, so the bot's answer to a crafted request can be read. */
  newResponseUrl(): string {
    this.replyCount += 1;
    return `${this.replies.url}/reply/${this.replyCount}-${randomBytes(3).toString('hex')}`;
  }

  /** The first answer posted to `responseUrl`. */
  async replyTo(responseUrl: string, timeoutMs = 15_000): Promise<CapturedReply> {
    const path = new URL(responseUrl).pathname;
    const seen = await eventually(
      () => Promise.resolve(this.replies.seen.find((r) => r.url === path)),
      timeoutMs,
    );
    const raw = JSON.parse(seen.body) as Record<string, unknown>;
    const reply = {
      text: typeof raw.text === 'string' ? raw.text : '',
      blocks: Array.isArray(raw.blocks) ? (raw.blocks as unknown[]) : [],
      raw,
    };
    expect(findBlockKitViolations(reply)).toEqual([]);
    return reply;
  }

  /** How many answers were posted to `responseUrl` so far. */
  repliesTo(responseUrl: string): number {
    return this.bodiesTo(responseUrl).length;
  }

  /** The raw bodies posted to `responseUrl` so far. */
  bodiesTo(responseUrl: string): string[] {
    const path = new URL(responseUrl).pathname;
    return this.replies.seen.filter((r) => r.url === path).map((r) => r.body);
  }

  /** A slash command's form as Slack posts it, answering to our own response URL. */
  commandForm(text: string, overrides: Record<string, string> = {}): Record<string, string> {
    return {
      token: 'sandbox-verification-token',
      team_id: SANDBOX_IDS.team,
      team_domain: 'stuckjobs-sandbox',
      channel_id: SANDBOX_IDS.incidentChannel,
      channel_name: 'inc-ops-stalled',
      user_id: SANDBOX_IDS.requester,
      user_name: 'riley',
      command: '/stuckjobs',
      text,
      api_app_id: SANDBOX_IDS.app,
      is_enterprise_install: 'false',
      response_url: this.newResponseUrl(),
      trigger_id: `${Date.now()}.${process.pid}.${randomBytes(10).toString('hex')}`,
      ...overrides,
    };
  }

  /** A `block_actions` payload of one button click, answering to our own response URL. */
  clickPayload(
    actionId: string,
    value: string | undefined,
    overrides: {
      user?: string;
      team?: string;
      channel?: string;
      messageTs?: string;
    } = {},
  ): Record<string, unknown> {
    const channel = overrides.channel ?? SANDBOX_IDS.incidentChannel;
    const team = overrides.team ?? SANDBOX_IDS.team;
    const user = overrides.user ?? SANDBOX_IDS.requester;
    const ts = overrides.messageTs ?? '1700000000.000100';
    return {
      type: 'block_actions',
      user: { id: user, username: user, name: user, team_id: team },
      api_app_id: SANDBOX_IDS.app,
      token: 'sandbox-verification-token',
      container: { type: 'message', message_ts: ts, channel_id: channel, is_ephemeral: false },
      trigger_id: `${Date.now()}.${process.pid}.${randomBytes(10).toString('hex')}`,
      team: { id: team, domain: 'elsewhere' },
      enterprise: null,
      is_enterprise_install: false,
      channel: { id: channel, name: channel === SANDBOX_IDS.incidentChannel ? 'inc-ops-stalled' : 'random' },
      message: { ts, text: 'x', type: 'message' },
      state: { values: {} },
      response_url: this.newResponseUrl(),
      actions: [
        {
          type: 'button',
          action_id: actionId,
          block_id: 'adversarial',
          ...(value === undefined ? {} : { value }),
          text: { type: 'plain_text', text: 'x', emoji: true },
          action_ts: (Date.now() / 1000).toFixed(6),
        },
      ],
    };
  }

  /** URL-encodes a form the way Slack does. */
  static form(fields: Record<string, string>): string {
    return new URLSearchParams(fields).toString();
  }

  /**
   * One attack: runs it, checks the bot is still alive and every message it
   * sent meanwhile is valid Block Kit, and counts it. `attack` says whether
   * the bot refused it or (legitimately) handled it.
   */
  async attack(name: string, attack: () => Promise<Verdict>): Promise<void> {
    const calls = this.harness.emulator.calls.length;
    const logs = this.harness.logLines.length;
    this.tally.tried += 1;
    this.tally.names.push(name);
    let verdict: Verdict | undefined;
    try {
      verdict = await attack();
    } finally {
      const failed = this.harness.logLines
        .slice(logs)
        .filter((line) => Number(line.level) >= ERROR_LEVEL && line.msg === 'listener failed');
      const alive = await this.alive().then(
        () => true,
        () => false,
      );
      if (failed.length > 0 || !alive) this.tally.crashed += 1;
      if (verdict === 'refused') this.tally.refused += 1;
      expect({ name, failed: failed.map((line) => line.err) }).toEqual({ name, failed: [] });
      expect({ name, alive }).toEqual({ name, alive: true });
      expect({ name, violations: this.violationsSince(calls) }).toEqual({ name, violations: [] });
    }
  }

  /** The bot still answers a normal `/stuckjobs diagnose webhooks` with a diagnosis. */
  async alive(): Promise<RecordedCall> {
    const { emulator } = this.harness;
    const before = emulator.calls.length;
    const ack = await emulator.sendSlashCommand({ text: 'diagnose webhooks' });
    if (ack.status !== 200) throw new Error(`diagnose answered HTTP ${ack.status}`);
    const post = await emulator.waitForCall(
      'chat.postMessage',
      (c) =>
        emulator.calls.indexOf(c) >= before &&
        blocksOf(c).some((b) => b.block_id === BlockId.diagnosisHeader),
      20_000,
    );
    // In an open incident the diagnosis is followed by a note to the user: let it land, so the
    // next attack's "nothing was sent" sees only its own calls.
    await emulator
      .waitForCall('response_url', (c) => c.responseUrl === ack.responseUrl, 2_000)
      .catch(() => undefined);
    return post;
  }

  /** Every message the bot sent after call `from` that Slack would refuse, or the emulator did. */
  violationsSince(from: number): string[] {
    const sent = this.harness.emulator.calls
      .slice(from)
      .filter((c) =>
        ['chat.postMessage', 'chat.update', 'chat.postEphemeral', 'response_url'].includes(c.method),
      );
    return sent.flatMap((call) => {
      if (call.method === 'response_url' && call.args.delete_original === true) return [];
      const problems = findBlockKitViolations({
        text: typeof call.args.text === 'string' ? call.args.text : '',
        blocks: (call.args.blocks ?? []) as unknown[],
      });
      const refused = call.response.ok === false ? [`${call.method}: ${String(call.response.error)}`] : [];
      return [...problems, ...refused].map((p) => `${call.method}: ${p}`);
    });
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.agent.close(), this.replies.close()]);
  }
}
