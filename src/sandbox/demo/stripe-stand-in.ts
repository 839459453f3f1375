import { monthPeriod } from '../../runbook/verify/downstream/billing';
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { listen } from './listen';
import {
  balanceJson,
  customerJson,
  invoiceJson,
  listJson,
  nowSeconds,
  StripeStore,
  subscriptionJson,
  type DemoInvoice,
} from './stripe-store';

/**
 * The demo's Stripe: the few v1 endpoints billing jobs and the bot use, on
 * loopback over http, answering as Stripe does (objects with `object`, list
 * envelopes, `{ error: { type, code, message, param } }` with Stripe's
 * statuses), so stripe-node maps every answer to its own classes. Requests
 * need `Authorization: Bearer <secretKey>` (401 otherwise).
 *
 * One simplification: Stripe derives an invoice's `period_start`/`period_end`
 * from its pending items; here `POST /v1/invoices` takes them from
 * `metadata[period]` (`YYYY-MM`, a UTC month), which the demo worker sets.
 */

export interface StripeStandIn {
  /** STRIPE_API_URL */
  readonly url: string;
  /** STRIPE_SECRET_KEY: letters and digits after `sk_test_`, so the bot's redaction masks all of it. */
  readonly secretKey: string;
  /** The objects it holds: seed them, read them in tests. */
  readonly store: StripeStore;
  close(): Promise<void>;
}

interface StripeErrorBody {
  readonly type: 'invalid_request_error' | 'api_error';
  readonly code?: string;
  readonly message: string;
  readonly param?: string;
}

const MAX_LIMIT = 100;

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, {
    'content-type': 'application/json',
    'request-id': `req_${randomBytes(7).toString('hex')}`,
    'stripe-version': '2026-10-28.endive',
  });
  res.end(JSON.stringify(body));
}

const sendError = (res: ServerResponse, status: number, error: StripeErrorBody): void =>
  send(res, status, { error });

const missing = (res: ServerResponse, kind: string, id: string, param = 'id'): void =>
  sendError(res, 404, {
    type: 'invalid_request_error',
    code: 'resource_missing',
    message: `No such ${kind}: '${id}'`,
    param,
  });

/** `metadata[period]=2025-05` → `{ period: '2025-05' }`, as Stripe reads form-encoded hashes. */
function metadataOf(form: URLSearchParams): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const [name, value] of form) {
    const key = /^metadata\[([^\]]+)\]$/.exec(name)?.[1];
    if (key !== undefined) metadata[key] = value;
  }
  return metadata;
}

function authorized(header: string | undefined, secretKey: string, res: ServerResponse): boolean {
  if (header === undefined || header === '') {
    sendError(res, 401, {
      type: 'invalid_request_error',
      message:
        'You did not provide an API key. You need to provide your API key in the Authorization header, ' +
        "using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
    });
    return false;
  }
  const key = /^Bearer (\S+)$/.exec(header)?.[1] ?? '';
  if (!/^sk_test_[A-Za-z0-9]+$/.test(key) || key !== secretKey) {
    sendError(res, 401, {
      type: 'invalid_request_error',
      code: 'api_key_invalid',
      message: `Invalid API Key provided: ${key.slice(0, 8)}****${key.slice(-4)}`,
    });
    return false;
  }
  return true;
}

function createInvoice(
  store: StripeStore,
  form: URLSearchParams,
  idempotencyKey: string | undefined,
  res: ServerResponse,
): void {
  const replayed = idempotencyKey === undefined ? undefined : store.idempotent.get(idempotencyKey);
  const earlier = store.invoices.find((i) => i.id === replayed);
  if (earlier) return send(res, 200, invoiceJson(earlier));
  const customer = form.get('customer');
  if (!customer) {
    return sendError(res, 400, {
      type: 'invalid_request_error',
      code: 'parameter_missing',
      message: 'Missing required param: customer.',
      param: 'customer',
    });
  }
  if (!store.customers.has(customer)) return missing(res, 'customer', customer, 'customer');
  const subscription = form.get('subscription');
  if (subscription !== null) {
    const sub = store.subscriptions.get(subscription);
    if (!sub) return missing(res, 'subscription', subscription, 'subscription');
    if (sub.customer !== customer) {
      return sendError(res, 400, {
        type: 'invalid_request_error',
        message: `The subscription ${subscription} does not belong to customer ${customer}.`,
        param: 'subscription',
      });
    }
  }
  const metadata = metadataOf(form);
  const now = nowSeconds();
  const month = metadata.period === undefined ? undefined : monthPeriod(metadata.period);
  if (metadata.period !== undefined && month === undefined) {
    return sendError(res, 400, {
      type: 'invalid_request_error',
      message: `Invalid metadata[period]: expected YYYY-MM, got '${metadata.period}'.`,
      param: 'metadata[period]',
    });
  }
  const invoice: DemoInvoice = store.addInvoice({
    customer,
    subscription,
    status: 'draft',
    periodStart: month?.start ?? now,
    periodEnd: month?.end ?? now,
    created: now,
    metadata,
  });
  if (idempotencyKey !== undefined) store.idempotent.set(idempotencyKey, invoice.id);
  send(res, 200, invoiceJson(invoice));
}

function listInvoices(store: StripeStore, query: URLSearchParams, res: ServerResponse): void {
  const limit = query.has('limit') ? Number(query.get('limit')) : 10;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    return sendError(res, 400, {
      type: 'invalid_request_error',
      message: `Invalid integer: ${query.get('limit')}. This value must be between 1 and ${MAX_LIMIT}.`,
      param: 'limit',
    });
  }
  const all = store.listInvoices({
    subscription: query.get('subscription') ?? undefined,
    customer: query.get('customer') ?? undefined,
  });
  send(res, 200, listJson(all.slice(0, limit).map(invoiceJson), all.length > limit, '/v1/invoices'));
}

export async function startStripeStandIn(): Promise<StripeStandIn> {
  const store = new StripeStore();
  const secretKey = `sk_test_Sandbox${randomBytes(12).toString('hex')}`;

  const server = await listen((req, raw, res) => {
    if (!authorized(req.headers.authorization, secretKey, res)) return;
    const url = new URL(req.url ?? '/', 'http://stripe.invalid');
    const path = url.pathname;
    const method = req.method ?? '';
    const id = /^\/v1\/(customers|subscriptions)\/([^/]+)$/.exec(path);
    if (method === 'GET' && path === '/v1/balance') return send(res, 200, balanceJson());
    if (method === 'GET' && id?.[1] === 'customers') {
      const customer = store.customers.get(decodeURIComponent(id[2]!));
      return customer ? send(res, 200, customerJson(customer)) : missing(res, 'customer', id[2]!);
    }
    if (method === 'GET' && id?.[1] === 'subscriptions') {
      const sub = store.subscriptions.get(decodeURIComponent(id[2]!));
      return sub ? send(res, 200, subscriptionJson(sub)) : missing(res, 'subscription', id[2]!);
    }
    if (method === 'GET' && path === '/v1/invoices') return listInvoices(store, url.searchParams, res);
    if (method === 'POST' && path === '/v1/invoices') {
      const key = req.headers['idempotency-key'];
      const form = new URLSearchParams(raw.toString('utf8'));
      return createInvoice(store, form, typeof key === 'string' ? key : undefined, res);
    }
    sendError(res, 404, {
      type: 'invalid_request_error',
      message: `Unrecognized request URL (${method}: ${path}).`,
    });
  });

  return { url: server.url, secretKey, store, close: () => server.close() };
}
