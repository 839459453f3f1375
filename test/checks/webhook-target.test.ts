import dns, { type LookupAddress } from 'node:dns';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { closedPortUrl, startLoopback, type Loopback } from '../helpers/loopback';
import { checkerConfig, checkerPool, webhookPayload } from './fixtures';

const answering = (status: number) =>
  startLoopback((_req, res) => {
    res.writeHead(status, { allow: 'POST' });
    res.end();
  });

describe('target check: webhooks', () => {
  const checkers = checkerPool();
  const servers: Loopback[] = [];
  const start = async (server: Promise<Loopback>) => {
    const started = await server;
    servers.push(started);
    return started;
  };
  const checker = (overrides: Parameters<typeof checkerConfig>[0] = {}, concurrency?: number) =>
    checkers.make({ config: checkerConfig(overrides), ...(concurrency ? { concurrency } : {}) });

  afterEach(async () => {
    await checkers.closeAll();
    // Every request any tenant server saw was a bodiless HEAD: a check never triggers a webhook.
    for (const server of servers) {
      for (const req of server.seen) {
        expect(req.method).toBe('HEAD');
        expect(req.body).toBe('');
      }
    }
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  it('passes on HEAD 200, asking origin + path without the query string', async () => {
    const server = await start(answering(200));
    const result = await checker().check(
      'webhooks',
      webhookPayload(`${server.url}/hooks/delphi?token=s3cr3t`),
    );
    expect(result).toEqual({ check: 'target-exists', status: 'pass', reason: 'HEAD 200' });
    expect(server.seen.map((r) => [r.method, r.url])).toEqual([['HEAD', '/hooks/delphi']]);
  });

  it('passes on 405: the path is routed, only HEAD is not allowed', async () => {
    const server = await start(answering(405));
    const result = await checker().check('webhooks', webhookPayload(`${server.url}/in`));
    expect(result).toEqual({
      check: 'target-exists',
      status: 'pass',
      reason: 'HEAD 405: the endpoint exists but does not allow HEAD',
    });
  });

  it('passes on 401: something guards that path, so it exists', async () => {
    const server = await start(answering(401));
    const result = await checker().check('webhooks', webhookPayload(`${server.url}/in`));
    expect(result).toMatchObject({ status: 'pass', reason: 'HEAD 401' });
  });

  it('fails on 410 Gone', async () => {
    const server = await start(answering(410));
    const result = await checker().check('webhooks', webhookPayload(`${server.url}/old-hook`));
    expect(result).toEqual({ check: 'target-exists', status: 'fail', reason: 'endpoint answers 410 Gone' });
  });

  it('is unknown on 404: POST-only routers answer 404 to HEAD on a live endpoint', async () => {
    const server = await start(answering(404));
    const result = await checker().check('webhooks', webhookPayload(`${server.url}/hook`));
    expect(result).toEqual({
      check: 'target-exists',
      status: 'unknown',
      reason: 'HEAD 404: the endpoint may be gone, or may route only POST (a HEAD cannot tell)',
    });
  });

  it('is unknown on 503: the server is failing now', async () => {
    const server = await start(answering(503));
    const result = await checker().check('webhooks', webhookPayload(`${server.url}/hook`));
    expect(result).toEqual({
      check: 'target-exists',
      status: 'unknown',
      reason: 'HEAD 503: the server is failing now; cannot tell whether the endpoint exists',
    });
  });

  it('is unknown when the connection is refused', async () => {
    const result = await checker().check('webhooks', webhookPayload(`${await closedPortUrl()}/hook`));
    expect(result).toEqual({
      check: 'target-exists',
      status: 'unknown',
      reason: 'HEAD failed: connection refused (ECONNREFUSED)',
    });
  });

  it('is unknown when the server does not answer in time, and answers at the deadline', async () => {
    const silent = await start(startLoopback(() => undefined));
    const started = performance.now();
    const result = await checker({ probeTimeoutMs: 200 }).check(
      'webhooks',
      webhookPayload(`${silent.url}/x`),
    );
    const took = performance.now() - started;
    expect(result).toEqual({
      check: 'target-exists',
      status: 'unknown',
      reason: 'HEAD got no answer within 200 ms',
    });
    expect(took).toBeGreaterThanOrEqual(190);
    expect(took).toBeLessThan(1000);
  });

  it.each([['not a url'], ['ftp://files.example/hook'], ['javascript:alert(1)'], ['']])(
    'fails when the url is %j',
    async (url) => {
      const result = await checker().check('webhooks', webhookPayload(url));
      expect(result).toEqual({
        check: 'target-exists',
        status: 'fail',
        reason: 'url is not a valid http(s) URL',
      });
    },
  );

  it('fails when the host does not resolve (.invalid is NXDOMAIN by RFC 6761)', async () => {
    const result = await checker().check('webhooks', webhookPayload('https://hooks.acme.invalid/delphi'));
    expect(result).toEqual({
      check: 'target-exists',
      status: 'fail',
      reason: 'host hooks.acme.invalid does not resolve',
    });
  });

  it('is unknown when the resolver fails temporarily (EAI_AGAIN)', async () => {
    // A stubbed resolver: a SERVFAIL cannot be produced on demand otherwise.
    const lookup = jest.spyOn(dns, 'lookup').mockImplementation(((
      host: string,
      _options: unknown,
      callback: (e: NodeJS.ErrnoException | null, a: LookupAddress[]) => void,
    ) => {
      callback(Object.assign(new Error(`getaddrinfo EAI_AGAIN ${host}`), { code: 'EAI_AGAIN' }), []);
    }) as unknown as typeof dns.lookup);
    try {
      const result = await checker().check('webhooks', webhookPayload('https://hooks.acme.example/delphi'));
      expect(result).toEqual({
        check: 'target-exists',
        status: 'unknown',
        reason: 'HEAD failed: DNS lookup failed (temporary) (EAI_AGAIN)',
      });
      expect(lookup).toHaveBeenCalled();
    } finally {
      lookup.mockRestore();
    }
  });

  it('asks once for ten jobs to the same endpoint, whatever their query strings', async () => {
    const server = await start(answering(204));
    const check = checker();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        check.check('webhooks', webhookPayload(`${server.url}/hooks/delphi?delivery=${i}`)),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array<string>(10).fill('pass'));
    expect(server.seen).toHaveLength(1);
    // Later jobs in the same sampling reuse the answer too.
    await check.check('webhooks', webhookPayload(`${server.url}/hooks/delphi`));
    expect(server.seen).toHaveLength(1);
    // A different path on the same host is a different endpoint.
    await check.check('webhooks', webhookPayload(`${server.url}/hooks/other`));
    expect(server.seen).toHaveLength(2);
  });

  it('asks again once the cached answer is older than the TTL', async () => {
    const server = await start(answering(200));
    const check = checkers.make({ config: checkerConfig(), cacheTtlMs: 50 });
    await check.check('webhooks', webhookPayload(`${server.url}/hook`));
    await new Promise((resolve) => setTimeout(resolve, 80));
    await check.check('webhooks', webhookPayload(`${server.url}/hook`));
    expect(server.seen).toHaveLength(2);
  });

  it.each([
    ['concurrency 2', 2, 2],
    ['the default', undefined, 4],
  ])('keeps at most %s HEADs in flight', async (_label, concurrency, expected) => {
    let inFlight = 0;
    let peak = 0;
    const server = await start(
      startLoopback((_req, res) => {
        peak = Math.max(peak, ++inFlight);
        setTimeout(() => {
          inFlight -= 1;
          res.writeHead(200);
          res.end();
        }, 40);
      }),
    );
    const check = checker({}, concurrency);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        check.check('webhooks', webhookPayload(`${server.url}/hook/${i}`)),
      ),
    );
    expect(results.every((r) => r.status === 'pass')).toBe(true);
    expect(server.seen).toHaveLength(10);
    expect(peak).toBe(expected);
  });
});

describe('target check: webhooks to private addresses (SSRF guard)', () => {
  const checkers = checkerPool();
  const servers: Loopback[] = [];
  // undici announces every socket it is about to open: an empty list proves no connection was tried.
  const connects: string[] = [];
  const onConnect = (message: unknown) => {
    connects.push((message as { connectParams: { hostname: string } }).connectParams.hostname);
  };
  beforeEach(() => {
    connects.length = 0;
    subscribe('undici:client:beforeConnect', onConnect);
  });
  afterEach(async () => {
    unsubscribe('undici:client:beforeConnect', onConnect);
    jest.restoreAllMocks();
    await checkers.closeAll();
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  const guarded = () => checkers.make({ config: checkerConfig({ webhookProbeAllowPrivate: false }) });

  it('does not contact a private IP literal, nor ask DNS about it: unknown', async () => {
    const server = await startLoopback((_req, res) => res.end());
    servers.push(server);
    const lookup = jest.spyOn(dns, 'lookup');
    const results = await Promise.all(
      [`${server.url}/hook`, 'http://169.254.169.254/latest/meta-data/', 'http://[fd00::2]:2375/x'].map(
        (url) => guarded().check('webhooks', webhookPayload(url)),
      ),
    );
    expect(results).toEqual([
      { check: 'target-exists', status: 'unknown', reason: 'not checked: private address 127.0.0.1' },
      { check: 'target-exists', status: 'unknown', reason: 'not checked: private address 169.254.169.254' },
      { check: 'target-exists', status: 'unknown', reason: 'not checked: private address fd00::2' },
    ]);
    expect(lookup).not.toHaveBeenCalled();
    expect(connects).toEqual([]);
    expect(server.seen).toHaveLength(0);
  });

  it('refuses a name that resolves to loopback at connect time, before any request', async () => {
    const server = await startLoopback((_req, res) => res.end());
    servers.push(server);
    const result = await guarded().check(
      'webhooks',
      webhookPayload(`${server.url.replace('127.0.0.1', 'localhost')}/hook`),
    );
    expect(result.status).toBe('unknown');
    expect(result.reason).toMatch(/^not checked: private address (127\.0\.0\.1|::1)$/);
    expect(server.seen).toHaveLength(0);
  });
});
