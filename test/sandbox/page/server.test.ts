import { get, type IncomingMessage } from 'node:http';
import { SANDBOX_IDS, SlackEmulator } from '../../../src/sandbox';
import { startSandboxPage, type SandboxPage } from '../../../src/sandbox/page/server';
import type { StateView } from '../../../src/sandbox/page/state-view';
import { eventually } from '../../helpers/eventually';
import { startLoopback, sendJson, type Loopback } from '../../helpers/loopback';
import { approvalBlocks, BOT_TOKEN, SIGNING_SECRET, webClient } from '../fixtures';
import { buttonsIn, expectNoActiveContent } from './helpers';

const CHANNEL = SANDBOX_IDS.incidentChannel;
const { requester, approver } = SANDBOX_IDS;

let emulator: SlackEmulator;
let page: SandboxPage;
let app: Loopback;

beforeEach(async () => {
  emulator = await SlackEmulator.start({ signingSecret: SIGNING_SECRET, botToken: BOT_TOKEN });
  // Stands in for the bot: records the signed request and acks slash commands with an ephemeral echo.
  app = await startLoopback((req, res) => {
    const text = new URLSearchParams(req.body).get('text');
    sendJson(res, 200, text === null ? {} : { response_type: 'ephemeral', text: `ran ${text}` });
  });
  emulator.setAppUrl(`${app.url}/slack/events`);
  page = await startSandboxPage({ emulator, port: 0, host: '127.0.0.1' });
});

afterEach(async () => {
  await page.close();
  await app.close();
  await emulator.close();
});

async function state(user: string): Promise<StateView> {
  const response = await fetch(`${page.url}/state?user=${user}`);
  expect(response.status).toBe(200);
  return (await response.json()) as StateView;
}

const postJson = (path: string, body: unknown) =>
  fetch(`${page.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('sandbox page server', () => {
  it('serves one page with the composer, the person switch and no external assets', async () => {
    const response = await fetch(`${page.url}/`);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    const html = await response.text();
    expect(html).toContain('id="composer"');
    expect(html).toContain(`<option value="${requester}">Riley (requester)</option>`);
    expect(html).toContain(`<option value="${approver}">Avery (approver)</option>`);
    expect(html).not.toMatch(/<script[^>]+src=|<link\b/i);
  });

  it('renders a posted Block Kit message with its buttons, threads and reply counts', async () => {
    const client = webClient(emulator);
    const root = await client.chat.postMessage({
      channel: CHANNEL,
      text: 'Approve replay?',
      blocks: approvalBlocks('session-42'),
    });
    await client.chat.postMessage({ channel: CHANNEL, thread_ts: root.ts!, text: 'a *reply*' });

    const view = await state(requester);
    expect(view.messages).toHaveLength(1);
    const [message] = view.messages;
    expect(message).toMatchObject({ ts: root.ts, replyCount: 1, author: 'stuckjobs' });
    const buttons = buttonsIn(message!.html);
    expect(buttons.length).toBeGreaterThan(0);
    expect(buttons.every((button) => (button.attrs.get('data-action-id') ?? '') !== '')).toBe(true);
    expect(view.threads[root.ts!]?.[0]?.html).toContain('<strong>reply</strong>');
  });

  it('shows an ephemeral to its person only', async () => {
    await webClient(emulator).chat.postEphemeral({ channel: CHANNEL, user: approver, text: 'for avery' });
    expect((await state(approver)).ephemerals.map((e) => e.html)).toEqual(['for avery']);
    expect((await state(requester)).ephemerals).toEqual([]);
    expect((await fetch(`${page.url}/state?user=U0SOMEONE`)).status).toBe(400);
  });

  it('emits a change event after a post', async () => {
    let seen = '';
    const response = await new Promise<IncomingMessage>((resolve) => get(`${page.url}/events`, resolve));
    expect(response.headers['content-type']).toBe('text/event-stream');
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => (seen += chunk));
    await eventually(() => Promise.resolve(seen.includes(': connected') || undefined));
    expect(seen).not.toContain('event: change');
    await webClient(emulator).chat.postMessage({ channel: CHANNEL, text: 'hello' });
    await eventually(() => Promise.resolve(seen.includes('event: change') || undefined));
    response.destroy();
  });

  it('sends a composer command to the app, signed, and shows the ack to its person', async () => {
    const response = await postJson('/command', { user: approver, text: '/stuckjobs diagnose webhooks' });
    expect(response.status).toBe(200);
    expect(app.seen).toHaveLength(1);
    const form = new URLSearchParams(app.seen[0]!.body);
    expect(form.get('command')).toBe('/stuckjobs');
    expect(form.get('text')).toBe('diagnose webhooks');
    expect(form.get('user_id')).toBe(approver);
    expect(app.seen[0]!.headers['x-slack-signature']).toMatch(/^v0=/);

    const ephemerals = (await state(approver)).ephemerals;
    expect(ephemerals).toHaveLength(1);
    expect(ephemerals[0]!.html).toBe('ran diagnose webhooks');
  });

  it('refuses other commands, unknown people and non-JSON posts', async () => {
    expect((await postJson('/command', { user: requester, text: '/other x' })).status).toBe(400);
    expect((await postJson('/command', { user: 'U0NOBODY', text: '/stuckjobs help' })).status).toBe(400);
    const form = await fetch(`${page.url}/command`, { method: 'POST', body: 'user=x&text=y' });
    expect(form.status).toBe(415);
    expect(app.seen).toHaveLength(0);
  });

  it('sends a click on a button as block_actions', async () => {
    const posted = await webClient(emulator).chat.postMessage({
      channel: CHANNEL,
      text: 'Approve replay?',
      blocks: approvalBlocks('session-42'),
    });
    const [button] = buttonsIn((await state(approver)).messages[0]!.html);
    const response = await postJson('/click', {
      user: approver,
      messageTs: posted.ts,
      actionId: button!.attrs.get('data-action-id'),
      blockId: button!.attrs.get('data-block-id'),
      value: button!.attrs.get('data-value'),
    });
    expect(response.status).toBe(200);
    const payload = JSON.parse(new URLSearchParams(app.seen[0]!.body).get('payload') ?? '{}') as {
      user: { id: string };
      actions: { action_id: string }[];
    };
    expect(payload.user.id).toBe(approver);
    expect(payload.actions[0]!.action_id).toBe(button!.attrs.get('data-action-id'));
  });

  it('never lets a <script> in a message or a command through unescaped', async () => {
    const evil = '<script>alert(1)</script> <img src=x onerror=alert(2)>';
    await webClient(emulator).chat.postMessage({ channel: CHANNEL, text: evil });
    await postJson('/command', { user: requester, text: `/stuckjobs ${evil}` });
    const raw = await (await fetch(`${page.url}/state?user=${requester}`)).text();
    const view = JSON.parse(raw) as StateView;
    expect(view.ephemerals[0]?.html).toContain('&lt;script&gt;');
    for (const message of [...view.messages, ...view.ephemerals]) expectNoActiveContent(message.html);
    expect(raw).not.toContain('<script>');
  });
});

describe('sandbox page: who may use it', () => {
  const withHost = (host: string) =>
    new Promise<number>((resolve, reject) => {
      get(`${page.url}/state?user=${requester}`, { headers: { host } }, (res: IncomingMessage) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject);
    });

  it('serves requests addressed to this machine by name, and refuses any other Host (DNS rebinding)', async () => {
    const port = new URL(page.url).port;
    expect(await withHost(`localhost:${port}`)).toBe(200);
    expect(await withHost(`127.0.0.1:${port}`)).toBe(200);
    expect(await withHost(`attacker.example:${port}`)).toBe(403);
    expect(await withHost('127.0.0.1.attacker.example')).toBe(403);
  });
});

describe('sandbox page reset and intro', () => {
  it('offers no reset without one, and answers 404 to POST /reset', async () => {
    expect(await (await fetch(`${page.url}/`)).text()).not.toContain('id="reset"');
    expect((await postJson('/reset', {})).status).toBe(404);
  });

  it('shows the intro escaped and runs the reset on a JSON POST only', async () => {
    let resets = 0;
    const resettable = await startSandboxPage({
      emulator,
      port: 0,
      reset: () => {
        resets += 1;
        return Promise.resolve();
      },
      intro: ['12 deliveries gave up <script>alert(1)</script>'],
    });
    try {
      const html = await (await fetch(`${resettable.url}/`)).text();
      expect(html).toContain('id="reset"');
      expect(html).toContain('<p>12 deliveries gave up &lt;script&gt;alert(1)&lt;/script&gt;</p>');
      const form = await fetch(`${resettable.url}/reset`, { method: 'POST', body: 'a=1' });
      expect(form.status).toBe(415);
      expect(resets).toBe(0);
      const json = await fetch(`${resettable.url}/reset`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      expect(await json.json()).toEqual({ ok: true });
      expect(resets).toBe(1);
    } finally {
      await resettable.close();
    }
  });

  it('clears the channel and the ephemerals when the emulator is told to', async () => {
    await webClient(emulator).chat.postMessage({ channel: CHANNEL, text: 'before the reset' });
    await webClient(emulator).chat.postEphemeral({ channel: CHANNEL, user: requester, text: 'mine' });
    emulator.clearMessages();
    const view = await state(requester);
    expect(view.messages).toEqual([]);
    expect(view.ephemerals).toEqual([]);
  });
});
