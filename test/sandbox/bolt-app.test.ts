import type { AddressInfo } from 'node:net';
import { App, type BlockButtonAction } from '@slack/bolt';
import { SANDBOX_IDS, SlackEmulator, slackRequestHeaders } from '../../src/sandbox';
import { approvalBlocks, BOT_TOKEN, section, SIGNING_SECRET, silentLogger } from './fixtures';

const CHANNEL = SANDBOX_IDS.incidentChannel;

let emulator: SlackEmulator;
let app: App;
let appErrors: Error[];

/**
 * A minimal real Bolt app in HTTP mode. `deferInitialization` makes `init()`
 * await `auth.test` on the emulator; without it Bolt fires `auth.test` from
 * the constructor and a failure only surfaces at the first request.
 */
beforeEach(async () => {
  emulator = await SlackEmulator.start({ signingSecret: SIGNING_SECRET, botToken: BOT_TOKEN });
  // Per-app array: a listener still running when a test ends must not leak errors into the next test.
  const errors: Error[] = [];
  appErrors = errors;
  app = new App({
    signingSecret: SIGNING_SECRET,
    token: BOT_TOKEN,
    deferInitialization: true,
    logger: silentLogger(),
    clientOptions: { slackApiUrl: emulator.apiUrl, retryConfig: { retries: 0 } },
  });
  app.command('/stuckjobs', async ({ ack, respond, client, command }) => {
    await ack();
    await respond({
      response_type: 'ephemeral',
      replace_original: false,
      text: `Diagnosing ${command.text}…`,
    });
    await client.chat.postMessage({
      channel: command.channel_id,
      text: 'Approve replay?',
      blocks: approvalBlocks('session-42'),
    });
  });
  app.action<BlockButtonAction>('replay_approve', async ({ ack, body, action, respond, client }) => {
    await ack();
    await client.chat.update({
      channel: body.channel!.id,
      ts: body.message!.ts,
      text: `Approved by <@${body.user.id}>`,
      blocks: [section(`Approved by <@${body.user.id}>`)],
    });
    await respond({ response_type: 'ephemeral', replace_original: false, text: `Replaying ${action.value}` });
  });
  app.error(async (error) => {
    errors.push(error);
    return Promise.resolve();
  });
  await app.init();
  // Listen options instead of a port number: a bare 0 would bind every interface.
  const server = await app.start({ port: 0, host: '127.0.0.1' });
  emulator.setAppUrl(`http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`);
});

afterEach(async () => {
  await app.stop();
  await emulator.close();
});

it('has Bolt call auth.test on the emulator at init', async () => {
  const call = await emulator.waitForCall('auth.test');
  expect(call.response).toMatchObject({ ok: true, user_id: SANDBOX_IDS.botUser, bot_id: SANDBOX_IDS.bot });
});

it('delivers a slash command: Bolt acks, responds via response_url and posts via the Web API', async () => {
  const result = await emulator.sendSlashCommand({ text: 'diagnose billing' });
  expect(result.status).toBe(200);

  const responded = await emulator.waitForCall('response_url');
  expect(responded).toMatchObject({
    responseUrl: result.responseUrl,
    args: { response_type: 'ephemeral', text: 'Diagnosing diagnose billing…' },
    status: 200,
  });
  const posted = await emulator.waitForCall('chat.postMessage');
  expect(posted.args).toMatchObject({
    channel: CHANNEL,
    text: 'Approve replay?',
    blocks: approvalBlocks('session-42'),
  });

  expect(emulator.ephemerals(SANDBOX_IDS.requester).map((e) => e.text)).toEqual([
    'Diagnosing diagnose billing…',
  ]);
  expect(emulator.messages(CHANNEL).map((m) => m.text)).toEqual(['Approve replay?']);
});

it('delivers a button click carrying the stored button value; the app updates the message', async () => {
  await emulator.sendSlashCommand({ text: 'diagnose billing' });
  const posted = await emulator.waitForCall('chat.postMessage');
  const ts = String(posted.response.ts);

  const click = await emulator.sendBlockAction({
    user: SANDBOX_IDS.approver,
    messageTs: ts,
    actionId: 'replay_approve',
  });
  expect(click.status).toBe(200);

  const updated = await emulator.waitForCall('chat.update');
  expect(updated.args).toMatchObject({
    channel: CHANNEL,
    ts,
    text: `Approved by <@${SANDBOX_IDS.approver}>`,
  });
  const replied = await emulator.waitForCall(
    'response_url',
    (call) => call.responseUrl === click.responseUrl,
  );
  expect(replied.args.text).toBe('Replaying session-42');

  expect(emulator.message(CHANNEL, ts)).toMatchObject({
    text: `Approved by <@${SANDBOX_IDS.approver}>`,
    blocks: [section(`Approved by <@${SANDBOX_IDS.approver}>`)],
  });
  expect(emulator.ephemerals(SANDBOX_IDS.approver).map((e) => e.text)).toEqual(['Replaying session-42']);
});

it('gets 401 from Bolt for a forged signature or a stale timestamp, and the listener never runs', async () => {
  const forged = await emulator.sendSlashCommand({ text: 'diagnose billing', signature: 'v0=deadbeef' });
  const stale = await emulator.sendSlashCommand({
    text: 'diagnose billing',
    timestampSeconds: Math.floor(Date.now() / 1000) - 600,
  });

  expect(forged.status).toBe(401);
  expect(stale.status).toBe(401);
  await expect(emulator.waitForCall('response_url', undefined, 300)).rejects.toThrow('no response_url call');
});

it('accepts a raw request signed by hand, but not with a charset on the content type', async () => {
  // Borrow a registered response_url from a refused command, then resend its form by hand.
  const refused = await emulator.sendSlashCommand({ text: 'status', signature: 'v0=deadbeef' });
  const body = new URLSearchParams(refused.form).toString();
  const headers = slackRequestHeaders(SIGNING_SECRET, body);

  const withCharset = await emulator.sendRaw({
    body,
    headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
  });
  // Bolt compares the content type with ===, then falls back to JSON.parse on the form body.
  expect(withCharset.status).toBe(400);

  const exact = await emulator.sendRaw({ body, headers });
  expect(exact.status).toBe(200);
  const responded = await emulator.waitForCall('response_url');
  expect(responded).toMatchObject({ responseUrl: refused.responseUrl, args: { text: 'Diagnosing status…' } });
  // Let the listener finish before afterEach closes the emulator under it.
  await emulator.waitForCall('chat.postMessage');
  expect(emulator.calls.filter((call) => call.method === 'response_url')).toHaveLength(1);
});

it("reaches the app's error handler when response_url fails", async () => {
  emulator.failNext('response_url', { status: 500 });
  await emulator.sendSlashCommand({ text: 'diagnose billing' });

  const failed = await emulator.waitForCall('response_url');
  expect(failed.status).toBe(500);
  await waitUntil(() => appErrors.length > 0);
  expect(appErrors[0]?.message).toContain('Failed to respond to the response_url: 500');
  // The listener stopped at respond(): nothing was posted.
  expect(emulator.calls.some((call) => call.method === 'chat.postMessage')).toBe(false);
});

async function waitUntil(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
