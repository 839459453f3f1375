import { createUpstreamProbes, type ProbeConfig } from '../../src/probes';

const unconfigured: ProbeConfig = {
  opsContainers: ['voiceai-tasker', 'voiceai-scaler'],
  signoz: { service: 'ops' },
  stripe: {},
  recordings: { region: 'eu-central-1' },
  probeTimeoutMs: 500,
  webhookProbeAllowPrivate: false,
};

describe('createUpstreamProbes', () => {
  it('wires one probe per upstream, each naming the variable it lacks', async () => {
    const probes = createUpstreamProbes(unconfigured);
    const report = {
      docker: await probes.docker(),
      signoz: await probes.signoz(),
      stripe: await probes.stripe(),
      recordings: await probes.recordings(),
      webhookEndpoints: await probes.webhookEndpoints([]),
    };
    expect(report.docker).toMatchObject({
      probe: 'docker',
      status: 'unknown',
      reason: 'not configured: set OPS_DOCKER_URL',
    });
    expect(report.signoz).toMatchObject({
      probe: 'signoz',
      status: 'unknown',
      reason: 'not configured: set SIGNOZ_URL',
    });
    expect(report.stripe).toMatchObject({
      probe: 'stripe',
      status: 'unknown',
      reason: 'not configured: set STRIPE_SECRET_KEY',
    });
    expect(report.recordings).toMatchObject({
      probe: 'recordings',
      status: 'unknown',
      reason: 'not configured: set RECORDINGS_BUCKET',
      details: { enabled: null },
    });
    expect(report.webhookEndpoints).toMatchObject({ probe: 'webhook-endpoints', status: 'ok' });
  });

  it('passes RECORDING_ENABLED=false through to the recordings probe', async () => {
    const probes = createUpstreamProbes({
      ...unconfigured,
      recordings: { ...unconfigured.recordings, enabled: false, bucket: 'rec' },
    });
    const result = await probes.recordings();
    expect(result).toMatchObject({
      status: 'down',
      reason: 'RECORDING_ENABLED is false: recordings are off',
    });
  });
});
