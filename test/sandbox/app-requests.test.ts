import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KnownBlock } from '@slack/types';
import { SANDBOX_IDS, SlackEmulator } from '../../src/sandbox';
import { approvalBlocks, BOT_TOKEN, section, SIGNING_SECRET, webClient } from './fixtures';

const CHANNEL = SANDBOX_IDS.incidentChannel;

interface Captured {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A stand-in app that records what Slack would send and acks with an empty 200. */
async function startCaptureServer(): Promise<{ server: Server; url: string; captured: Captured[] }> {
  const captured: Captured[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      captured.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/slack/events`, captured };
}

let emulator: SlackEmulator;
let app: Awaited<ReturnType<typeof startCaptureServer>>;

beforeEach(async () => {
  app = await startCaptureServer();
  emulator = await SlackEmulator.start({
    signingSecret: SIGNING_SECRET,
    botToken: BOT_TOKEN,
    appUrl: app.url,
  });
});

afterEach(async () => {
  await emulator.close();
  app.server.closeAllConnections();
  await new Promise((resolve) => app.server.close(resolve));
});

const lastCaptured = (): Captured => app.captured[app.captured.length - 1]!;

async function respond(
  url: string,
  body: Record<string, unknown>,
): Promise<{ status: number; json: unknown }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: await response.json() };
}

describe('sendSlashCommand', () => {
  it('posts the form fields of a real slash command, signed with the secret', async () => {
    const result = await emulator.sendSlashCommand({ text: 'diagnose billing' });
    const { headers, body } = lastCaptured();
    const fields = Object.fromEntries(new URLSearchParams(body));
    const timestamp = String(headers['x-slack-request-timestamp']);
    const expected = `v0=${createHmac('sha256', SIGNING_SECRET).update(`v0:${timestamp}:${body}`).digest('hex')}`;

    expect(result.status).toBe(200);
    expect(headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(headers['x-slack-signature']).toBe(expected);
    expect(fields).toEqual({
      token: 'sandbox-verification-token',
      team_id: SANDBOX_IDS.team,
      team_domain: 'stuckjobs-sandbox',
      channel_id: CHANNEL,
      channel_name: 'inc-ops-stalled',
      user_id: SANDBOX_IDS.requester,
      user_name: 'riley',
      command: '/stuckjobs',
      text: 'diagnose billing',
      api_app_id: SANDBOX_IDS.app,
      is_enterprise_install: 'false',
      response_url: result.responseUrl,
      trigger_id: fields.trigger_id,
    });
    expect(result.responseUrl).toMatch(new RegExp(`^${emulator.baseUrl}/response/[0-9a-z]+$`));
    expect(fields.trigger_id).toMatch(/^\d+\.\d+\.[0-9a-f]+$/);
  });

  it('lets a test add or forge headers', async () => {
    await emulator.sendSlashCommand({
      text: 'x',
      headers: { 'x-slack-retry-num': '1' },
      signature: 'v0=forged',
    });
    expect(lastCaptured().headers).toMatchObject({
      'x-slack-retry-num': '1',
      'x-slack-signature': 'v0=forged',
    });
  });

  it('says clearly when no app URL is set', async () => {
    const bare = await SlackEmulator.start({ signingSecret: SIGNING_SECRET, botToken: BOT_TOKEN });
    await expect(bare.sendSlashCommand({ text: 'x' })).rejects.toThrow('no app URL');
    await bare.close();
  });
});

describe('sendBlockAction', () => {
  it('sends a block_actions payload built from the stored message, in its thread', async () => {
    const client = webClient(emulator);
    const root = await client.chat.postMessage({ channel: CHANNEL, text: 'Diagnosis' });
    const reply = await client.chat.postMessage({
      channel: CHANNEL,
      text: 'Approve?',
      blocks: approvalBlocks('session-7'),
      thread_ts: root.ts,
    });

    const result = await emulator.sendBlockAction({
      user: SANDBOX_IDS.approver,
      messageTs: reply.ts!,
      actionId: 'replay_approve',
    });
    const raw = new URLSearchParams(lastCaptured().body).get('payload');
    const payload = JSON.parse(raw ?? 'null') as unknown;

    expect(payload).toEqual(result.payload);
    expect(result.payload).toMatchObject({
      type: 'block_actions',
      user: { id: SANDBOX_IDS.approver, username: 'avery', name: 'avery', team_id: SANDBOX_IDS.team },
      api_app_id: SANDBOX_IDS.app,
      container: {
        type: 'message',
        message_ts: reply.ts,
        channel_id: CHANNEL,
        is_ephemeral: false,
        thread_ts: root.ts,
      },
      team: { id: SANDBOX_IDS.team, domain: 'stuckjobs-sandbox' },
      channel: { id: CHANNEL, name: 'inc-ops-stalled' },
      message: { ts: reply.ts, text: 'Approve?', thread_ts: root.ts, blocks: approvalBlocks('session-7') },
      response_url: result.responseUrl,
    });
    expect(result.payload.actions).toEqual([
      {
        type: 'button',
        action_id: 'replay_approve',
        block_id: 'approval',
        value: 'session-7',
        text: { type: 'plain_text', text: 'Approve replay', emoji: true },
        action_ts: expect.stringMatching(/^\d{10}\.\d{6}$/) as unknown,
      },
    ]);
  });
});

describe('response_url', () => {
  async function clickApproval(): Promise<{ ts: string; responseUrl: string }> {
    const posted = await webClient(emulator).chat.postMessage({
      channel: CHANNEL,
      text: 'Approve?',
      blocks: approvalBlocks('s-1'),
    });
    const click = await emulator.sendBlockAction({
      user: SANDBOX_IDS.approver,
      messageTs: posted.ts!,
      actionId: 'replay_approve',
    });
    return { ts: posted.ts!, responseUrl: click.responseUrl };
  }

  it('records the POST and posts an ephemeral for the clicking user by default', async () => {
    const { responseUrl } = await clickApproval();
    const answer = await respond(responseUrl, { text: 'Only approvers can approve' });

    expect(answer).toEqual({ status: 200, json: { ok: true } });
    expect(emulator.ephemerals(SANDBOX_IDS.approver).map((e) => e.text)).toEqual([
      'Only approvers can approve',
    ]);
    const call = await emulator.waitForCall('response_url');
    expect(call).toMatchObject({ args: { text: 'Only approvers can approve' }, responseUrl, status: 200 });
  });

  it('replaces the clicked message with replace_original, and deletes it with delete_original', async () => {
    const { ts, responseUrl } = await clickApproval();

    await respond(responseUrl, {
      replace_original: true,
      text: 'Approved by Avery',
      blocks: [section('Approved')],
    });
    expect(emulator.message(CHANNEL, ts)).toMatchObject({
      text: 'Approved by Avery',
      blocks: [section('Approved')],
    });
    expect(emulator.messages(CHANNEL)).toHaveLength(1);

    await respond(responseUrl, { delete_original: true });
    expect(emulator.messages(CHANNEL)).toEqual([]);
  });

  it('posts in the channel with response_type in_channel', async () => {
    const command = await emulator.sendSlashCommand({ text: 'status' });
    await respond(command.responseUrl, { response_type: 'in_channel', text: 'Everyone sees this' });

    expect(emulator.messages(CHANNEL).map((m) => [m.text, m.user])).toEqual([
      ['Everyone sees this', SANDBOX_IDS.botUser],
    ]);
    expect(emulator.ephemerals(SANDBOX_IDS.requester)).toEqual([]);
  });

  it("replaces a command's previous ephemeral answer with replace_original", async () => {
    const command = await emulator.sendSlashCommand({ text: 'diagnose billing' });
    await respond(command.responseUrl, { text: 'Diagnosing…' });
    await respond(command.responseUrl, { replace_original: true, text: 'Diagnosis ready' });

    expect(emulator.ephemerals(SANDBOX_IDS.requester).map((e) => e.text)).toEqual(['Diagnosis ready']);
  });

  it('refuses invalid blocks with HTTP 400 and an unknown URL with 404, changing nothing', async () => {
    const { ts, responseUrl } = await clickApproval();
    const blocks = Array.from({ length: 51 }, (): KnownBlock => ({ type: 'divider' }));

    const refused = await respond(responseUrl, { replace_original: true, text: 'x', blocks });
    expect(refused).toMatchObject({ status: 400, json: { ok: false, error: 'invalid_blocks' } });
    expect(emulator.message(CHANNEL, ts)?.blocks).toEqual(approvalBlocks('s-1'));

    const unknown = await respond(`${emulator.baseUrl}/response/nope`, { text: 'x' });
    expect(unknown).toEqual({ status: 404, json: { ok: false, error: 'expired_url' } });
  });

  it('can be made to fail with failNext', async () => {
    const { responseUrl } = await clickApproval();
    emulator.failNext('response_url', { status: 500 });

    expect(await respond(responseUrl, { text: 'x' })).toEqual({
      status: 500,
      json: { ok: false, error: 'internal_error' },
    });
    expect(emulator.ephemerals(SANDBOX_IDS.approver)).toEqual([]);
  });
});

describe('sendRaw', () => {
  it('sends exactly the given bytes and headers', async () => {
    const result = await emulator.sendRaw({ body: 'not=signed', headers: { 'content-type': 'text/plain' } });

    expect(result).toEqual({ status: 200, body: '' });
    expect(lastCaptured()).toMatchObject({ body: 'not=signed', headers: { 'content-type': 'text/plain' } });
    expect(lastCaptured().headers['x-slack-signature']).toBeUndefined();
  });
});
