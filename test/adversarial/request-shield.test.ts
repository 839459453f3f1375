import { createServer, type RequestListener, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import {
  isSslCheck,
  MAX_CLOCK_SKEW_S,
  refusalFor,
  shapeRefusal,
  shieldReceiver,
  SSL_CHECK_LIMIT_BYTES,
} from '../../src/request-shield';
import { createLogger, type Logger } from '../../src/logger';
import { signSlackRequest } from '../../src/slack-signing';

const NOW = 1_800_000_000;
const SECRET = 'shield-test-signing-secret';
const form = { 'content-type': 'application/x-www-form-urlencoded' } as const;
/** Headers Slack would send for `body` stamped `ts`; `signature` forges the last one. */
const signed = (body: string, ts = NOW, signature = signSlackRequest(SECRET, ts, body)) => ({
  ...form,
  'x-slack-request-timestamp': String(ts),
  'x-slack-signature': signature,
});
/** refusalFor for a correctly signed request: the shape rules alone. */
const refusalForSigned = (body: string, headers: Record<string, string> = signed(body)) =>
  refusalFor(headers, body, NOW, SECRET);
const payload = (value: unknown) => new URLSearchParams({ payload: JSON.stringify(value) }).toString();
const click = {
  type: 'block_actions',
  user: { id: 'U1' },
  team: { id: 'T1' },
  channel: { id: 'C1' },
  actions: [{ action_id: 'replay_approve', value: '{}' }],
  trigger_id: '1.2.3',
};

describe('refusalFor: the signature, before anything is parsed', () => {
  it('refuses a timestamp more than 5 minutes off either way, even correctly signed', () => {
    const body = 'text=help';
    const at = (ts: number) => refusalFor(signed(body, ts), body, NOW, SECRET);
    expect(at(NOW + MAX_CLOCK_SKEW_S + 1)).toEqual({
      status: 401,
      reason: 'timestamp more than 5 minutes ahead',
    });
    expect(at(NOW - MAX_CLOCK_SKEW_S - 1)).toEqual({
      status: 401,
      reason: 'timestamp more than 5 minutes old',
    });
    expect(at(NOW + MAX_CLOCK_SKEW_S)).toBeUndefined();
    expect(at(NOW - MAX_CLOCK_SKEW_S)).toBeUndefined();
  });

  it('refuses a forged, malformed or missing signature and a missing timestamp with 401', () => {
    const body = 'text=help';
    const good = signSlackRequest(SECRET, NOW, body);
    const refused = [
      signed(body, NOW, signSlackRequest('another-secret', NOW, body)),
      signed(body, NOW, signSlackRequest(SECRET, NOW, 'text=replay')),
      signed(body, NOW, signSlackRequest(SECRET, NOW - 1, body)),
      signed(body, NOW, good.replace('v0=', 'v1=')),
      signed(body, NOW, good.toUpperCase()),
      signed(body, NOW, `${good}00`),
      signed(body, NOW, 'v0='),
      { ...form, 'x-slack-request-timestamp': String(NOW) },
      { ...form, 'x-slack-signature': good },
      { ...signed(body), 'x-slack-request-timestamp': `${NOW}.5` },
    ];
    for (const headers of refused) {
      expect(refusalFor(headers, body, NOW, SECRET)).toMatchObject({ status: 401 });
    }
    expect(refusalFor(signed(body), body, NOW, SECRET)).toBeUndefined();
  });

  it('answers an unsigned body with 401 without parsing it (JSON.parse is never called)', () => {
    const parse = jest.spyOn(JSON, 'parse');
    try {
      const hostile = payload({ ...click, actions: 'x'.repeat(100_000) });
      const forged = signed(hostile, NOW, `v0=${'0'.repeat(64)}`);
      expect(refusalFor(forged, hostile, NOW, SECRET)).toEqual({
        status: 401,
        reason: 'signature does not match',
      });
      expect(refusalFor(form, payload(null), NOW, SECRET)).toMatchObject({ status: 401 });
      expect(parse).not.toHaveBeenCalled();
    } finally {
      parse.mockRestore();
    }
  });
});

describe('refusalFor: the shape of a signed request (what Bolt lets through or chokes on)', () => {
  it('refuses a payload that is JSON but not an object', () => {
    for (const value of [null, 42, 'x', [click], true]) {
      expect(refusalForSigned(payload(value))).toMatchObject({ status: 400 });
    }
  });

  it('refuses a click whose user, actions or ids are not the shape Bolt assumes', () => {
    const broken = [
      { ...click, actions: 'replay_approve' },
      { ...click, actions: [] },
      { ...click, actions: [null] },
      { ...click, actions: [{ value: 'x' }] },
      { ...click, actions: [{ action_id: 'a', value: { b: 1 } }] },
      { ...click, user: undefined },
      { ...click, user: { id: 7 } },
      { ...click, user: { id: 'U'.repeat(256) } },
      { ...click, team: 'T1' },
      { ...click, channel: { id: '' } },
    ];
    for (const value of broken) expect(refusalForSigned(payload(value))).toMatchObject({ status: 400 });
  });

  it('refuses a form with a field sent twice', () => {
    expect(refusalForSigned('text=diagnose&text=replay')).toMatchObject({
      status: 400,
      reason: 'form field text repeated',
    });
  });

  it('lets through what Slack sends, and what Bolt itself answers (unparseable JSON)', () => {
    expect(refusalForSigned(payload(click))).toBeUndefined();
    expect(refusalForSigned(payload({ ...click, team: null, channel: undefined }))).toBeUndefined();
    expect(refusalForSigned('command=%2Fstuckjobs&text=diagnose')).toBeUndefined();
    expect(refusalForSigned('payload=%7Bnot')).toBeUndefined();
    const challenge = JSON.stringify({ type: 'url_verification', challenge: 'c' });
    expect(
      refusalForSigned(challenge, { ...signed(challenge), 'content-type': 'application/json' }),
    ).toBeUndefined();
    expect(shapeRefusal({ 'content-type': 'application/json' }, challenge)).toBeUndefined();
  });
});

/** Forged requests that carry `ssl_check=1` (or look like the probe) but are not exactly Slack's probe. */
const notSslChecks: readonly (readonly [string, string])[] = [
  ['application/x-www-form-urlencoded', 'ssl_check=1&token=t&command=%2Fstuckjobs&text=replay'],
  ['application/x-www-form-urlencoded', `ssl_check=1&${payload(click)}`],
  ['application/x-www-form-urlencoded', 'ssl_check=1&ssl_check=1&token=t'],
  ['application/x-www-form-urlencoded', 'ssl_check=1&token=t&token=u'],
  ['application/x-www-form-urlencoded', 'ssl_check=2&token=t'],
  ['application/x-www-form-urlencoded', 'token=t'],
  ['application/x-www-form-urlencoded', `ssl_check=1&token=${'t'.repeat(SSL_CHECK_LIMIT_BYTES)}`],
  ['application/json', JSON.stringify({ ssl_check: '1', token: 't' })],
  ['application/x-www-form-urlencoded; charset=utf-8', 'ssl_check=1&token=t'],
];

describe("isSslCheck: Slack's unsigned probe of the request URL", () => {
  it('recognises exactly `ssl_check=1`, with or without the token', () => {
    expect(isSslCheck(form, 'ssl_check=1&token=gIkuvaNzQIHg97ATvDxqgjtO')).toBe(true);
    expect(isSslCheck(form, 'token=gIkuvaNzQIHg97ATvDxqgjtO&ssl_check=1')).toBe(true);
    expect(isSslCheck(form, 'ssl_check=1')).toBe(true);
  });

  it('does not take a command, a payload, a repeated field or an oversized body for the probe', () => {
    for (const [contentType, body] of notSslChecks) {
      expect({ body: body.slice(0, 60), probe: isSslCheck({ 'content-type': contentType }, body) }).toEqual({
        body: body.slice(0, 60),
        probe: false,
      });
    }
  });
});

/** What each call of a spied logger method logged as its message (the second argument). */
function messagesOf(spy: { mock: { calls: unknown } }): unknown[] {
  return (spy.mock.calls as unknown[][]).map((call) => call[1]);
}

/** Polls until `check` holds; fails the test after `ms`. */
async function waitFor(check: () => boolean, what: string, ms = 3_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('shieldReceiver over HTTP', () => {
  let server: Server;
  let url: string;
  let bolt: jest.Mock<void, Parameters<RequestListener>>;
  let logger: Logger;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };

  beforeAll(() => process.on('unhandledRejection', onUnhandled));
  afterAll(() => process.off('unhandledRejection', onUnhandled));

  beforeEach(async () => {
    unhandled.length = 0;
    bolt = jest.fn<void, Parameters<RequestListener>>((_req, res) => res.writeHead(200).end('bolt'));
    logger = createLogger({ level: 'silent' });
    const receiver: { requestListener: RequestListener } = { requestListener: (req, res) => bolt(req, res) };
    shieldReceiver(receiver, logger, SECRET);
    server = createServer((req, res) => receiver.requestListener(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const post = (body: string, headers: Record<string, string>) =>
    fetch(url, { method: 'POST', body, headers, signal: AbortSignal.timeout(5_000) });
  const signedNow = (body: string) => signed(body, Math.floor(Date.now() / 1000));

  it('passes a signed request to Bolt with its body already read', async () => {
    const body = 'command=%2Fstuckjobs&text=help';
    const response = await post(body, signedNow(body));
    expect(response.status).toBe(200);
    expect(bolt).toHaveBeenCalledTimes(1);
    const [req] = bolt.mock.calls[0] ?? [];
    expect((req as { rawBody?: Buffer } | undefined)?.rawBody?.toString('utf8')).toBe(body);
  });

  it('answers a forged `payload=null` with 401 and never reaches Bolt', async () => {
    const body = payload(null);
    const forged = signed(body, Math.floor(Date.now() / 1000), `v0=${'a'.repeat(64)}`);
    expect((await post(body, forged)).status).toBe(401);
    expect((await post(body, form)).status).toBe(401);
    expect(bolt).not.toHaveBeenCalled();
  });

  it('answers 500 when Bolt throws, with no unhandled rejection', async () => {
    bolt.mockImplementation(() => {
      throw new Error('listener threw');
    });
    const body = 'command=%2Fstuckjobs&text=help';
    expect((await post(body, signedNow(body))).status).toBe(500);
    await new Promise((resolve) => setImmediate(resolve));
    expect(unhandled).toEqual([]);
  });

  it('still answers when the logger throws while refusing', async () => {
    jest.spyOn(logger, 'warn').mockImplementation(() => {
      throw new Error('logger threw');
    });
    const body = payload(null);
    expect((await post(body, form)).status).toBe(401);
    expect((await post(body, signedNow(body))).status).toBe(400);
    await new Promise((resolve) => setImmediate(resolve));
    expect(unhandled).toEqual([]);
  });

  it("answers Slack's unsigned ssl_check probe with 200 and processes nothing", async () => {
    const response = await post('ssl_check=1&token=gIkuvaNzQIHg97ATvDxqgjtO', form);
    expect(response.status).toBe(200);
    const signedProbe = 'ssl_check=1&token=t';
    expect((await post(signedProbe, signedNow(signedProbe))).status).toBe(200);
    expect(bolt).not.toHaveBeenCalled();
  });

  it('refuses forged commands and payloads with ssl_check=1 added, unsigned, with 401', async () => {
    const statuses: number[] = [];
    for (const [contentType, body] of notSslChecks) {
      statuses.push((await post(body, { 'content-type': contentType })).status);
    }
    expect(statuses).toEqual(notSslChecks.map(() => 401));
    expect(bolt).not.toHaveBeenCalled();
  });

  describe('a request that goes away before its body ends', () => {
    /** Sends signed headers and half a body over a raw socket; `teardown` then ends it one way or another. */
    async function halfSent(teardown: 'client disconnects' | 'server destroys it'): Promise<unknown[]> {
      const warn = jest.spyOn(logger, 'warn');
      const local: { requestListener: RequestListener } = { requestListener: (req, res) => bolt(req, res) };
      shieldReceiver(local, logger, SECRET);
      const torn = createServer((req, res) => {
        local.requestListener(req, res);
        // What a timeout or proxy does: destroy the request without an error, so no 'error' event.
        if (teardown === 'server destroys it') setTimeout(() => req.destroy(), 50);
      });
      await new Promise<void>((resolve) => torn.listen(0, '127.0.0.1', resolve));
      try {
        const { port } = torn.address() as AddressInfo;
        const body = 'command=%2Fstuckjobs&text=help';
        const headers = signedNow(body);
        const socket = connect(port, '127.0.0.1');
        socket.on('error', () => undefined);
        await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
        socket.write(
          [
            'POST /slack/events HTTP/1.1',
            'host: 127.0.0.1',
            `content-length: ${body.length}`,
            ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
            '',
            body.slice(0, 10),
          ].join('\r\n'),
        );
        if (teardown === 'client disconnects') setTimeout(() => socket.destroy(), 50);
        const dropped = () => messagesOf(warn).includes('Slack request dropped: the sender went away');
        await waitFor(dropped, 'the shield to drop the request');
        socket.destroy();
      } finally {
        torn.closeAllConnections();
        await new Promise<void>((resolve) => torn.close(() => resolve()));
      }
      return messagesOf(warn);
    }

    it.each(['client disconnects', 'server destroys it'] as const)(
      'settles and drops it (%s): Bolt never runs, nothing is left unhandled',
      async (teardown) => {
        const messages = await halfSent(teardown);
        await new Promise((resolve) => setImmediate(resolve));
        expect(bolt).not.toHaveBeenCalled();
        expect(unhandled).toEqual([]);
        expect(messages.filter((m) => m === 'Slack request dropped: the sender went away')).toHaveLength(1);
        expect(messages).not.toContain('Slack request body unreadable');
      },
    );
  });
});
