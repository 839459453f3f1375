import nock from 'nock';
import { closedPortUrl } from '../helpers/loopback';
import { createStripeProbe, scrubKeys } from '../../src/probes/stripe';
import { mockThirdPartyHttp } from '../helpers/nock';

const KEY = 'sk_test_51FakeKeyForProbeTests0123456789';
const API = 'https://stripe.test';

const balance = {
  object: 'balance',
  available: [{ amount: 1200, currency: 'eur', source_types: { card: 1200 } }],
  pending: [{ amount: 0, currency: 'eur', source_types: { card: 0 } }],
  livemode: false,
};

const probe = (overrides: Partial<Parameters<typeof createStripeProbe>[0]> = {}) =>
  createStripeProbe({ secretKey: KEY, apiUrl: API, timeoutMs: 500, ...overrides });

describe('stripe probe', () => {
  mockThirdPartyHttp();

  it('is unknown and names STRIPE_SECRET_KEY when not configured', async () => {
    const result = await createStripeProbe({ timeoutMs: 100 })();
    expect(result).toMatchObject({
      probe: 'stripe',
      status: 'unknown',
      reason: 'not configured: set STRIPE_SECRET_KEY',
    });
  });

  it('is ok after one authenticated balance read, without retries', async () => {
    const scope = nock(API)
      .matchHeader('authorization', `Bearer ${KEY}`)
      .get('/v1/balance')
      .once()
      .reply(200, balance, { 'request-id': 'req_probe1' });
    const result = await probe()();
    expect(result.status).toBe('ok');
    expect(result.reason).toMatch(/^Stripe answered in \d+ ms$/);
    expect(result.latencyMs).toEqual(expect.any(Number));
    expect(scope.isDone()).toBe(true);
  });

  it('uses host, port and protocol from the API URL', async () => {
    const scope = nock('http://127.0.0.2:12111').get('/v1/balance').reply(200, balance);
    const result = await probe({ apiUrl: 'http://127.0.0.2:12111' })();
    expect(result.status).toBe('ok');
    expect(scope.isDone()).toBe(true);
  });

  it('is degraded when Stripe answers slowly', async () => {
    nock(API).get('/v1/balance').delay(120).reply(200, balance);
    const result = await probe({ slowMs: 50 })();
    expect(result.status).toBe('degraded');
    expect(result.reason).toMatch(/^Stripe answered, but slowly \(\d+ ms > 50 ms\)$/);
  });

  it('is down with "key rejected" on 401, and never shows the key', async () => {
    nock(API)
      .get('/v1/balance')
      .reply(401, {
        error: {
          type: 'invalid_request_error',
          message: `Invalid API Key provided: ${KEY.slice(0, 8)}****6789`,
        },
      });
    const result = await probe()();
    expect(result).toMatchObject({
      status: 'down',
      reason: 'Stripe key rejected (HTTP 401): check STRIPE_SECRET_KEY',
    });
    expect(result.reason).not.toContain('sk_test');
  });

  it('is down on a 5xx, and tries only once', async () => {
    const scope = nock(API)
      .get('/v1/balance')
      .twice()
      .reply(500, { error: { type: 'api_error', message: 'Something went wrong on our end' } });
    const result = await probe()();
    expect(result).toMatchObject({ status: 'down', reason: 'Stripe API error (HTTP 500)' });
    expect(scope.pendingMocks()).toHaveLength(1); // the second reply was never asked for
  });

  it('is down when Stripe cannot be reached', async () => {
    // A real refused connection on loopback: nock's injected socket errors arrive twice.
    const result = await probe({ apiUrl: await closedPortUrl(), timeoutMs: 5_000 })();
    expect(result.status).toBe('down');
    expect(result.reason).toMatch(/^Stripe API unreachable: connection refused \(ECONNREFUSED\)$/);
  });

  it('is down when Stripe does not answer in time', async () => {
    nock(API).get('/v1/balance').delay(2000).reply(200, balance);
    const result = await probe({ timeoutMs: 150 })();
    expect(result).toMatchObject({ status: 'down', reason: 'Stripe API did not answer within 150 ms' });
    expect(result.latencyMs).toBeGreaterThanOrEqual(140);
    expect(result.latencyMs).toBeLessThan(1500);
  });

  it('scrubs key-like strings from any text it passes on', () => {
    expect(scrubKeys(`bad key ${KEY} and rk_live_abc*** here`)).toBe('bad key [key] and [key] here');
  });
});
