import Stripe from 'stripe';
import { createBillingTargetCheck } from '../../../src/checks/billing-target';
import { createLimiter } from '../../../src/checks/limit';
import { createStripeProbe } from '../../../src/probes/stripe';
import { createStripeClient, type StripeClient } from '../../../src/probes/stripe-client';
import { isStripeClientError } from '../../../src/runbook/plan/stripe-4xx';
import {
  demoBillingAccounts,
  STRIPE_4XX_BILLING_JOBS,
  GIVEN_UP_BILLING_JOBS,
} from '../../../src/sandbox/demo/seed-billing';
import { stockDemoUpstreams } from '../../../src/sandbox/demo/stock';
import { startStripeStandIn, type StripeStandIn } from '../../../src/sandbox/demo/stripe-stand-in';

describe('Stripe stand-in', () => {
  let stripe: StripeStandIn;
  let client: StripeClient;
  const seededAt = new Date('2026-03-14T10:00:00Z');

  beforeAll(async () => {
    stripe = await startStripeStandIn();
    stockDemoUpstreams({ s3: { putObject: () => undefined }, stripe: stripe.store }, seededAt);
    client = createStripeClient(stripe.secretKey, stripe.url, 5_000);
  });
  afterAll(async () => {
    client.close();
    await stripe.close();
  });

  it('answers the balance probe, and 401 to a wrong key', async () => {
    const probe = createStripeProbe({ secretKey: stripe.secretKey, apiUrl: stripe.url, timeoutMs: 5_000 });
    await expect(probe()).resolves.toMatchObject({ status: 'ok' });
    const wrong = createStripeProbe({ secretKey: 'sk_test_wrong0000', apiUrl: stripe.url, timeoutMs: 5_000 });
    const refused = await wrong();
    expect(refused.status).toBe('down');
    expect(refused.reason).toContain('HTTP 401');
    const res = await fetch(`${stripe.url}/v1/balance`);
    expect(res.status).toBe(401);
  });

  it('passes the billing target check for the demo accounts that exist and fails the others', async () => {
    const check = createBillingTargetCheck({
      secretKey: stripe.secretKey,
      apiUrl: stripe.url,
      timeoutMs: 5_000,
      limit: createLimiter(4),
      cacheTtlMs: 0,
    });
    try {
      const accounts = demoBillingAccounts(seededAt);
      const results = await Promise.all(accounts.map((a) => check.check(a.payload)));
      expect(results.map((r) => r.status)).toEqual([
        ...Array<string>(GIVEN_UP_BILLING_JOBS).fill('pass'),
        ...Array<string>(STRIPE_4XX_BILLING_JOBS).fill('fail'),
      ]);
      expect(results.at(-1)?.reason).toBe(
        `customer ${accounts.at(-1)!.payload.stripeCustomerId} does not exist`,
      );
    } finally {
      await check.close();
    }
  });

  it("raises stripe-node's own 404 class with Stripe's error body", async () => {
    const error = await client.stripe.customers.retrieve('cus_nobody').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(error).toMatchObject({
      type: 'StripeInvalidRequestError',
      statusCode: 404,
      code: 'resource_missing',
      message: "No such customer: 'cus_nobody'",
      param: 'id',
    });
  });

  it('creates invoices from form bodies and lists them newest first', async () => {
    const [account] = demoBillingAccounts(seededAt);
    const { stripeCustomerId: customer, subscriptionId: subscription } = account!.payload;
    const before = await client.stripe.invoices.list({ subscription, limit: 1 });
    expect(before).toMatchObject({ object: 'list', has_more: true, url: '/v1/invoices' });
    expect(new Date(before.data[0]!.period_start * 1000).toISOString()).toBe('2026-01-01T00:00:00.000Z');

    const created = await client.stripe.invoices.create(
      { customer, subscription, metadata: { period: '2026-02' } },
      { idempotencyKey: 'k-1' },
    );
    expect(created).toMatchObject({ object: 'invoice', customer, status: 'draft' });
    expect(created.period_start).toBe(Date.UTC(2026, 1, 1) / 1000);
    expect(created.period_end).toBe(Date.UTC(2026, 2, 1) / 1000);
    const again = await client.stripe.invoices.create(
      { customer, subscription, metadata: { period: '2026-02' } },
      { idempotencyKey: 'k-1' },
    );
    expect(again.id).toBe(created.id);

    const after = await client.stripe.invoices.list({ subscription, limit: 1 });
    expect(after.data.map((i) => i.id)).toEqual([created.id]);
    const all = await client.stripe.invoices.list({ subscription });
    expect(all.data).toHaveLength(3);
    expect(all.has_more).toBe(false);

    await expect(
      client.stripe.invoices.create({ customer: 'cus_nobody', subscription }),
    ).rejects.toMatchObject({ type: 'StripeInvalidRequestError', statusCode: 404, param: 'customer' });
  });

  it('gives the 4xx demo jobs reasons the Stripe 4xx rule recognises, and only those', () => {
    const accounts = demoBillingAccounts(seededAt);
    expect(accounts.map((a) => isStripeClientError(a.reason))).toEqual(accounts.map((a) => !a.exists));
  });
});
