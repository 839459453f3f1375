import type { ServerResponse } from 'node:http';
import { S3Client } from '@aws-sdk/client-s3';
import nock from 'nock';
import { mockThirdPartyHttp } from '../../../helpers/nock';
import { startLoopback, type Loopback } from '../../../helpers/loopback';
import { completedJob, downstreamConfig, downstreamPool, type DownstreamConfig } from './fixtures';

const ENDPOINT = 'https://s3.test';
const BUCKET = 'delphi-recordings';
const key = (n: number) => `recordings/tn_acme/rec_${n}/final.mp3`;
const recording = (n: number, outputKey: string | null = key(n)) => ({
  tenantId: 'tn_acme',
  conversationId: `conv_${n}`,
  recordingId: `rec_${n}`,
  sourceKey: `recordings/tn_acme/rec_${n}/source.wav`,
  ...(outputKey === null ? {} : { outputKey }),
});
const job = (n: number, outputKey?: string) => completedJob(`job-${n}`, recording(n, outputKey));

describe('downstream: recordings', () => {
  const pool = downstreamPool();
  const servers: Loopback[] = [];
  const config = (
    recordings: Partial<DownstreamConfig['recordings']> = {},
    probeTimeoutMs = 1000,
  ): DownstreamConfig =>
    downstreamConfig({
      recordings: { region: 'eu-central-1', bucket: BUCKET, s3Endpoint: ENDPOINT, ...recordings },
      probeTimeoutMs,
    });
  const check = (jobs: Parameters<ReturnType<typeof pool.make>['check']>[1], cfg = config()) =>
    pool.make(cfg).check('recordings', jobs);

  mockThirdPartyHttp(async () => {
    await pool.closeAll();
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  it('is skipped and names RECORDINGS_BUCKET when no bucket is configured', async () => {
    expect(await check([job(1)], config({ bucket: undefined }))).toEqual({
      name: 'downstream',
      status: 'skipped',
      summary: 'not configured: set RECORDINGS_BUCKET',
      details: [],
    });
  });

  it('passes when HeadObject finds every output object (path-style, signed)', async () => {
    const scope = nock(ENDPOINT)
      .matchHeader('authorization', /^AWS4-HMAC-SHA256 Credential=AKIAFAKEFAKEFAKE0000\//)
      .head(`/${BUCKET}/${key(1)}`)
      .reply(200, '', { 'content-length': '48213' })
      .head(`/${BUCKET}/${key(2)}`)
      .reply(200, '', { 'content-length': '1024' });
    const part = await check([job(1), job(2)]);
    expect(part).toEqual({
      name: 'downstream',
      status: 'pass',
      summary: 'output object exists: 2 of 2 jobs passed',
      details: [
        `pass job job-1: output object ${key(1)} exists`,
        `pass job job-2: output object ${key(2)} exists`,
      ],
    });
    expect(scope.isDone()).toBe(true);
  });

  it('fails with the key when an output object is missing (404), failing lines first', async () => {
    nock(ENDPOINT)
      .head(`/${BUCKET}/${key(1)}`)
      .reply(200)
      .head(`/${BUCKET}/${key(2)}`)
      .reply(404);
    const part = await check([job(1), job(2)]);
    expect(part.status).toBe('fail');
    expect(part.summary).toBe('output object exists: 1 of 2 jobs failed');
    expect(part.details).toEqual([
      `fail job job-2: output object ${key(2)} does not exist`,
      `pass job job-1: output object ${key(1)} exists`,
    ]);
  });

  it('is unknown, not fail, on 403: without ListBucket S3 hides a missing object behind it', async () => {
    nock(ENDPOINT)
      .head(`/${BUCKET}/${key(1)}`)
      .reply(403);
    const part = await check([job(1)]);
    expect(part.status).toBe('unknown');
    expect(part.details).toEqual([
      `unknown job job-1: access denied to output object ${key(1)} (HTTP 403): cannot tell whether it exists`,
    ]);
  });

  it('is unknown on 503, and asks only once', async () => {
    const scope = nock(ENDPOINT)
      .head(`/${BUCKET}/${key(1)}`)
      .twice()
      .reply(503);
    const part = await check([job(1)]);
    expect(part.status).toBe('unknown');
    expect(part.details).toEqual([`unknown job job-1: S3 store error (HTTP 503) on output object ${key(1)}`]);
    expect(scope.pendingMocks()).toHaveLength(1);
  });

  it('is unknown when S3 does not answer within the probe timeout', async () => {
    nock(ENDPOINT)
      .head(`/${BUCKET}/${key(1)}`)
      .delay(2000)
      .reply(200);
    const started = performance.now();
    const part = await check([job(1)], config({}, 150));
    expect(part.status).toBe('unknown');
    expect(part.details).toEqual(['unknown job job-1: S3 did not answer within 150 ms']);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('is unknown without asking S3 when the payload has no outputKey', async () => {
    // No interceptor: a request would be refused and read "cannot reach S3", not "not checked".
    const part = await check([completedJob('job-1', recording(1, null))]);
    expect(part.status).toBe('unknown');
    expect(part.details).toHaveLength(1);
    expect(part.details[0]).toMatch(/^unknown job job-1: not checked: outputKey: /);
  });

  it('asks at most 4 at once, and once per distinct key', async () => {
    let inFlight = 0;
    let most = 0;
    const server = await startLoopback((_req, res: ServerResponse) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      setTimeout(() => {
        inFlight -= 1;
        res.writeHead(200, { 'content-length': '0' });
        res.end();
      }, 40);
    });
    servers.push(server);
    // 10 distinct keys; jobs 11 and 12 name the objects of jobs 1 and 2.
    const jobs = [...Array.from({ length: 10 }, (_, i) => job(i + 1)), job(11, key(1)), job(12, key(2))];
    const part = await check(jobs, config({ s3Endpoint: server.url }));
    expect(part.status).toBe('pass');
    expect(part.summary).toBe('output object exists: 12 of 12 jobs passed');
    expect(most).toBe(4);
    expect(server.seen.map((req) => req.method)).toEqual(Array(10).fill('HEAD'));
    expect(new Set(server.seen.map((req) => req.url)).size).toBe(10);
  });

  it('destroys its S3 client once on close, however often close is called', async () => {
    const destroy = jest.spyOn(S3Client.prototype, 'destroy');
    try {
      const checks = pool.make(config());
      await Promise.all([checks.close(), checks.close()]);
      await checks.close();
      expect(destroy).toHaveBeenCalledTimes(1);
      expect(await checks.check('recordings', [job(1)])).toMatchObject({
        status: 'unknown',
        summary: 'not checked: the downstream checks are closed',
      });
    } finally {
      destroy.mockRestore();
    }
  });
});
