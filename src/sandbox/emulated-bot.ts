import { randomBytes } from 'node:crypto';
import { startBot, type RunningBot } from '../app';
import type { HealthCheck } from '../health-server';
import type { Logger } from '../logger';
import type { HandlerServices } from '../services';
import { SlackEmulator } from './emulator';

/** The local Slack and the secrets it signs and authorises with. */
export interface EmulatedSlack {
  readonly emulator: SlackEmulator;
  readonly botToken: string;
  readonly signingSecret: string;
}

/** A local Slack with fresh secrets; `label` names the token's owner (sandbox, test, bench). */
export async function startEmulatedSlack(label: string): Promise<EmulatedSlack> {
  const signingSecret = randomBytes(16).toString('hex');
  const botToken = `xoxb-${label}-${randomBytes(8).toString('hex')}`;
  const emulator = await SlackEmulator.start({ signingSecret, botToken });
  return { emulator, botToken, signingSecret };
}

export interface BotBehindEmulatorOptions {
  readonly services: HandlerServices;
  readonly health: HealthCheck;
  readonly logger: Logger;
  /**
   * Web API retries; 0 by default, so a failure injected with `failNext` shows
   * at once. A test of what production does with a 429 passes production's 3.
   */
  readonly slackRetries?: number;
}

/**
 * The real Bolt app in HTTP mode behind the emulator: on a free loopback port
 * (only the emulator calls it), with no Web API retries unless asked, and the
 * emulator pointed at it.
 */
export async function startBotBehindEmulator(
  slack: EmulatedSlack,
  options: BotBehindEmulatorOptions,
): Promise<RunningBot> {
  const { emulator, botToken, signingSecret } = slack;
  const bot = await startBot({
    mode: 'http',
    botToken,
    signingSecret,
    slackApiUrl: emulator.apiUrl,
    port: 0,
    host: '127.0.0.1',
    ...options,
    slackRetries: options.slackRetries ?? 0,
  });
  emulator.setAppUrl(`http://127.0.0.1:${bot.port}/slack/events`);
  return bot;
}
