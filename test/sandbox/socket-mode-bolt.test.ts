import { App, type BlockButtonAction } from '@slack/bolt';
import { SANDBOX_IDS, SlackEmulator } from '../../src/sandbox';
import { eventually } from '../helpers/eventually';
import { APP_TOKEN, approvalBlocks, BOT_TOKEN, section, SIGNING_SECRET, silentLogger } from './fixtures';

const CHANNEL = SANDBOX_IDS.incidentChannel;

let emulator: SlackEmulator;
let app: App;

/**
 * A minimal real Bolt app in Socket Mode. `apps.connections.open` is called by
 * the socket-mode package's own WebClient, built from
 * `installerOptions.clientOptions`: `App.clientOptions` does not reach it.
 */
beforeEach(async () => {
  emulator = await SlackEmulator.start({
    signingSecret: SIGNING_SECRET,
    botToken: BOT_TOKEN,
    appToken: APP_TOKEN,
  });
  const clientOptions = { slackApiUrl: emulator.apiUrl, retryConfig: { retries: 0 } };
  app = new App({
    token: BOT_TOKEN,
    appToken: APP_TOKEN,
    socketMode: true,
    deferInitialization: true,
    logger: silentLogger(),
    clientOptions,
    installerOptions: { clientOptions },
  });
  app.command('/stuckjobs', async ({ ack, respond, client, command }) => {
    if (command.text === 'help')
      return ack({ response_type: 'ephemeral', text: 'Usage: /stuckjobs diagnose' });
    await ack();
    await respond({
      response_type: 'ephemeral',
      replace_original: false,
      text: `Diagnosing ${command.text}…`,
    });
    await client.chat.postMessage({
      channel: command.channel_id,
      text: 'Approve replay?',
      blocks: approvalBlocks('s-42'),
    });
  });
  app.action<BlockButtonAction>('replay_approve', async ({ ack, body, client }) => {
    await ack();
    await client.chat.update({
      channel: body.channel!.id,
      ts: body.message!.ts,
      text: `Approved by <@${body.user.id}>`,
      blocks: [section(`Approved by <@${body.user.id}>`)],
    });
  });
  await app.init();
  await app.start();
});

afterEach(async () => {
  // Stop the app first: with the emulator gone, its client would try to reconnect.
  await app.stop();
  await eventually(() => Promise.resolve(emulator.socketConnections === 0 ? true : undefined));
  await emulator.close();
});

it('connects through apps.connections.open with the app-level token, and is greeted with hello', async () => {
  const open = await emulator.waitForCall('apps.connections.open');
  expect(open.response).toMatchObject({
    ok: true,
    url: expect.stringMatching(/^ws:\/\/127\.0\.0\.1:\d+\/socket\?/) as unknown,
  });
  // Bolt's start() resolves only on hello, so the connection is up by now.
  expect(emulator.socketConnections).toBe(1);
});

it('delivers a slash command as an envelope and resolves with the ack payload', async () => {
  const help = await emulator.sendSlashCommand({ text: 'help' });
  expect(help).toMatchObject({ transport: 'socket', status: 200 });
  expect(JSON.parse(help.body)).toEqual({ response_type: 'ephemeral', text: 'Usage: /stuckjobs diagnose' });
  const ack = await emulator.waitForCall('socket_ack');
  expect(ack).toMatchObject({ envelopeId: help.envelopeId, args: { text: 'Usage: /stuckjobs diagnose' } });
});

it('runs the listener after a bare ack: response_url and Web API calls arrive as over HTTP', async () => {
  const result = await emulator.sendSlashCommand({ text: 'diagnose billing' });
  // A bare ack() still carries a payload object: the socket-mode client sends `{ envelope_id, payload: {} }`.
  expect(result.body).toBe('{}');

  const responded = await emulator.waitForCall('response_url');
  expect(responded).toMatchObject({
    responseUrl: result.responseUrl,
    args: { text: 'Diagnosing diagnose billing…' },
  });
  const posted = await emulator.waitForCall('chat.postMessage');
  const ts = String(posted.response.ts);

  const click = await emulator.sendBlockAction({
    user: SANDBOX_IDS.approver,
    messageTs: ts,
    actionId: 'replay_approve',
  });
  expect(click.transport).toBe('socket');
  const updated = await emulator.waitForCall('chat.update');
  expect(updated.args).toMatchObject({
    channel: CHANNEL,
    ts,
    text: `Approved by <@${SANDBOX_IDS.approver}>`,
  });
  expect(emulator.calls.filter((call) => call.method === 'socket_ack')).toHaveLength(2);
});

it('closes the WebSocket when the app stops (the close handshake completes)', async () => {
  await app.stop();
  await eventually(() => Promise.resolve(emulator.socketConnections === 0 ? true : undefined), 2000);
});
