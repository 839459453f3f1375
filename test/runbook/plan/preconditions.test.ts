import type {
  EndpointHealth,
  EndpointsDetails,
  ProbeResult,
  ProbeStatus,
  RecordingsDetails,
  WebhookTarget,
} from '../../../src/probes';
import type { JobSummary } from '../../../src/queues/types';
import { checkPreconditions, type PreconditionDeps } from '../../../src/runbook/plan/preconditions';

const job = (id: string, data: unknown, failedReason = 'HTTP 503 from tenant'): JobSummary => ({
  id,
  name: 'deliver-webhook',
  state: 'failed',
  data,
  rawData: JSON.stringify(data),
  attemptsMade: 3,
  attemptsAllowed: 3,
  failedReason,
  createdAt: 1,
});
const hookJob = (id: string, url: string) => job(id, { tenantId: 't', webhookId: 'w', url, event: 'e' });

const unused = () => Promise.reject(new Error('not expected'));

function probes(over: Partial<PreconditionDeps['probes']>): PreconditionDeps['probes'] {
  return { recordings: unused, stripe: unused, webhookEndpoints: unused, ...over };
}

const recordings =
  (status: ProbeStatus, enabled: boolean | null, reason = 'bucket rec reachable') =>
  (): Promise<ProbeResult<RecordingsDetails>> =>
    Promise.resolve({ probe: 'recordings', status, reason, details: { enabled, bucket: 'rec' } });

/** Answers per host from `health`; hosts missing from it are left out, like the probe's maxHosts cut. */
function endpoints(health: Record<string, ProbeStatus>, asked: WebhookTarget[][] = []) {
  return (targets: readonly WebhookTarget[]): Promise<ProbeResult<EndpointsDetails>> => {
    asked.push([...targets]);
    const hosts = [...new Set(targets.map((t) => new URL(t.url).host))].filter((h) => h in health);
    const list: EndpointHealth[] = hosts.map((host) => ({
      host,
      jobs: 1,
      recentStatusCodes: {},
      head:
        health[host] === 'unknown'
          ? { error: 'not probed: private address' }
          : { status: health[host] === 'ok' ? 200 : 503 },
      status: health[host]!,
    }));
    const down = list.filter((e) => e.status === 'down');
    const status: ProbeStatus = down.length > 0 ? 'degraded' : 'ok';
    return Promise.resolve({
      probe: 'webhook-endpoints',
      status,
      reason: `${down.length} down`,
      details: { endpoints: list },
    });
  };
}

describe('checkPreconditions', () => {
  describe('recordings', () => {
    it('passes with RECORDING_ENABLED and a healthy bucket', async () => {
      const deps = { probes: probes({ recordings: recordings('ok', true) }) };
      expect(await checkPreconditions(deps, { workflow: 'recordings', jobs: [] })).toEqual({
        ok: true,
        reasons: [],
        held: ['RECORDING_ENABLED is on', 'the recordings bucket answers'],
      });
    });

    it('refuses when RECORDING_ENABLED is off or unknown', async () => {
      for (const enabled of [false, null]) {
        const deps = {
          probes: probes({ recordings: recordings('down', enabled, 'RECORDING_ENABLED is false') }),
        };
        const result = await checkPreconditions(deps, { workflow: 'recordings', jobs: [] });
        expect(result).toEqual({
          ok: false,
          reasons: ['recordings: RECORDING_ENABLED is not on (RECORDING_ENABLED is false)'],
          held: [],
        });
      }
    });

    it('refuses when the bucket is not healthy', async () => {
      const deps = {
        probes: probes({ recordings: recordings('down', true, 'no such bucket rec (HTTP 404)') }),
      };
      expect(await checkPreconditions(deps, { workflow: 'recordings', jobs: [] })).toEqual({
        ok: false,
        reasons: ['recordings: the recordings bucket is not healthy (down): no such bucket rec (HTTP 404)'],
        held: [],
      });
    });
  });

  describe('billing', () => {
    const stripe = (status: ProbeStatus, reason: string) => () =>
      Promise.resolve({ probe: 'stripe', status, reason });

    it('passes when Stripe is reachable', async () => {
      const deps = { probes: probes({ stripe: stripe('ok', 'Stripe answered in 80 ms') }) };
      expect(await checkPreconditions(deps, { workflow: 'billing', jobs: [] })).toEqual({
        ok: true,
        reasons: [],
        held: ['Stripe is reachable'],
      });
    });

    it.each<ProbeStatus>(['down', 'degraded', 'unknown'])(
      'refuses when the Stripe probe is %s',
      async (status) => {
        const deps = { probes: probes({ stripe: stripe(status, 'timed out after 3000 ms') }) };
        expect(await checkPreconditions(deps, { workflow: 'billing', jobs: [] })).toEqual({
          ok: false,
          reasons: [`billing: Stripe is not reachable (${status}): timed out after 3000 ms`],
          held: [],
        });
      },
    );
  });

  describe('webhooks', () => {
    it('passes when every candidate host is up, asking each host with its jobs', async () => {
      const asked: WebhookTarget[][] = [];
      const deps = {
        probes: probes({ webhookEndpoints: endpoints({ 'a.example': 'ok', 'b.example': 'ok' }, asked) }),
      };
      const jobs = [
        hookJob('1', 'https://a.example/h'),
        hookJob('2', 'https://b.example/h'),
        hookJob('3', 'https://a.example/x'),
      ];
      expect(await checkPreconditions(deps, { workflow: 'webhooks', jobs })).toEqual({
        ok: true,
        reasons: [],
        held: [`the 2 tenant endpoint(s) of these 3 jobs answer healthy now`],
      });
      expect(asked.flat()).toHaveLength(3);
      expect(asked.flat()[0]).toEqual({ url: 'https://a.example/h', failureStatus: 503 });
    });

    it('refuses naming the host that is down', async () => {
      const deps = {
        probes: probes({ webhookEndpoints: endpoints({ 'a.example': 'ok', 'b.example': 'down' }) }),
      };
      const jobs = [hookJob('1', 'https://a.example/h'), hookJob('2', 'https://b.example/h')];
      expect(await checkPreconditions(deps, { workflow: 'webhooks', jobs })).toEqual({
        ok: false,
        reasons: ['webhooks: endpoint b.example is down (HTTP 503)'],
        held: [],
      });
    });

    it('refuses a host that was not probed (private) or not asked at all', async () => {
      const deps = { probes: probes({ webhookEndpoints: endpoints({ 'a.example': 'unknown' }) }) };
      const jobs = [hookJob('1', 'https://a.example/h'), hookJob('2', 'https://c.example:8443/h')];
      expect(await checkPreconditions(deps, { workflow: 'webhooks', jobs })).toEqual({
        ok: false,
        reasons: [
          'webhooks: endpoint a.example is not known to be healthy (not probed: private address)',
          'webhooks: endpoint c.example:8443 was not checked',
        ],
        held: [],
      });
    });

    it('asks every host even past the probe’s per-call host limit', async () => {
      const hosts = Array.from({ length: 12 }, (_, i) => `h${i}.example`);
      const asked: WebhookTarget[][] = [];
      const health: Record<string, ProbeStatus> = Object.fromEntries(hosts.map((h) => [h, 'ok']));
      health['h11.example'] = 'down';
      const deps = { probes: probes({ webhookEndpoints: endpoints(health, asked) }) };
      const jobs = hosts.map((h, i) => hookJob(String(i), `https://${h}/hook`));
      const result = await checkPreconditions(deps, { workflow: 'webhooks', jobs });
      expect(result).toEqual({
        ok: false,
        reasons: ['webhooks: endpoint h11.example is down (HTTP 503)'],
        held: [],
      });
      expect(asked.every((targets) => targets.length <= 5)).toBe(true);
      expect(asked.flat()).toHaveLength(12);
    });

    it('refuses when the probe is not ok even if it names no failing host', async () => {
      const webhookEndpoints = () =>
        Promise.resolve({
          probe: 'webhook-endpoints',
          status: 'unknown' as const,
          reason: 'timed out',
          details: {
            endpoints: [
              {
                host: 'a.example',
                jobs: 1,
                recentStatusCodes: {},
                head: { status: 200 },
                status: 'ok' as const,
              },
            ],
          },
        });
      const deps = { probes: probes({ webhookEndpoints }) };
      expect(
        await checkPreconditions(deps, { workflow: 'webhooks', jobs: [hookJob('1', 'https://a.example/h')] }),
      ).toEqual({
        ok: false,
        reasons: ['webhooks: endpoints a.example could not be confirmed healthy (unknown): timed out'],
        held: [],
      });
    });

    it('refuses a job with no usable URL', async () => {
      const deps = { probes: probes({ webhookEndpoints: endpoints({}) }) };
      const jobs = [job('7', { tenantId: 't' }), hookJob('8', 'not a url')];
      expect((await checkPreconditions(deps, { workflow: 'webhooks', jobs })).reasons).toEqual([
        'webhooks: job 7 has no webhook URL whose host could be checked',
        'webhooks: job 8 has no webhook URL whose host could be checked',
      ]);
    });
  });

  it('refuses a webhooks batch with no job to check rather than passing on nothing', async () => {
    const deps = { probes: probes({}) };
    expect(await checkPreconditions(deps, { workflow: 'webhooks', jobs: [] })).toEqual({
      ok: false,
      reasons: ['webhooks: no job of the batch is there to check its endpoint'],
      held: [],
    });
  });

  it('never throws: a probe that rejects refuses with the error', async () => {
    const deps = { probes: probes({}) };
    for (const workflow of ['recordings', 'billing'] as const) {
      expect(await checkPreconditions(deps, { workflow, jobs: [] })).toEqual({
        ok: false,
        reasons: [`could not check the ${workflow} preconditions: not expected`],
        held: [],
      });
    }
    const result = await checkPreconditions(deps, {
      workflow: 'webhooks',
      jobs: [hookJob('1', 'https://a.example/')],
    });
    expect(result.ok).toBe(false);
  });
});
