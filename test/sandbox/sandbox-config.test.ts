import { loadConfig } from '../../src/config';
import { ConfigError } from '../../src/errors';
import { sandboxConfig, type DemoUpstreams } from '../../src/sandbox/sandbox-config';
import { SANDBOX_IDS } from '../../src/sandbox';

const upstreams: DemoUpstreams = {
  signozUrl: 'http://127.0.0.1:4001',
  dockerUrl: 'http://127.0.0.1:4002',
  s3: {
    endpoint: 'http://127.0.0.1:4003',
    bucket: 'demo-recordings',
    credentials: { accessKeyId: 'AKIDSANDBOX', secretAccessKey: 'sandbox-secret' },
  },
  stripe: { apiUrl: 'http://127.0.0.1:4004', secretKey: 'sk_test_sandbox' },
};

describe('sandboxConfig', () => {
  it('keeps its keys under SANDBOX_PREFIX whatever QUEUE_PREFIX and STATE_PREFIX say', () => {
    const given = loadConfig({
      QUEUE_PREFIX: 'bull',
      STATE_PREFIX: 'stuckjobs',
      SANDBOX_PREFIX: 'rehearsal',
    });
    const config = sandboxConfig(given, 'redis://127.0.0.1:6390', undefined);
    expect(config.queuePrefix).toBe('rehearsal:bull');
    expect(config.statePrefix).toBe('rehearsal:state');
    expect(config.redis).toEqual({ url: 'redis://127.0.0.1:6390', stateUrl: 'redis://127.0.0.1:6390' });
  });

  it('defaults the approvers to the sandbox group and keeps a separate state Redis', () => {
    const given = loadConfig({ STATE_REDIS_URL: 'redis://127.0.0.1:6391' });
    const config = sandboxConfig(given, 'redis://127.0.0.1:6390', undefined);
    expect(config.approvers).toEqual([SANDBOX_IDS.approvers]);
    expect(config.redis).toEqual({ url: 'redis://127.0.0.1:6390', stateUrl: 'redis://127.0.0.1:6391' });
    expect(sandboxConfig(loadConfig({ APPROVERS: 'U0APPROVE' }), undefined, undefined).approvers).toEqual([
      'U0APPROVE',
    ]);
  });

  it('points every upstream at the demo world, replacing what the environment named', () => {
    const given = loadConfig({
      SIGNOZ_URL: 'http://signoz.example',
      SIGNOZ_API_KEY: 'real-key',
      STRIPE_SECRET_KEY: 'sk_live_real',
      RECORDINGS_BUCKET: 'prod-recordings',
    });
    const config = sandboxConfig(given, undefined, upstreams);
    expect(config.signoz).toMatchObject({ url: upstreams.signozUrl, apiKey: undefined });
    expect(config.opsDockerUrl).toBe(upstreams.dockerUrl);
    expect(config.recordings).toEqual({
      enabled: true,
      bucket: 'demo-recordings',
      s3Endpoint: upstreams.s3.endpoint,
      region: given.recordings.region,
      credentials: upstreams.s3.credentials,
    });
    expect(config.stripe).toEqual({ secretKey: 'sk_test_sandbox', apiUrl: upstreams.stripe.apiUrl });
    expect(config.webhookProbeAllowPrivate).toBe(true);
  });

  it('leaves the upstreams as configured without the demo world', () => {
    const given = loadConfig({ SANDBOX_DEMO: 'false', SIGNOZ_URL: 'http://signoz.example' });
    expect(given.sandbox.demo).toBe(false);
    const config = sandboxConfig(given, undefined, undefined);
    expect(config.signoz.url).toBe('http://signoz.example');
    expect(config.webhookProbeAllowPrivate).toBe(false);
  });

  it("refuses a SANDBOX_PREFIX whose keys would share the real queues' or state's key space", () => {
    for (const env of [
      { SANDBOX_PREFIX: 'ops', QUEUE_PREFIX: 'ops:bull' },
      { SANDBOX_PREFIX: 'ops', QUEUE_PREFIX: 'ops' },
      { SANDBOX_PREFIX: 'ops', STATE_PREFIX: 'ops:state:old' },
    ]) {
      expect(() => sandboxConfig(loadConfig(env), undefined, undefined)).toThrow(ConfigError);
    }
    expect(() =>
      sandboxConfig(loadConfig({ SANDBOX_PREFIX: 'ops-demo', QUEUE_PREFIX: 'ops' }), undefined, undefined),
    ).not.toThrow();
  });
});
