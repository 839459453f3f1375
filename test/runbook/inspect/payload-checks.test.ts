import { checkHandlerExists, checkWellFormed } from '../../../src/runbook/inspect/payload-checks';
import { billingWorkflow } from '../../../src/workflows/billing';
import { webhooksWorkflow } from '../../../src/workflows/webhooks';
import type { AnyWorkflow } from '../../../src/workflows/types';

const webhooks = webhooksWorkflow as AnyWorkflow;
const billing = billingWorkflow as AnyWorkflow;

describe('checkWellFormed', () => {
  it('passes a payload that matches the schema', () => {
    const data = { tenantId: 't', webhookId: 'w', url: 'https://a.example/h', event: 'e', body: {} };
    expect(checkWellFormed(webhooks, data, JSON.stringify(data))).toEqual({
      check: 'well-formed',
      status: 'pass',
      reason: 'matches the webhooks schema',
    });
  });

  it('names the path and the problem of each failure, at most three', () => {
    const data = { tenantId: 't', stripeCustomerId: 'acme', subscriptionId: 'sub_1', period: 'Nov' };
    expect(checkWellFormed(billing, data, JSON.stringify(data)).reason).toBe(
      'stripeCustomerId: expected a Stripe customer id (cus_…); period: expected a billing period YYYY-MM',
    );
    const many = checkWellFormed(billing, {}, '{}');
    expect(many.status).toBe('fail');
    expect(many.reason).toMatch(/; and 1 more$/);
  });

  it('fails a payload that is not JSON or is missing', () => {
    expect(checkWellFormed(webhooks, 'a=b', 'a=b').reason).toBe('the stored payload is not JSON');
    expect(checkWellFormed(webhooks, undefined, null).reason).toBe('the job has no payload');
    expect(checkWellFormed(webhooks, undefined, '  ').reason).toBe('the job has no payload');
  });
});

describe('checkHandlerExists', () => {
  it('checks the job name against the configured handlers and names the version', () => {
    expect(checkHandlerExists(billing, 'close-billing-period', 'v0.9.11').status).toBe('pass');
    expect(checkHandlerExists(billing, 'legacy-invoice', 'v0.9.11')).toEqual({
      check: 'handler-exists',
      status: 'fail',
      reason:
        'legacy-invoice is not a handler in v0.9.11 (known: sync-subscription-usage, close-billing-period)',
    });
  });
});
