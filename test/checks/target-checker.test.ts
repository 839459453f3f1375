import nock from 'nock';
import type { WorkflowId } from '../../src/workflows';
import { startLoopback, type Loopback } from '../helpers/loopback';
import { billingPayload, checkerConfig, checkerPool, webhookPayload } from './fixtures';
import { mockThirdPartyHttp } from '../helpers/nock';

describe('target checker', () => {
  const checkers = checkerPool();
  const servers: Loopback[] = [];
  mockThirdPartyHttp(async () => {
    await checkers.closeAll();
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['a string', 'https://hooks.acme.example/x'],
    ['an object without url', { tenantId: 'tn_acme' }],
    ['a url that is not a string', { url: 42 }],
  ])('never throws on a webhook payload that is %s: unknown, not fail', async (_label, payload) => {
    const result = await checkers.make({ config: checkerConfig() }).check('webhooks', payload);
    expect(result.status).toBe('unknown');
    expect(result.reason).toMatch(/^not checked: /);
  });

  it('reports malformed billing ids as not checked, without asking Stripe', async () => {
    const checker = checkers.make({
      config: checkerConfig({ stripe: { secretKey: 'sk_test_x1', apiUrl: 'https://api.stripe.test' } }),
    });
    const result = await checker.check('billing', billingPayload('acme', 'sub_1'));
    expect(result).toEqual({
      check: 'target-exists',
      status: 'unknown',
      reason: 'not checked: stripeCustomerId: expected a Stripe customer id (cus_…)',
    });
  });

  it('answers unknown for a workflow it does not know', async () => {
    const result = await checkers
      .make({ config: checkerConfig() })
      .check('exports' as unknown as WorkflowId, {});
    expect(result).toEqual({
      check: 'target-exists',
      status: 'unknown',
      reason: 'not checked: no target check for workflow exports',
    });
  });

  it('closes idempotently, and answers unknown afterwards without asking anyone', async () => {
    const server = await startLoopback((_req, res) => res.end());
    servers.push(server);
    const checker = checkers.make({
      config: checkerConfig({
        stripe: { secretKey: 'sk_test_x1', apiUrl: 'https://api.stripe.test' },
        recordings: { region: 'eu-central-1', bucket: 'b', s3Endpoint: 'https://s3.test' },
      }),
    });
    await Promise.all([checker.close(), checker.close()]);
    await checker.close();
    const result = await checker.check('webhooks', webhookPayload(`${server.url}/hook`));
    expect(result).toEqual({
      check: 'target-exists',
      status: 'unknown',
      reason: 'not checked: the target checker is closed',
    });
    expect(server.seen).toHaveLength(0);
  });

  it('settles a check still in flight when closed', async () => {
    const silent = await startLoopback(() => undefined);
    servers.push(silent);
    const checker = checkers.make({ config: checkerConfig({ probeTimeoutMs: 5000 }) });
    const pending = checker.check('webhooks', webhookPayload(`${silent.url}/hook`));
    while (silent.seen.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const started = performance.now();
    await checker.close();
    const result = await pending;
    expect(result.status).toBe('unknown');
    expect(result.reason).toMatch(/^HEAD failed: /);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('bounds requests across workflows together, not per workflow', async () => {
    let webhookInFlight = 0;
    const overlaps: number[] = [];
    const server = await startLoopback((_req, res) => {
      webhookInFlight += 1;
      setTimeout(() => {
        webhookInFlight -= 1;
        res.writeHead(200);
        res.end();
      }, 60);
    });
    servers.push(server);
    const api = 'https://api.stripe.test';
    nock(api)
      .get('/v1/customers/cus_A1')
      .reply(() => {
        overlaps.push(webhookInFlight);
        return [200, { id: 'cus_A1', object: 'customer' }];
      })
      .get('/v1/subscriptions/sub_A1')
      .reply(() => {
        overlaps.push(webhookInFlight);
        return [200, { id: 'sub_A1', object: 'subscription', customer: 'cus_A1', status: 'active' }];
      });
    const checker = checkers.make({
      config: checkerConfig({ stripe: { secretKey: 'sk_test_x1', apiUrl: api } }),
      concurrency: 1,
    });
    const results = await Promise.all([
      checker.check('webhooks', webhookPayload(`${server.url}/a`)),
      checker.check('billing', billingPayload('cus_A1', 'sub_A1')),
      checker.check('webhooks', webhookPayload(`${server.url}/b`)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['pass', 'pass', 'pass']);
    // With one slot, Stripe was never asked while a HEAD was still waiting for its answer.
    expect(overlaps).toEqual([0, 0]);
  });
});
