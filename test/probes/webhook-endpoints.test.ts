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
    const result = await createWebhookEndpointsProbe({ timeoutMs: 1000 })([
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
    const result = await createWebhookEndpointsProbe({ timeoutMs: 1000 })([
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
    const result = await createWebhookEndpointsProbe({ timeoutMs: 200 })([
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
    const result = await createWebhookEndpointsProbe({ timeoutMs: 500, maxHosts: 2, concurrency: 1 })([
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
    const result = await createWebhookEndpointsProbe({ timeoutMs: 1000, concurrency: 2 })(
      hosts.flatMap((h) => targets(h.url, '/x', 1, 503)),
    );
    expect(result.status).toBe('ok');
    expect(result.details?.endpoints).toHaveLength(4);
    expect(peak).toBe(2);
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
