import nock from 'nock';
import { closedPortUrl } from '../helpers/loopback';
import { checkerConfig, checkerPool, recordingPayload } from './fixtures';
import { mockThirdPartyHttp } from '../helpers/nock';

const ENDPOINT = 'https://s3.test';
const BUCKET = 'delphi-recordings';
const KEY = 'tenants/tn_acme/conversations/conv_1/rec_1.wav';
const OBJECT_PATH = `/${BUCKET}/${KEY}`;

const recordings = (overrides: Partial<ReturnType<typeof checkerConfig>['recordings']> = {}) => ({
  recordings: { region: 'eu-central-1', bucket: BUCKET, s3Endpoint: ENDPOINT, ...overrides },
});

describe('target check: recordings', () => {
  const checkers = checkerPool();
  const checker = (overrides: Parameters<typeof recordings>[0] = {}, probeTimeoutMs = 1000) =>
    checkers.make({ config: checkerConfig({ ...recordings(overrides), probeTimeoutMs }) });

  mockThirdPartyHttp(() => checkers.closeAll());

  it('is unknown and names RECORDINGS_BUCKET when no bucket is configured', async () => {
    const result = await checker({ bucket: undefined }).check('recordings', recordingPayload(KEY));
    expect(result).toEqual({
      check: 'target-exists',
      status: 'unknown',
      reason: 'not configured: set RECORDINGS_BUCKET',
    });
  });

  it('passes when HeadObject answers 200 (path-style, signed), and asks once per key', async () => {
    const scope = nock(ENDPOINT)
      .matchHeader('authorization', /^AWS4-HMAC-SHA256 Credential=AKIAFAKEFAKEFAKE0000\//)
      .head(OBJECT_PATH)
      .once()
      .reply(200, '', { 'content-length': '48213' });
    const check = checker();
    const results = await Promise.all([1, 2, 3].map(() => check.check('recordings', recordingPayload(KEY))));
    expect(results).toEqual(
      Array(3).fill({ check: 'target-exists', status: 'pass', reason: `source object ${KEY} exists` }),
    );
    expect(scope.isDone()).toBe(true);
  });

  it('fails on 404 once the bucket is confirmed, asking HeadBucket only once', async () => {
    const other = 'tenants/tn_acme/conversations/conv_2/rec_2.wav';
    const scope = nock(ENDPOINT)
      .head(OBJECT_PATH)
      .reply(404)
      .head(`/${BUCKET}/${other}`)
      .reply(404)
      .head(`/${BUCKET}/`)
      .once()
      .reply(200);
    const check = checker();
    expect(await check.check('recordings', recordingPayload(KEY))).toEqual({
      check: 'target-exists',
      status: 'fail',
      reason: `source object ${KEY} does not exist`,
    });
    expect(await check.check('recordings', recordingPayload(other))).toMatchObject({
      status: 'fail',
      reason: `source object ${other} does not exist`,
    });
    expect(scope.isDone()).toBe(true);
  });

  it('is unknown on 404 when the bucket itself does not exist', async () => {
    nock(ENDPOINT).head(OBJECT_PATH).reply(404).head(`/${BUCKET}/`).reply(404);
    const result = await checker().check('recordings', recordingPayload(KEY));
    expect(result).toEqual({
      check: 'target-exists',
      status: 'unknown',
      reason: `bucket ${BUCKET} does not exist: check RECORDINGS_BUCKET`,
    });
  });

  it('is unknown on 404 when the bucket cannot be confirmed', async () => {
    nock(ENDPOINT).head(OBJECT_PATH).reply(404).head(`/${BUCKET}/`).reply(503);
    const result = await checker().check('recordings', recordingPayload(KEY));
    expect(result).toEqual({
      check: 'target-exists',
      status: 'unknown',
      reason: `source object ${KEY} not found, but bucket ${BUCKET} could not be confirmed: S3 store error (HTTP 503) on bucket ${BUCKET}`,
    });
  });

  it('is unknown on 403: without ListBucket, S3 hides missing objects behind access denied', async () => {
    nock(ENDPOINT).head(OBJECT_PATH).reply(403);
    const result = await checker().check('recordings', recordingPayload(KEY));
    expect(result).toEqual({
      check: 'target-exists',
      status: 'unknown',
      reason: `access denied to source object ${KEY} (HTTP 403): cannot tell whether it exists`,
    });
  });

  it('is unknown on 503, and tries only once', async () => {
    const scope = nock(ENDPOINT).head(OBJECT_PATH).twice().reply(503);
    const result = await checker().check('recordings', recordingPayload(KEY));
    expect(result).toEqual({
      check: 'target-exists',
      status: 'unknown',
      reason: `S3 store error (HTTP 503) on source object ${KEY}`,
    });
    expect(scope.pendingMocks()).toHaveLength(1);
  });

  it('is unknown when S3 does not answer in time', async () => {
    // nock ignores socket timeouts: the reply comes late, and our own deadline must answer first.
    nock(ENDPOINT).head(OBJECT_PATH).delay(2000).reply(200);
    const started = performance.now();
    const result = await checker({}, 150).check('recordings', recordingPayload(KEY));
    expect(result).toEqual({
      check: 'target-exists',
      status: 'unknown',
      reason: 'S3 did not answer within 150 ms',
    });
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('is unknown when S3 cannot be reached', async () => {
    // A real refused connection on loopback: nock's injected socket errors arrive twice.
    const result = await checker({ s3Endpoint: await closedPortUrl() }, 5000).check(
      'recordings',
      recordingPayload(KEY),
    );
    expect(result).toEqual({
      check: 'target-exists',
      status: 'unknown',
      reason: 'cannot reach S3: connection refused (ECONNREFUSED)',
    });
  });

  it('is unknown without asking S3 when the payload has no source key', async () => {
    const result = await checker().check('recordings', { ...recordingPayload(KEY), sourceKey: undefined });
    expect(result.status).toBe('unknown');
    expect(result.reason).toMatch(/^not checked: sourceKey: /);
  });
});
