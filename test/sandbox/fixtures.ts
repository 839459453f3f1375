import { LogLevel, webApi, type Logger } from '@slack/bolt';
import type { KnownBlock } from '@slack/types';
import type { SlackEmulator } from '../../src/sandbox';

export const SIGNING_SECRET = 'sandbox-signing-secret-0123456789abcdef';
export const BOT_TOKEN = 'xoxb-sandbox-0000-test';
/** The app-level token Socket Mode connects with. */
export const APP_TOKEN = 'xapp-1-A0STUCKJOBS-0000-test';

/** The real Slack client, pointed at the emulator and failing fast; `null` sends no token at all. */
export function webClient(emulator: SlackEmulator, token: string | null = BOT_TOKEN): webApi.WebClient {
  return new webApi.WebClient(token ?? undefined, {
    slackApiUrl: emulator.apiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    logger: silentLogger(),
  });
}

/** Bolt and the Slack client log expected refusals (bad signatures, 429s); keep test output readable. */
export function silentLogger(): Logger {
  let level = LogLevel.ERROR;
  const ignore = (): void => undefined;
  return {
    debug: ignore,
    info: ignore,
    warn: ignore,
    error: ignore,
    setLevel: (next: LogLevel) => {
      level = next;
    },
    getLevel: () => level,
    setName: ignore,
  };
}

export const section = (text: string, blockId?: string): KnownBlock => ({
  type: 'section',
  ...(blockId === undefined ? {} : { block_id: blockId }),
  text: { type: 'mrkdwn', text },
});

/** A diagnosis-like message with one Approve button carrying a session id. */
export function approvalBlocks(sessionId: string): KnownBlock[] {
  return [
    section('*3 workflows stalled*', 'summary'),
    {
      type: 'actions',
      block_id: 'approval',
      elements: [
        {
          type: 'button',
          action_id: 'replay_approve',
          text: { type: 'plain_text', text: 'Approve replay' },
          style: 'primary',
          value: sessionId,
        },
      ],
    },
  ];
}
