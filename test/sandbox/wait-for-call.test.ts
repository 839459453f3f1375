import type { webApi } from '@slack/bolt';
import { SANDBOX_IDS, SlackEmulator } from '../../src/sandbox';
import { BOT_TOKEN, SIGNING_SECRET, webClient } from './fixtures';

const CHANNEL = SANDBOX_IDS.incidentChannel;

let emulator: SlackEmulator;
let client: webApi.WebClient;

beforeEach(async () => {
  emulator = await SlackEmulator.start({ signingSecret: SIGNING_SECRET, botToken: BOT_TOKEN });
  client = webClient(emulator);
});

afterEach(async () => {
  await emulator.close();
});

describe('waitForCall', () => {
  it('resolves at once with a call already made', async () => {
    await client.chat.postMessage({ channel: CHANNEL, text: 'earlier' });

    const call = await emulator.waitForCall('chat.postMessage');
    expect(call.args).toMatchObject({ channel: CHANNEL, text: 'earlier' });
    expect(call.response).toMatchObject({ ok: true, ts: '1764320000.000100' });
    expect(typeof call.at).toBe('number');
  });

  it('resolves with a call made later, skipping calls the predicate rejects', async () => {
    const waiting = emulator.waitForCall('chat.postMessage', (call) => call.args.text === 'second');
    await client.chat.postMessage({ channel: CHANNEL, text: 'first' });
    await client.chat.postMessage({ channel: CHANNEL, text: 'second' });

    const call = await waiting;
    expect(call.args.text).toBe('second');
    expect(call.response.ts).toBe('1764320000.000200');
  });

  it('rejects on timeout with the calls seen so far', async () => {
    await client.chat.postMessage({ channel: CHANNEL, text: 'Diagnosis for billing' });
    await client.users.info({ user: 'U0NOBODY' }).catch(() => undefined);

    const error = await emulator.waitForCall('chat.update', undefined, 50).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toContain('waitForCall: no chat.update call within 50 ms');
    expect(message).toContain('Calls seen (2)');
    expect(message).toContain(`1. chat.postMessage channel=${CHANNEL} text="Diagnosis for billing" -> ok`);
    expect(message).toContain('2. users.info user=U0NOBODY -> error=user_not_found (HTTP 200)');
  });

  it('rejects pending waits when the emulator closes, and close() can be called twice', async () => {
    const waiting = emulator.waitForCall('chat.postMessage', undefined, 10_000);
    await emulator.close();
    await emulator.close();

    await expect(waiting).rejects.toThrow('the emulator was closed');
  });

  it('turns a throwing predicate into a rejection of that wait only', async () => {
    // Attach the expectation first: the wait rejects while the call is still in flight.
    const outcome = expect(
      emulator.waitForCall('auth.test', () => {
        throw new Error('predicate bug');
      }),
    ).rejects.toThrow('predicate bug');
    await expect(client.auth.test()).resolves.toMatchObject({ ok: true });
    await outcome;
  });
});
