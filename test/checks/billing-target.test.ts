import nock from 'nock';
import { closedPortUrl } from '../helpers/loopback';
import { billingPayload, checkerConfig, checkerPool } from './fixtures';
import { mockThirdPartyHttp } from '../helpers/nock';

const KEY = 'sk_test_51FakeKeyForTargetChecks0123456789';
const API = 'https://api.stripe.test';
const CUS = 'cus_Acme01';
const SUB = 'sub_Acme01';

const customer = (id = CUS) => ({ id, object: 'customer', email: 'billing@acme.example', livemode: false });
const subscription = (status = 'active', owner = CUS, id = SUB) => ({
  id,
  object: 'subscription',
  customer: owner,
  status,
  livemode: false,
});
const stripeError = (type: string, message: string, code?: string) => ({
  error: { type, message, ...(code ? { code } : {}) },
});
const missing = (what: string, id: string, suffix = '') =>
  stripeError('invalid_request_error', `No such ${what}: '${id}'${suffix}`, 'resource_missing');

describe('target check: billing', () => {
  const checkers = checkerPool();
  const checker = (apiUrl = API, probeTimeoutMs = 1000) =>
    checkers.make({ config: checkerConfig({ stripe: { secretKey: KEY, apiUrl }, probeTimeoutMs }) });
  const api = () => nock(API).matchHeader('authorization', `Bearer ${KEY}`);

  mockThirdPartyHttp(() => checkers.closeAll());

  it('is unknown and names STRIPE_SECRET_KEY when not configured', async () => {
    const result = await checkers
      .make({ config: checkerConfig() })
      .check('billing', billingPayload(CUS, SUB));
    expect(result).toEqual({
      check: 'target-exists',
      status: 'unknown',
      reason: 'not configured: set STRIPE_SECRET_KEY',
    });
  });

  it('passes when the customer and its subscription exist', async () => {
    const scope = api()
      .get(`/v1/customers/${CUS}`)
      .reply(200, customer())
      .get(`/v1/subscriptions/${SUB}`)
      .reply(200, subscription());
    const result = await checker().check('billing', billingPayload(CUS, SUB));
    expect(result).toEqual({
      check: 'target-exists',
      status: 'pass',
      reason: `customer ${CUS} exists; subscription ${SUB} exists (active)`,
    });
    expect(scope.isDone()).toBe(true);
  });

  it('passes a canceled subscription, and says it is canceled', async () => {
    api()
      .get(`/v1/customers/${CUS}`)
      .reply(200, customer())
      .get(`/v1/subscriptions/${SUB}`)
      .reply(200, subscription('canceled'));
    const result = await checker().check('billing', billingPayload(CUS, SUB));
    expect(result).toMatchObject({
      status: 'pass',
      reason: `customer ${CUS} exists; subscription ${SUB} exists (canceled)`,
    });
  });

  it('fails on a deleted customer, without asking for the subscription', async () => {
    const scope = api()
      .get(`/v1/customers/${CUS}`)
      .reply(200, { id: CUS, object: 'customer', deleted: true })
      .get(`/v1/subscriptions/${SUB}`)
      .reply(200, subscription());
    const result = await checker().check('billing', billingPayload(CUS, SUB));
    expect(result).toEqual({ check: 'target-exists', status: 'fail', reason: `customer ${CUS} was deleted` });
    expect(scope.pendingMocks()).toEqual([`GET ${API}:443/v1/subscriptions/${SUB}`]);
  });

  it('fails when the customer does not exist', async () => {
    api().get(`/v1/customers/${CUS}`).reply(404, missing('customer', CUS));
    const result = await checker().check('billing', billingPayload(CUS, SUB));
    expect(result).toEqual({
      check: 'target-exists',
      status: 'fail',
      reason: `customer ${CUS} does not exist`,
    });
  });

  it('is unknown when the customer exists only under the other mode', async () => {
    const suffix =
      '; a similar object exists in live mode, but a test mode key was used to make this request.';
    api()
      .get(`/v1/customers/${CUS}`)
      .reply(404, missing('customer', CUS, suffix));
    const result = await checker().check('billing', billingPayload(CUS, SUB));
    expect(result).toEqual({
      check: 'target-exists',
      status: 'unknown',
      reason: `customer ${CUS} is not visible to this key (it exists in live mode): check STRIPE_SECRET_KEY`,
    });
  });

  it('is unknown on a 404 that is not resource_missing (a proxy that does not know the path)', async () => {
    api()
      .get(`/v1/customers/${CUS}`)
      .reply(404, stripeError('invalid_request_error', 'Unrecognized request URL (GET: /v1/customers/x).'));
    const result = await checker().check('billing', billingPayload(CUS, SUB));
    expect(result).toEqual({
      check: 'target-exists',
      status: 'unknown',
      reason: `Stripe refused to read customer ${CUS} (HTTP 404): Unrecognized request URL (GET: /v1/customers/x).`,
    });
  });

  it('fails when the subscription does not exist', async () => {
    api()
      .get(`/v1/customers/${CUS}`)
      .reply(200, customer())
      .get(`/v1/subscriptions/${SUB}`)
      .reply(404, missing('subscription', SUB));
    const result = await checker().check('billing', billingPayload(CUS, SUB));
    expect(result).toEqual({
      check: 'target-exists',
      status: 'fail',
      reason: `subscription ${SUB} does not exist`,
    });
  });

  it("fails when the subscription is another customer's", async () => {
    api()
      .get(`/v1/customers/${CUS}`)
      .reply(200, customer())
      .get(`/v1/subscriptions/${SUB}`)
      .reply(200, subscription('active', 'cus_Other99'));
    const result = await checker().check('billing', billingPayload(CUS, SUB));
    expect(result).toEqual({
      check: 'target-exists',
      status: 'fail',
      reason: `subscription ${SUB} belongs to another customer (cus_Other99)`,
    });
  });

  it('is unknown on 401, and never shows the key', async () => {
    api()
      .get(`/v1/customers/${CUS}`)
      .reply(
        401,
        stripeError('invalid_request_error', `Invalid API Key provided: ${KEY.slice(0, 12)}****6789`),
      );
    const result = await checker().check('billing', billingPayload(CUS, SUB));
    expect(result).toEqual({
      check: 'target-exists',
      status: 'unknown',
      reason: 'Stripe key rejected (HTTP 401): check STRIPE_SECRET_KEY',
    });
  });

  it('scrubs a key that an unexpected Stripe answer quotes', async () => {
    api()
      .get(`/v1/customers/${CUS}`)
      .reply(400, stripeError('invalid_request_error', `Bad request for key ${KEY}`));
    const result = await checker().check('billing', billingPayload(CUS, SUB));
    expect(result).toEqual({
      check: 'target-exists',
      status: 'unknown',
      reason: `Stripe refused to read customer ${CUS} (HTTP 400): Bad request for key [key]`,
    });
    expect(result.reason).not.toContain('sk_test');
  });

  it('is unknown on 500, and tries only once', async () => {
    const scope = api()
      .get(`/v1/customers/${CUS}`)
      .twice()
      .reply(500, stripeError('api_error', 'Something went wrong on our end'));
    const result = await checker().check('billing', billingPayload(CUS, SUB));
    expect(result).toEqual({
      check: 'target-exists',
      status: 'unknown',
      reason: 'Stripe API error (HTTP 500)',
    });
    expect(scope.pendingMocks()).toHaveLength(1);
  });

  it('is unknown when Stripe does not answer in time', async () => {
    api().get(`/v1/customers/${CUS}`).delay(2000).reply(200, customer());
    const started = performance.now();
    const result = await checker(API, 150).check('billing', billingPayload(CUS, SUB));
    expect(result).toEqual({
      check: 'target-exists',
      status: 'unknown',
      reason: 'Stripe API did not answer within 150 ms',
    });
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('is unknown when Stripe cannot be reached', async () => {
    // A real refused connection on loopback: nock's injected socket errors arrive twice.
    const result = await checker(await closedPortUrl(), 5000).check('billing', billingPayload(CUS, SUB));
    expect(result).toEqual({
      check: 'target-exists',
      status: 'unknown',
      reason: 'Stripe API unreachable: connection refused (ECONNREFUSED)',
    });
  });

  it('asks once per customer and once per subscription', async () => {
    const other = 'sub_Acme02';
    const scope = api()
      .get(`/v1/customers/${CUS}`)
      .once()
      .reply(200, customer())
      .get(`/v1/subscriptions/${SUB}`)
      .once()
      .reply(200, subscription())
      .get(`/v1/subscriptions/${other}`)
      .once()
      .reply(200, subscription('past_due', CUS, other));
    const check = checker();
    const results = await Promise.all(
      [SUB, SUB, other, SUB, other].map((sub) => check.check('billing', billingPayload(CUS, sub))),
    );
    expect(results.map((r) => r.reason)).toEqual([
      `customer ${CUS} exists; subscription ${SUB} exists (active)`,
      `customer ${CUS} exists; subscription ${SUB} exists (active)`,
      `customer ${CUS} exists; subscription ${other} exists (past_due)`,
      `customer ${CUS} exists; subscription ${SUB} exists (active)`,
      `customer ${CUS} exists; subscription ${other} exists (past_due)`,
    ]);
    expect(scope.isDone()).toBe(true);
  });
});
