import nock from 'nock';
import { closedPortUrl } from '../helpers/loopback';
import { createRecordingsProbe, type RecordingsProbeOptions } from '../../src/probes/recordings';
import { mockThirdPartyHttp } from '../helpers/nock';

const ENDPOINT = 'http://s3.test:9000';
const credentials = { accessKeyId: 'AKIAFAKEFAKEFAKE0000', secretAccessKey: 'fake-secret-for-tests-only' };

const probe = (overrides: Partial<RecordingsProbeOptions> = {}) =>
  createRecordingsProbe({
    enabled: true,
    bucket: 'delphi-recordings',
    s3Endpoint: ENDPOINT,
    region: 'eu-central-1',
    timeoutMs: 1000,
    credentials,
    ...overrides,
  });

const s3Error = (code: string, message: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`;

describe('recordings probe', () => {
  mockThirdPartyHttp();

  it('is down without asking S3 when RECORDING_ENABLED is false', async () => {
    const result = await probe({ enabled: false })();
    expect(result).toMatchObject({
      probe: 'recordings',
      status: 'down',
      reason: 'RECORDING_ENABLED is false: recordings are off',
      details: { enabled: false, bucket: 'delphi-recordings' },
    });
  });

  it('is unknown and names RECORDINGS_BUCKET when no bucket is configured', async () => {
    const result = await probe({ bucket: undefined })();
    expect(result).toMatchObject({ status: 'unknown', reason: 'not configured: set RECORDINGS_BUCKET' });
  });

  it('is ok when enabled and HeadBucket answers 200 (path-style, signed)', async () => {
    const scope = nock(ENDPOINT)
      .matchHeader('authorization', /^AWS4-HMAC-SHA256 Credential=AKIAFAKEFAKEFAKE0000\//)
      .head('/delphi-recordings/')
      .reply(200, '', { 'x-amz-bucket-region': 'eu-central-1' });
    const result = await probe()();
    expect(result).toMatchObject({
      status: 'ok',
      reason: 'bucket delphi-recordings reachable',
      details: { enabled: true, bucket: 'delphi-recordings' },
    });
    expect(result.latencyMs).toEqual(expect.any(Number));
    expect(scope.isDone()).toBe(true);
  });

  it('is at best degraded when RECORDING_ENABLED is unset, and says so', async () => {
    nock(ENDPOINT).head('/delphi-recordings/').reply(200);
    const result = await probe({ enabled: undefined })();
    expect(result.status).toBe('degraded');
    expect(result.reason).toBe(
      'bucket delphi-recordings reachable; RECORDING_ENABLED is unset: set it to true once recordings are meant to be on',
    );
    expect(result.details).toEqual({ enabled: null, bucket: 'delphi-recordings' });
  });

  it('is down on 403 access denied', async () => {
    nock(ENDPOINT).head('/delphi-recordings/').reply(403, s3Error('AccessDenied', 'Access Denied'));
    const result = await probe()();
    expect(result).toMatchObject({
      status: 'down',
      reason: "access denied to bucket delphi-recordings (HTTP 403): check the bot's S3 policy",
    });
  });

  it('is down on 404 no such bucket, and mentions an unset flag too', async () => {
    nock(ENDPOINT).head('/delphi-recordings/').reply(404);
    const result = await probe({ enabled: undefined })();
    expect(result.status).toBe('down');
    expect(result.reason).toContain('no such bucket delphi-recordings (HTTP 404): check RECORDINGS_BUCKET');
    expect(result.reason).toContain('RECORDING_ENABLED is unset');
  });

  it('is down on 503 and tries only once', async () => {
    const scope = nock(ENDPOINT)
      .head('/delphi-recordings/')
      .twice()
      .reply(503, s3Error('SlowDown', 'Please reduce your request rate.'));
    const result = await probe()();
    expect(result).toMatchObject({
      status: 'down',
      reason: 'bucket delphi-recordings store error (HTTP 503)',
    });
    expect(scope.pendingMocks()).toHaveLength(1);
  });

  it('is down when the S3 endpoint cannot be reached', async () => {
    // A real refused connection on loopback: nock's injected socket errors arrive twice.
    const result = await probe({ s3Endpoint: await closedPortUrl(), timeoutMs: 5_000 })();
    expect(result.status).toBe('down');
    expect(result.reason).toBe('cannot reach S3 for delphi-recordings: connection refused (ECONNREFUSED)');
  });

  it('is down when S3 does not answer in time', async () => {
    nock(ENDPOINT).head('/delphi-recordings/').delay(2000).reply(200);
    const result = await probe({ timeoutMs: 150 })();
    expect(result).toMatchObject({
      status: 'down',
      reason: 'S3 bucket delphi-recordings did not answer within 150 ms',
    });
    expect(result.latencyMs).toBeGreaterThanOrEqual(140);
    expect(result.latencyMs).toBeLessThan(1500);
  });
});
