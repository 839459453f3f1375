import { webApi } from '@slack/bolt';
import type { KnownBlock } from '@slack/types';
import { SANDBOX_IDS, SlackEmulator } from '../../src/sandbox';
import { approvalBlocks, BOT_TOKEN, section, SIGNING_SECRET, webClient } from './fixtures';

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

const platformError = (error: string) => ({
  code: webApi.ErrorCode.PlatformError,
  data: expect.objectContaining({ ok: false, error }) as unknown,
});

describe('auth and routing', () => {
  it('answers auth.test with the seeded team, bot user and bot id', async () => {
    const result = await client.auth.test();
    expect(result).toMatchObject({
      ok: true,
      team_id: SANDBOX_IDS.team,
      user_id: SANDBOX_IDS.botUser,
      bot_id: SANDBOX_IDS.bot,
    });
  });

  it('refuses a wrong token with invalid_auth and a missing one with not_authed, over HTTP 200', async () => {
    await expect(
      webClient(emulator, 'xoxb-wrong').chat.postMessage({ channel: CHANNEL, text: 'hi' }),
    ).rejects.toMatchObject(platformError('invalid_auth'));
    await expect(webClient(emulator, null).auth.test()).rejects.toMatchObject(platformError('not_authed'));
    expect(emulator.messages(CHANNEL)).toEqual([]);
    expect(emulator.calls.map((call) => [call.method, call.status, call.response.error])).toEqual([
      ['chat.postMessage', 200, 'invalid_auth'],
      ['auth.test', 200, 'not_authed'],
    ]);
  });

  it('answers unknown methods with unknown_method', async () => {
    await expect(client.apiCall('chat.scheduleEverything', { channel: CHANNEL })).rejects.toMatchObject(
      platformError('unknown_method'),
    );
  });

  it('accepts JSON bodies as well as form bodies', async () => {
    const response = await fetch(`${emulator.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${BOT_TOKEN}`, 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ channel: CHANNEL, text: 'from json', blocks: [section('from json')] }),
    });
    const body = (await response.json()) as { ok: boolean; ts: string };

    expect(response.status).toBe(200);
    expect(body.ok).toBe(true);
    expect(emulator.message(CHANNEL, body.ts)?.blocks).toEqual([section('from json')]);
  });
});

describe('chat.postMessage', () => {
  it('hands out unique, increasing timestamps and records blocks as arrays', async () => {
    const first = await client.chat.postMessage({ channel: CHANNEL, text: 'one', blocks: [section('one')] });
    const second = await client.chat.postMessage({ channel: CHANNEL, text: 'two' });

    expect(first.ts).toBe('1764320000.000100');
    expect(second.ts).toBe('1764320000.000200');
    expect(Number(second.ts)).toBeGreaterThan(Number(first.ts));
    expect(emulator.messages(CHANNEL).map((message) => [message.ts, message.text, message.user])).toEqual([
      [first.ts, 'one', SANDBOX_IDS.botUser],
      [second.ts, 'two', SANDBOX_IDS.botUser],
    ]);
    // The client sent blocks as a JSON string; the record holds the parsed array.
    expect(emulator.calls[0]?.args.blocks).toEqual([section('one')]);
  });

  it('accepts a channel name as well as an id', async () => {
    const result = await client.chat.postMessage({ channel: '#inc-ops-stalled', text: 'by name' });
    expect(result.channel).toBe(CHANNEL);
  });

  it('shows a reply sent with reply_broadcast in the channel too, marked thread_broadcast', async () => {
    const root = await client.chat.postMessage({ channel: CHANNEL, text: 'root' });
    await client.chat.postMessage({ channel: CHANNEL, text: 'quiet', thread_ts: root.ts });
    await client.chat.postMessage({
      channel: CHANNEL,
      text: 'loud',
      thread_ts: root.ts!,
      reply_broadcast: true,
    });
    expect(emulator.messages(CHANNEL).map((m) => [m.text, m.subtype])).toEqual([
      ['root', undefined],
      ['loud', 'thread_broadcast'],
    ]);
    expect(emulator.thread(CHANNEL, root.ts!).map((m) => m.text)).toEqual(['quiet', 'loud']);
  });

  it('threads replies under the root, bumps reply_count and keeps replies out of the channel list', async () => {
    const root = await client.chat.postMessage({ channel: CHANNEL, text: 'root' });
    const reply = await client.chat.postMessage({ channel: CHANNEL, text: 'reply 1', thread_ts: root.ts });
    // Replying to a reply lands in the same thread, as in Slack.
    await client.chat.postMessage({ channel: CHANNEL, text: 'reply 2', thread_ts: reply.ts });

    const [storedRoot, ...others] = emulator.messages(CHANNEL);
    expect(others).toEqual([]);
    expect(storedRoot).toMatchObject({
      ts: root.ts,
      thread_ts: root.ts,
      reply_count: 2,
      reply_users: [SANDBOX_IDS.botUser],
    });
    expect(emulator.thread(CHANNEL, root.ts!).map((message) => [message.text, message.thread_ts])).toEqual([
      ['reply 1', root.ts],
      ['reply 2', root.ts],
    ]);
  });

  it('refuses 51 blocks with invalid_blocks and the violation, storing nothing', async () => {
    const blocks = Array.from({ length: 51 }, (_, i): KnownBlock => section(`line ${i}`));
    const attempt = client.chat.postMessage({ channel: CHANNEL, text: 'too many', blocks });

    await expect(attempt).rejects.toMatchObject(platformError('invalid_blocks'));
    expect(emulator.calls[0]?.response.errors).toEqual(['51 blocks (at most 50)']);
    expect(emulator.messages(CHANNEL)).toEqual([]);
  });

  it('refuses blocks without fallback text, an empty message and an unknown channel', async () => {
    await expect(
      client.chat.postMessage({ channel: CHANNEL, text: '', blocks: [section('x')] }),
    ).rejects.toMatchObject(platformError('invalid_blocks'));
    await expect(client.chat.postMessage({ channel: CHANNEL, text: '' })).rejects.toMatchObject(
      platformError('no_text'),
    );
    await expect(client.chat.postMessage({ channel: 'C0NOPE', text: 'hi' })).rejects.toMatchObject(
      platformError('channel_not_found'),
    );
    await expect(
      client.chat.postMessage({ channel: CHANNEL, text: 'hi', thread_ts: '1.000001' }),
    ).rejects.toMatchObject(platformError('thread_not_found'));
  });
});

describe('chat.update and chat.postEphemeral', () => {
  it('replaces blocks, keeps omitted text, and refuses invalid blocks without changing the message', async () => {
    const posted = await client.chat.postMessage({
      channel: CHANNEL,
      text: 'Approve?',
      blocks: approvalBlocks('s-1'),
    });
    const ts = posted.ts!;

    await client.chat.update({
      channel: CHANNEL,
      ts,
      text: 'Approved by Avery',
      blocks: [section('Approved')],
    });
    expect(emulator.message(CHANNEL, ts)).toMatchObject({
      text: 'Approved by Avery',
      blocks: [section('Approved')],
    });

    await client.chat.update({ channel: CHANNEL, ts, blocks: [section('Replayed')] });
    expect(emulator.message(CHANNEL, ts)).toMatchObject({
      text: 'Approved by Avery',
      blocks: [section('Replayed')],
    });

    const tooMany = Array.from({ length: 51 }, (): KnownBlock => ({ type: 'divider' }));
    await expect(
      client.chat.update({ channel: CHANNEL, ts, text: 'x', blocks: tooMany }),
    ).rejects.toMatchObject(platformError('invalid_blocks'));
    expect(emulator.message(CHANNEL, ts)?.blocks).toEqual([section('Replayed')]);
  });

  it('answers message_not_found for an unknown ts and for an ephemeral', async () => {
    await expect(
      client.chat.update({ channel: CHANNEL, ts: '1764320000.999900', text: 'x' }),
    ).rejects.toMatchObject(platformError('message_not_found'));
    const ephemeral = await client.chat.postEphemeral({
      channel: CHANNEL,
      user: SANDBOX_IDS.requester,
      text: 'only you',
    });
    await expect(
      client.chat.update({ channel: CHANNEL, ts: ephemeral.message_ts!, text: 'x' }),
    ).rejects.toMatchObject(platformError('message_not_found'));
  });

  it('stores ephemerals per user, out of the channel', async () => {
    const result = await client.chat.postEphemeral({
      channel: CHANNEL,
      user: SANDBOX_IDS.requester,
      text: 'Not allowed',
    });

    expect(emulator.ephemerals(SANDBOX_IDS.requester)).toEqual([
      {
        channel: CHANNEL,
        user: SANDBOX_IDS.requester,
        ts: result.message_ts,
        text: 'Not allowed',
        blocks: [],
      },
    ]);
    expect(emulator.ephemerals(SANDBOX_IDS.approver)).toEqual([]);
    expect(emulator.messages(CHANNEL)).toEqual([]);
    await expect(
      client.chat.postEphemeral({ channel: CHANNEL, user: 'U0NOBODY', text: 'x' }),
    ).rejects.toMatchObject(platformError('user_not_found'));
  });
});

describe('directory', () => {
  it('answers users.info for seeded people and user_not_found otherwise', async () => {
    const result = await client.users.info({ user: SANDBOX_IDS.approver });
    expect(result.user).toEqual({
      id: SANDBOX_IDS.approver,
      team_id: SANDBOX_IDS.team,
      name: 'avery',
      real_name: 'Avery Approver',
      deleted: false,
      is_bot: false,
      profile: { display_name: 'Avery', real_name: 'Avery Approver' },
    });
    await expect(client.users.info({ user: 'U0NOBODY' })).rejects.toMatchObject(
      platformError('user_not_found'),
    );
  });

  it('lists the approvers group and answers no_such_subteam for others', async () => {
    const result = await client.usergroups.users.list({ usergroup: SANDBOX_IDS.approvers });
    expect(result.users).toEqual([SANDBOX_IDS.approver]);
    await expect(client.usergroups.users.list({ usergroup: 'S0NOPE' })).rejects.toMatchObject(
      platformError('no_such_subteam'),
    );
  });

  it('describes the incident channel', async () => {
    const result = await client.conversations.info({ channel: CHANNEL });
    expect(result.channel).toMatchObject({ id: CHANNEL, name: 'inc-ops-stalled', is_private: false });
  });
});

describe('failNext', () => {
  it('answers HTTP 429 with Retry-After, which the client surfaces as a rate-limit error, then recovers', async () => {
    emulator.failNext('chat.postMessage', { status: 429, retryAfterSeconds: 7 });

    const attempt = client.chat.postMessage({ channel: CHANNEL, text: 'hi' });
    await expect(attempt).rejects.toMatchObject({ code: webApi.ErrorCode.RateLimitedError, retryAfter: 7 });
    expect(emulator.calls[0]).toMatchObject({
      method: 'chat.postMessage',
      status: 429,
      response: { error: 'ratelimited' },
    });
    expect(emulator.messages(CHANNEL)).toEqual([]);

    await expect(client.chat.postMessage({ channel: CHANNEL, text: 'hi' })).resolves.toMatchObject({
      ok: true,
    });
    expect(emulator.messages(CHANNEL)).toHaveLength(1);
  });

  it('answers { ok: false, error } for the given number of calls, only for that method', async () => {
    emulator.failNext('users.info', { error: 'fatal_error', times: 2 });

    await expect(client.auth.test()).resolves.toMatchObject({ ok: true });
    await expect(client.users.info({ user: SANDBOX_IDS.approver })).rejects.toMatchObject(
      platformError('fatal_error'),
    );
    await expect(client.users.info({ user: SANDBOX_IDS.approver })).rejects.toMatchObject(
      platformError('fatal_error'),
    );
    await expect(client.users.info({ user: SANDBOX_IDS.approver })).resolves.toMatchObject({ ok: true });
  });
});
