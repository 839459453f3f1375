import { SANDBOX_IDS, signSlackRequest, SlackEmulator } from '../../src/sandbox';
import { startLoopback, type Loopback, type SeenRequest } from '../helpers/loopback';

const SIGNING_SECRET = 'replica-delivery-secret';
const BOT_TOKEN = 'xoxb-replica-delivery';

/** Whether the request carries Slack's signature of its own bytes. */
function signedBy(secret: string, request: SeenRequest): boolean {
  const timestamp = Number(request.headers['x-slack-request-timestamp']);
  return request.headers['x-slack-signature'] === signSlackRequest(secret, timestamp, request.body);
}

/** The emulator delivering to a chosen replica, or one request to several at once. */
describe('SlackEmulator delivery to replicas', () => {
  let emulator: SlackEmulator;
  let first: Loopback;
  let second: Loopback;
  let fallback: Loopback;

  beforeEach(async () => {
    [first, second, fallback] = await Promise.all([
      startLoopback((_req, res) => res.writeHead(200).end()),
      startLoopback((_req, res) => res.writeHead(503).end()),
      startLoopback((_req, res) => res.writeHead(200).end()),
    ]);
    emulator = await SlackEmulator.start({
      signingSecret: SIGNING_SECRET,
      botToken: BOT_TOKEN,
      appUrl: `${fallback.url}/slack/events`,
    });
  });

  afterEach(async () => {
    await emulator.close();
    await Promise.all([first.close(), second.close(), fallback.close()]);
  });

  it('sends a command to the one replica named in `to`, not to the app URL', async () => {
    const response = await emulator.sendSlashCommand({ text: 'diagnose', to: `${first.url}/slack/events` });
    expect(response.status).toBe(200);
    expect(response.deliveries).toBeUndefined();
    expect(first.seen).toHaveLength(1);
    expect(fallback.seen).toHaveLength(0);
    expect(signedBy(SIGNING_SECRET, first.seen[0]!)).toBe(true);
  });

  it('sends one click to every replica at once: the same bytes and signature, every answer returned', async () => {
    const response = await emulator.sendBlockAction({
      messageTs: '1700000000.000100',
      actionId: 'replay_approve',
      user: SANDBOX_IDS.approver,
      to: [`${first.url}/slack/events`, `${second.url}/slack/events`],
      headers: { 'x-slack-retry-num': '1' },
    });
    expect(response.status).toBe(200);
    expect(response.deliveries?.map((d) => d.status)).toEqual([200, 503]);
    const [one, two] = [first.seen[0]!, second.seen[0]!];
    expect(two.body).toBe(one.body);
    for (const header of ['x-slack-signature', 'x-slack-request-timestamp', 'x-slack-retry-num']) {
      expect(two.headers[header]).toBe(one.headers[header]);
    }
    expect(signedBy(SIGNING_SECRET, two)).toBe(true);
    expect(fallback.seen).toHaveLength(0);
  });
});
