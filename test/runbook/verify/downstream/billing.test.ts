import { Agent as HttpAgent } from 'node:http';
import nock from 'nock';
import { monthPeriod, overlaps } from '../../../../src/runbook/verify/downstream/billing';
import { mockThirdPartyHttp } from '../../../helpers/nock';
import { completedJob, downstreamConfig, downstreamPool } from './fixtures';

const KEY = 'sk_test_51FakeKeyForDownstreamChecks0123456789';
const API = 'https://api.stripe.test';
const SUB = 'sub_Acme01';
const OTHER = 'sub_Beta02';

/** Unix seconds at midnight UTC of an ISO date. */
const utc = (date: string) => Date.parse(`${date}T00:00:00Z`) / 1000;

const billingJob = (id: string, period = '2025-05', subscriptionId = SUB) =>
  completedJob(id, { tenantId: 'tn_acme', stripeCustomerId: 'cus_Acme01', subscriptionId, period });

const invoice = (start: string, end: string, status = 'paid', id = 'in_May') => ({
  id,
  object: 'invoice',
  status,
  period_start: utc(start),
  period_end: utc(end),
  livemode: false,
});
const list = (...data: unknown[]) => ({ object: 'list', data, has_more: false, url: '/v1/invoices' });

describe('downstream: billing periods', () => {
  it('reads a month as [1st, next 1st) in UTC, across a year end', () => {
    expect(monthPeriod('2025-05')).toEqual({ start: utc('2025-05-01'), end: utc('2025-06-01') });
    expect(monthPeriod('2025-12')).toEqual({ start: utc('2025-12-01'), end: utc('2026-01-01') });
  });

  it('is no month for 00 or 13', () => {
    expect(monthPeriod('2025-00')).toBeUndefined();
    expect(monthPeriod('2025-13')).toBeUndefined();
  });

  it('overlaps half-open: a period ending on the 1st does not cover the month it ends in', () => {
    const may = monthPeriod('2025-05')!;
    expect(overlaps({ start: utc('2025-04-01'), end: utc('2025-05-01') }, may)).toBe(false);
    expect(overlaps({ start: utc('2025-06-01'), end: utc('2025-07-01') }, may)).toBe(false);
    expect(overlaps({ start: utc('2025-04-15'), end: utc('2025-05-15') }, may)).toBe(true);
    expect(overlaps({ start: utc('2025-05-31'), end: utc('2025-06-30') }, may)).toBe(true);
  });

  it('reads a zero-length period as an instant inside the month or not', () => {
    const may = monthPeriod('2025-05')!;
    expect(overlaps({ start: utc('2025-05-01'), end: utc('2025-05-01') }, may)).toBe(true);
    expect(overlaps({ start: utc('2025-06-01'), end: utc('2025-06-01') }, may)).toBe(false);
  });
});

describe('downstream: billing', () => {
  const pool = downstreamPool();
  const checks = (probeTimeoutMs = 1000) =>
    pool.make(downstreamConfig({ stripe: { secretKey: KEY, apiUrl: API }, probeTimeoutMs }));
  const invoices = (subscription = SUB) =>
    nock(API)
      .matchHeader('authorization', `Bearer ${KEY}`)
      .get('/v1/invoices')
      .query({ subscription, limit: '1' });

  mockThirdPartyHttp(() => pool.closeAll());

  it('is skipped and names STRIPE_SECRET_KEY when not configured', async () => {
    expect(await pool.make(downstreamConfig()).check('billing', [billingJob('1')])).toEqual({
      name: 'downstream',
      status: 'skipped',
      summary: 'not configured: set STRIPE_SECRET_KEY',
      details: [],
    });
  });

  it("passes when the subscription's latest invoice covers the job's month", async () => {
    const scope = invoices().reply(200, list(invoice('2025-05-01', '2025-06-01')));
    const part = await checks().check('billing', [billingJob('1')]);
    expect(part).toEqual({
      name: 'downstream',
      status: 'pass',
      summary: 'latest invoice covers the billing period: 1 of 1 jobs passed',
      details: [
        `pass job 1: ${SUB}: latest invoice in_May (paid) covers 2025-05-01 → 2025-06-01, overlapping 2025-05`,
      ],
    });
    expect(scope.isDone()).toBe(true);
  });

  it('passes a billing cycle that does not start on the 1st, and shows a draft as a draft', async () => {
    invoices().reply(200, list(invoice('2025-04-15', '2025-05-15', 'draft')));
    const part = await checks().check('billing', [billingJob('1')]);
    expect(part.status).toBe('pass');
    expect(part.details[0]).toContain('latest invoice in_May (draft) covers 2025-04-15 → 2025-05-15');
  });

  it('fails when the latest invoice ends where the month begins', async () => {
    invoices().reply(200, list(invoice('2025-04-01', '2025-05-01', 'paid', 'in_Apr')));
    const part = await checks().check('billing', [billingJob('1')]);
    expect(part.status).toBe('fail');
    expect(part.summary).toBe('latest invoice covers the billing period: 1 of 1 jobs failed');
    expect(part.details).toEqual([
      `fail job 1: ${SUB}: latest invoice in_Apr (paid) covers 2025-04-01 → 2025-05-01, not 2025-05`,
    ]);
  });

  it('fails when the subscription has no invoice', async () => {
    invoices().reply(200, list());
    const part = await checks().check('billing', [billingJob('1')]);
    expect(part.status).toBe('fail');
    expect(part.details).toEqual([`fail job 1: subscription ${SUB} has no invoice`]);
  });

  it('is unknown on a Stripe 500, and asks only once', async () => {
    const scope = invoices()
      .twice()
      .reply(500, { error: { type: 'api_error', message: 'Something went wrong on our end' } });
    const part = await checks().check('billing', [billingJob('1')]);
    expect(part.status).toBe('unknown');
    expect(part.details).toEqual(['unknown job 1: Stripe API error (HTTP 500)']);
    expect(scope.pendingMocks()).toHaveLength(1);
  });

  it('is unknown on 401, and never shows the key', async () => {
    invoices().reply(401, {
      error: { type: 'invalid_request_error', message: `Invalid API Key provided: ${KEY}` },
    });
    const part = await checks().check('billing', [billingJob('1')]);
    expect(part.status).toBe('unknown');
    expect(part.details).toEqual(['unknown job 1: Stripe key rejected (HTTP 401): check STRIPE_SECRET_KEY']);
    expect(JSON.stringify(part)).not.toContain('sk_test');
  });

  it('is unknown when Stripe does not answer within the probe timeout', async () => {
    invoices()
      .delay(2000)
      .reply(200, list(invoice('2025-05-01', '2025-06-01')));
    const started = performance.now();
    const part = await checks(150).check('billing', [billingJob('1')]);
    expect(part.status).toBe('unknown');
    expect(part.details).toEqual(['unknown job 1: Stripe API did not answer within 150 ms']);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('is unknown without asking Stripe when the period is missing or not a month', async () => {
    const noPeriod = completedJob('1', { tenantId: 'tn_acme', subscriptionId: SUB });
    const part = await checks().check('billing', [noPeriod, billingJob('2', '2025-13')]);
    expect(part.status).toBe('unknown');
    expect(part.details).toEqual([
      expect.stringMatching(/^unknown job 1: not checked: period: /),
      'unknown job 2: not checked: period 2025-13 is not a month',
    ]);
  });

  it('asks once per subscription within a call, and again on the next call', async () => {
    const scope = invoices(SUB)
      .times(2)
      .reply(200, list(invoice('2025-05-01', '2025-06-01')))
      .get('/v1/invoices')
      .query({ subscription: OTHER, limit: '1' })
      .once()
      .reply(200, list(invoice('2025-03-01', '2025-04-01', 'open', 'in_Mar')));
    const check = checks();
    const jobs = [billingJob('1'), billingJob('2', '2025-05', OTHER), billingJob('3'), billingJob('4')];
    const part = await check.check('billing', jobs);
    expect(part.status).toBe('fail');
    expect(part.summary).toBe('latest invoice covers the billing period: 1 of 4 jobs failed');
    expect(part.details.map((line) => line.slice(0, 11))).toEqual([
      'fail job 2:',
      'pass job 1:',
      'pass job 3:',
      'pass job 4:',
    ]);
    // One of SUB's two answers is left for the next call: the cache lives for one call only.
    expect(scope.pendingMocks()).toHaveLength(1);
    expect((await check.check('billing', [billingJob('5')])).status).toBe('pass');
    expect(scope.isDone()).toBe(true);
  });

  it('ends its keep-alive sockets on close, once however often close is called', async () => {
    const destroy = jest.spyOn(HttpAgent.prototype, 'destroy');
    try {
      const check = checks();
      await Promise.all([check.close(), check.close()]);
      await check.close();
      expect(destroy).toHaveBeenCalledTimes(1);
    } finally {
      destroy.mockRestore();
    }
  });
});
