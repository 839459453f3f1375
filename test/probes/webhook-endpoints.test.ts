import dns, { type LookupAddress } from 'node:dns';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createWebhookEndpointsProbe, groupByHost } from '../../src/probes/webhook-endpoints';
import type { WebhookTarget } from '../../src/probes/types';
import { closedPortUrl, startLoopback, type Loopback } from '../helpers/loopback';

const answering = (status: number) =>
  startLoopback((_req, res) => {
    res.writeHead(status, { allow: 'POST' });
    res.end();
  });

const targets = (base: string, path: string, count: number, failureStatus: number | null): WebhookTarget[] =>
  Array.from({ length: count }, (_, i) => ({
    url: `${base}${path}?delivery=${i}&token=secret${i}`,
    failureStatus,
  }));

const hostOf = (url: string) => new URL(url).host;

describe('webhook endpoints probe', () => {
  const servers: Loopback[] = [];
  const start = async (server: Promise<Loopback>) => {
    const started = await server;
    servers.push(started);
    return started;
  };
  afterEach(async () => {
    // Every request any tenant server saw was a HEAD without a body: the probe never triggers a webhook.
    for (const server of servers) {
      for (const req of server.seen) {
        expect(req.method).toBe('HEAD');
        expect(req.body).toBe('');
      }
    }
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  it('is ok when the sample has no failing webhook targets', async () => {
    const result = await createWebhookEndpointsProbe({ timeoutMs: 200 })([]);
    expect(result).toMatchObject({
      probe: 'webhook-endpoints',
      status: 'ok',
      reason: 'no failing webhook targets in the sample',
      details: { endpoints: [] },
    });
  });

  it('is unknown when no failing target has a usable URL', async () => {
    const result = await createWebhookEndpointsProbe({ timeoutMs: 200 })([
      { url: 'not a url', failureStatus: 500 },
    ]);
    expect(result).toMatchObject({
      status: 'unknown',
      reason: 'none of the 1 failing webhook targets has an http(s) URL to check',
    });
  });

  it('is ok when every host answers below 500, even 405 to a HEAD', async () => {
    const a = await start(answering(405));
    const b = await start(answering(204));
    const result = await createWebhookEndpointsProbe({ timeoutMs: 1000, allowPrivateTargets: true })([
      ...targets(a.url, '/hooks/delphi', 3, 502),
      ...targets(b.url, '/in', 1, null),
    ]);
    expect(result.status).toBe('ok');
    expect(result.reason).toBe(`all 2 hosts answer HEAD: ${hostOf(a.url)} 405, ${hostOf(b.url)} 204`);
    expect(result.latencyMs).toEqual(expect.any(Number));
    expect(a.seen).toHaveLength(1); // one HEAD per host, not per job
    expect(a.seen[0]!.url).toBe('/hooks/delphi'); // no query string: tokens stay out of the check
    expect(result.details?.endpoints[0]).toMatchObject({
      host: hostOf(a.url),
      jobs: 3,
      recentStatusCodes: { '502': 3 },
      head: { status: 405 },
      status: 'ok',
    });
  });

  it('is degraded when some hosts fail, naming the worst with their job failures', async () => {
    const bad = await start(answering(503));
    const good = await start(answering(200));
    const result = await createWebhookEndpointsProbe({ timeoutMs: 1000, allowPrivateTargets: true })([
      ...targets(bad.url, '/webhook', 240, 503),
      ...targets(bad.url, '/webhook', 2, 504),
      ...targets(good.url, '/hook', 5, 500),
    ]);
    expect(result.status).toBe('degraded');
    expect(result.reason).toBe(
      `1 of 2 hosts down: ${hostOf(bad.url)}: HEAD 503; jobs failed with 503 ×240, 504 ×2`,
    );
  });

  it('is down when every host fails: 5xx, refused, or silent past the timeout', async () => {
    const broken = await start(answering(500));
    const silent = await start(startLoopback(() => undefined));
    const refused = await closedPortUrl();
    const result = await createWebhookEndpointsProbe({ timeoutMs: 200, allowPrivateTargets: true })([
      ...targets(broken.url, '/a', 3, 500),
      ...targets(silent.url, '/b', 2, null),
      ...targets(refused, '/c', 1, 502),
    ]);
    expect(result.status).toBe('down');
    expect(result.reason).toContain('3 of 3 hosts down: ');
    expect(result.reason).toContain(`${hostOf(broken.url)}: HEAD 500; jobs failed with 500 ×3`);
    expect(result.reason).toContain(
      `${hostOf(silent.url)}: HEAD failed: no answer within 200 ms; 2 failing jobs`,
    );
    expect(result.reason).toContain(`${hostOf(refused)}: HEAD failed: connection refused (ECONNREFUSED)`);
    expect(result.details?.endpoints.map((e) => e.status)).toEqual(['down', 'down', 'down']);
    expect(result.latencyMs).toBeLessThan(1000);
  });

  it('asks only the top hosts by job count, a few at a time', async () => {
    const hosts = await Promise.all([1, 2, 3].map(() => start(answering(200))));
    const result = await createWebhookEndpointsProbe({
      timeoutMs: 500,
      maxHosts: 2,
      concurrency: 1,
      allowPrivateTargets: true,
    })([
      ...targets(hosts[0]!.url, '/x', 1, 500),
      ...targets(hosts[1]!.url, '/x', 9, 500),
      ...targets(hosts[2]!.url, '/x', 4, 500),
    ]);
    expect(result.status).toBe('ok');
    expect(result.details?.endpoints.map((e) => e.host)).toEqual([
      hostOf(hosts[1]!.url),
      hostOf(hosts[2]!.url),
    ]);
    expect(result.reason).toContain('(+1 more hosts not checked)');
    expect(hosts[0]!.seen).toHaveLength(0);
  });

  it('keeps at most `concurrency` HEADs in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    const slow = () =>
      startLoopback((_req, res) => {
        peak = Math.max(peak, ++inFlight);
        setTimeout(() => {
          inFlight -= 1;
          res.writeHead(200);
          res.end();
        }, 40);
      });
    const hosts = await Promise.all([1, 2, 3, 4].map(() => start(slow())));
    const result = await createWebhookEndpointsProbe({
      timeoutMs: 1000,
      concurrency: 2,
      allowPrivateTargets: true,
    })(hosts.flatMap((h) => targets(h.url, '/x', 1, 503)));
    expect(result.status).toBe('ok');
    expect(result.details?.endpoints).toHaveLength(4);
    expect(peak).toBe(2);
  });
});

describe('webhook endpoints probe: private targets (SSRF guard)', () => {
  const servers: Loopback[] = [];
  const start = async (server: Promise<Loopback>) => {
    const started = await server;
    servers.push(started);
    return started;
  };

  // undici announces every socket it is about to open on this channel: an empty list
  // proves a refused host cost no connection attempt at all, not merely no request.
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
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  it('does not contact a private IP literal by default: unknown, not down', async () => {
    const server = await start(answering(200));
    const result = await createWebhookEndpointsProbe({ timeoutMs: 1000 })(targets(server.url, '/x', 3, 503));
    expect(server.seen).toHaveLength(0);
    expect(connects).toEqual([]);
    expect(result.status).toBe('unknown');
    expect(result.reason).toBe(
      `all 1 webhook hosts resolve to private addresses and were not probed: ${hostOf(server.url)}`,
    );
    expect(result.details?.endpoints).toEqual([
      {
        host: hostOf(server.url),
        jobs: 3,
        recentStatusCodes: { '503': 3 },
        head: { error: 'not probed: private address 127.0.0.1' },
        status: 'unknown',
      },
    ]);
  });

  it('refuses a name that resolves to loopback at connect time, before any request is sent', async () => {
    const server = await start(answering(200));
    const viaName = server.url.replace('127.0.0.1', 'localhost');
    const result = await createWebhookEndpointsProbe({ timeoutMs: 1000 })(targets(viaName, '/hook', 1, 502));
    expect(server.seen).toHaveLength(0);
    // undici did start a connection: the refusal came from the guarded lookup inside net.connect.
    expect(connects).toEqual(['localhost']);
    expect(result.status).toBe('unknown');
    expect(result.reason).toContain('resolve to private addresses and were not probed');
    const endpoint = result.details?.endpoints[0];
    expect(endpoint?.status).toBe('unknown');
    expect(endpoint?.head.error).toMatch(/^not probed: private address (127\.0\.0\.1|::1)$/);
  });

  it('reaches the same name when private targets are allowed (the lookup is what stopped it)', async () => {
    const server = await start(answering(204));
    const viaName = server.url.replace('127.0.0.1', 'localhost');
    const result = await createWebhookEndpointsProbe({ timeoutMs: 1000, allowPrivateTargets: true })(
      targets(viaName, '/hook', 1, 502),
    );
    expect(result.status).toBe('ok');
    expect(server.seen).toHaveLength(1);
    expect(server.seen[0]!.method).toBe('HEAD');
  });

  it('refuses cloud metadata without touching the network, and fast', async () => {
    const started = performance.now();
    // A timeout long enough that any real connection attempt would show in the elapsed time.
    const result = await createWebhookEndpointsProbe({ timeoutMs: 5000 })([
      { url: 'http://169.254.169.254/latest/meta-data/', failureStatus: null },
    ]);
    expect(performance.now() - started).toBeLessThan(500);
    expect(connects).toEqual([]);
    expect(result).toMatchObject({
      probe: 'webhook-endpoints',
      status: 'unknown',
      reason: 'all 1 webhook hosts resolve to private addresses and were not probed: 169.254.169.254',
      details: {
        endpoints: [
          { host: '169.254.169.254', head: { error: 'not probed: private address 169.254.169.254' } },
        ],
      },
    });
  });

  it('judges the hosts it did probe and names the ones it refused', async () => {
    // A stubbed resolver keeps this off the network: the one public-looking name fails to resolve.
    jest.spyOn(dns, 'lookup').mockImplementation(((
      host: string,
      _options: unknown,
      callback: (e: NodeJS.ErrnoException | null, a: LookupAddress[]) => void,
    ) => {
      const notFound = Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
      callback(notFound, []);
    }) as unknown as typeof dns.lookup);
    const result = await createWebhookEndpointsProbe({ timeoutMs: 1000 })([
      ...targets('http://10.0.0.5:6379', '/', 4, null),
      ...targets('https://gone.example', '/hook', 2, 502),
      ...targets('http://[fd00::2]:2375', '/containers/json', 1, null),
    ]);
    expect(result.status).toBe('down');
    expect(result.reason).toBe(
      '1 of 1 hosts down: gone.example: HEAD failed: DNS lookup failed (ENOTFOUND); jobs failed with 502 ×2' +
        '; not probed (private address): 10.0.0.5:6379, [fd00::2]:2375',
    );
    expect(result.details?.endpoints.map((e) => [e.host, e.status, e.head.error])).toEqual([
      ['10.0.0.5:6379', 'unknown', 'not probed: private address 10.0.0.5'],
      ['gone.example', 'down', 'DNS lookup failed (ENOTFOUND)'],
      ['[fd00::2]:2375', 'unknown', 'not probed: private address fd00::2'],
    ]);
    // Only the name was ever connected to; the literals were refused before undici saw them.
    expect(connects).toEqual(['gone.example']);
  });
});

describe('groupByHost', () => {
  it('groups by host, counts codes, picks the common path, and skips what is not http(s)', () => {
    const groups = groupByHost([
      { url: 'https://user:pw@acme.example/hooks/a?sig=1', failureStatus: 503 },
      { url: 'https://acme.example/hooks/a', failureStatus: 503 },
      { url: 'https://acme.example/hooks/b', failureStatus: 429 },
      { url: 'https://beta.example:8443/in', failureStatus: null },
      { url: 'ftp://files.example/x', failureStatus: 500 },
      { url: 'not a url', failureStatus: 500 },
    ]);
    expect(groups.map((g) => [g.host, g.jobs])).toEqual([
      ['acme.example', 3],
      ['beta.example:8443', 1],
    ]);
    expect(Object.fromEntries(groups[0]!.codes)).toEqual({ '503': 2, '429': 1 });
    expect([...groups[0]!.urls.keys()]).toEqual([
      'https://acme.example/hooks/a',
      'https://acme.example/hooks/b',
    ]);
  });
});
