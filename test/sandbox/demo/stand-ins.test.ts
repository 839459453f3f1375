import { createDockerProbe } from '../../../src/probes/docker';
import { createSignozProbe } from '../../../src/probes/signoz';
import { startDemoStandIns, type DemoStandIns } from '../../../src/sandbox/demo/stand-ins';

describe('demo stand-ins', () => {
  let standIns: DemoStandIns;
  beforeAll(async () => {
    standIns = await startDemoStandIns();
  });
  afterAll(async () => {
    await standIns.close();
  });

  it('listen on loopback ports', () => {
    for (const url of [standIns.tenantUrl('acme'), standIns.signozUrl, standIns.dockerUrl]) {
      expect(new URL(url).hostname).toBe('127.0.0.1');
    }
  });

  it('answer 200 for acme and 503 for globex, to HEAD and POST', async () => {
    const statuses: string[] = [];
    for (const tenant of ['acme', 'globex'] as const) {
      for (const method of ['HEAD', 'POST']) {
        const res = await fetch(standIns.tenantUrl(tenant), {
          method,
          body: method === 'POST' ? '{}' : null,
        });
        await res.arrayBuffer();
        statuses.push(`${tenant} ${method} ${res.status}`);
      }
    }
    expect(statuses).toEqual(['acme HEAD 200', 'acme POST 200', 'globex HEAD 503', 'globex POST 503']);
    expect(standIns.tenantRequests.map((r) => `${r.tenant} ${r.method}`)).toEqual([
      'acme HEAD',
      'acme POST',
      'globex HEAD',
      'globex POST',
    ]);
  });

  it('answer 404 for an unknown tenant', async () => {
    const res = await fetch(standIns.tenantUrl('acme').replace('acme', 'initech'), { method: 'HEAD' });
    expect(res.status).toBe(404);
  });

  it('answer SigNoz v5 query_range in the scalar shape the SigNoz probe reads', async () => {
    const probe = createSignozProbe({ url: standIns.signozUrl, service: 'voiceai-tasker', timeoutMs: 5_000 });
    const result = await probe();
    expect(result.status).toBe('ok');
  });

  it('answer the Docker Engine API with both containers running and healthy', async () => {
    const probe = createDockerProbe({
      url: standIns.dockerUrl,
      containers: ['voiceai-tasker', 'voiceai-scaler'],
      timeoutMs: 5_000,
    });
    const result = await probe();
    expect(result).toMatchObject({ status: 'ok' });
    const list = (await (await fetch(`${standIns.dockerUrl}/containers/json`)).json()) as {
      Names: string[];
    }[];
    expect(list.map((c) => c.Names[0])).toEqual(['/voiceai-tasker', '/voiceai-scaler']);
  });
});
