import {
  recordedStatus,
  webhookFinding,
  webhooksDownstream,
} from '../../../../src/runbook/verify/downstream/webhooks';
import { completedJob, downstreamConfig, downstreamPool } from './fixtures';

const delivery = { tenantId: 'tn_acme', webhookId: 'wh_1', url: 'https://hooks.acme.example/in' };
const job = (id: string, returnvalue: string | null) => completedJob(id, delivery, returnvalue);

describe('downstream: webhooks returnvalue shapes', () => {
  it.each([
    ['a JSON number', '204', 204],
    ['status as a number', '{"status":200}', 200],
    ['status as a numeric string', '{"status":"201"}', 201],
    ['statusCode as a number', '{"statusCode":202}', 202],
    ['statusCode as a numeric string', '{"statusCode":"299"}', 299],
    ['response.status', '{"response":{"status":200}}', 200],
    ['response.statusCode', '{"delivered":true,"response":{"statusCode":204}}', 204],
  ])('passes %s in 200–299', (_shape, returnvalue, status) => {
    expect(recordedStatus(returnvalue)).toEqual({ kind: 'statuses', statuses: [status] });
    expect(webhookFinding(job('7', returnvalue))).toEqual({
      jobId: '7',
      status: 'pass',
      text: `the tenant answered HTTP ${status}`,
    });
  });

  it.each([
    ['a JSON number', '503', 503],
    ['a 3xx status', '{"status":302}', 302],
    ['a numeric string statusCode', '{"statusCode":"410"}', 410],
    ['a nested response.status', '{"response":{"status":500}}', 500],
    ['one non-2xx among 2xx statuses', '{"status":200,"response":{"status":502}}', 502],
    ['the first 2xx boundary missed', '199', 199],
    ['the last 2xx boundary missed', '300', 300],
  ])('fails %s', (_shape, returnvalue, status) => {
    expect(webhookFinding(job('8', returnvalue))).toEqual({
      jobId: '8',
      status: 'fail',
      text: `the tenant answered HTTP ${status}`,
    });
  });

  it.each([
    ['no returnvalue', null, 'the job stored no returnvalue'],
    ['JSON null (the worker returned nothing)', 'null', 'the returnvalue records no HTTP status'],
    ['text that is not JSON', 'delivered', 'the returnvalue is not JSON'],
    ['a JSON string, even a numeric one', '"200"', 'the returnvalue records no HTTP status'],
    ['an array', '[200]', 'the returnvalue records no HTTP status'],
    ['an object without a status', '{"ok":true}', 'the returnvalue records no HTTP status'],
    ['a status that is a word', '{"status":"delivered"}', 'the returnvalue records no HTTP status'],
    ['a number that is not a status', '42', 'the returnvalue 42 is not an HTTP status'],
    ['a fractional number', '200.5', 'the returnvalue 200.5 is not an HTTP status'],
    [
      'a status nested too deep',
      '{"result":{"response":{"status":200}}}',
      'the returnvalue records no HTTP status',
    ],
  ])('is unknown for %s', (_shape, returnvalue, why) => {
    expect(webhookFinding(job('9', returnvalue))).toEqual({
      jobId: '9',
      status: 'unknown',
      text: `${why}: the worker did not record a status`,
    });
  });

  it('never asks anything and has nothing to close', async () => {
    await expect(webhooksDownstream.find([job('1', '200')])).resolves.toEqual({
      kind: 'checked',
      jobs: [{ jobId: '1', status: 'pass', text: 'the tenant answered HTTP 200' }],
    });
    await expect(webhooksDownstream.close()).resolves.toBeUndefined();
  });
});

describe('downstream: webhooks part', () => {
  const pool = downstreamPool();
  const check = (jobs: Parameters<ReturnType<typeof pool.make>['check']>[1]) =>
    pool.make(downstreamConfig()).check('webhooks', jobs);

  afterEach(() => pool.closeAll());

  it('passes when every job recorded a 2xx', async () => {
    const part = await check([job('1', '200'), job('2', '{"statusCode":204}')]);
    expect(part).toEqual({
      name: 'downstream',
      status: 'pass',
      summary: 'tenant answered 2xx: 2 of 2 jobs passed',
      details: ['pass job 1: the tenant answered HTTP 200', 'pass job 2: the tenant answered HTTP 204'],
    });
  });

  it('fails when any job recorded a non-2xx, listing failing jobs first', async () => {
    const part = await check([job('1', '200'), job('2', null), job('3', '{"status":503}')]);
    expect(part.status).toBe('fail');
    expect(part.summary).toBe('tenant answered 2xx: 1 of 3 jobs failed, 1 could not be checked');
    expect(part.details).toEqual([
      'fail job 3: the tenant answered HTTP 503',
      'unknown job 2: the job stored no returnvalue: the worker did not record a status',
      'pass job 1: the tenant answered HTTP 200',
    ]);
  });

  it('is unknown, not pass, when a job recorded no status and none failed', async () => {
    const part = await check([job('1', '200'), job('2', '{"ok":true}')]);
    expect(part.status).toBe('unknown');
    expect(part.summary).toBe('tenant answered 2xx: 1 of 2 jobs could not be checked, 1 passed');
    expect(part.details[0]).toBe(
      'unknown job 2: the returnvalue records no HTTP status: the worker did not record a status',
    );
  });

  it('is skipped when no replayed job completed yet', async () => {
    expect(await check([])).toEqual({
      name: 'downstream',
      status: 'skipped',
      summary: 'no replayed job completed yet',
      details: [],
    });
  });
});
