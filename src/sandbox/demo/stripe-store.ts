import { randomBytes } from 'node:crypto';

/**
 * The Stripe stand-in's objects, in memory, rendered in the shapes
 * stripe-node parses (`object` fields, unix-second timestamps). Times are
 * unix seconds as Stripe keeps them.
 */

export interface DemoCustomer {
  readonly id: string;
  readonly name: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly created: number;
}

export interface DemoSubscription {
  readonly id: string;
  readonly customer: string;
  readonly status: 'active' | 'past_due' | 'canceled';
  readonly created: number;
}

export interface DemoInvoice {
  readonly id: string;
  readonly customer: string;
  readonly subscription: string | null;
  readonly status: 'draft' | 'open' | 'paid';
  readonly periodStart: number;
  readonly periodEnd: number;
  readonly created: number;
  readonly metadata: Readonly<Record<string, string>>;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** `in_` + 24 random letters and digits, as Stripe's ids look. */
export function stripeId(prefix: string): string {
  const bytes = randomBytes(24);
  return `${prefix}_${Array.from(bytes, (b) => ALNUM[b % ALNUM.length]).join('')}`;
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

export class StripeStore {
  readonly customers = new Map<string, DemoCustomer>();
  readonly subscriptions = new Map<string, DemoSubscription>();
  /** Insertion order: ties on `created` list the later one first. */
  readonly invoices: DemoInvoice[] = [];
  /** Idempotency-Key → invoice id, as Stripe replays a POST with the same key. */
  readonly idempotent = new Map<string, string>();

  addCustomer(customer: Omit<DemoCustomer, 'created'> & { created?: number }): DemoCustomer {
    const stored = { ...customer, created: customer.created ?? nowSeconds() };
    this.customers.set(stored.id, stored);
    return stored;
  }

  addSubscription(
    sub: Omit<DemoSubscription, 'created' | 'status'> & Partial<DemoSubscription>,
  ): DemoSubscription {
    const stored: DemoSubscription = { status: 'active', created: nowSeconds(), ...sub };
    this.subscriptions.set(stored.id, stored);
    return stored;
  }

  addInvoice(invoice: Omit<DemoInvoice, 'id' | 'created' | 'metadata'> & Partial<DemoInvoice>): DemoInvoice {
    const stored: DemoInvoice = { id: stripeId('in'), created: nowSeconds(), metadata: {}, ...invoice };
    this.invoices.push(stored);
    return stored;
  }

  /** Newest first, as Stripe lists them. */
  listInvoices(filter: { subscription?: string; customer?: string }): DemoInvoice[] {
    return this.invoices
      .map((invoice, order) => ({ invoice, order }))
      .filter(
        ({ invoice }) => filter.subscription === undefined || invoice.subscription === filter.subscription,
      )
      .filter(({ invoice }) => filter.customer === undefined || invoice.customer === filter.customer)
      .sort((a, b) => b.invoice.created - a.invoice.created || b.order - a.order)
      .map(({ invoice }) => invoice);
  }

  clear(): void {
    this.customers.clear();
    this.subscriptions.clear();
    this.invoices.length = 0;
    this.idempotent.clear();
  }
}

export const balanceJson = () => ({
  object: 'balance',
  available: [{ amount: 0, currency: 'usd', source_types: { card: 0 } }],
  pending: [{ amount: 0, currency: 'usd', source_types: { card: 0 } }],
  livemode: false,
});

export const customerJson = (c: DemoCustomer) => ({
  id: c.id,
  object: 'customer',
  name: c.name,
  email: null,
  created: c.created,
  currency: 'usd',
  delinquent: false,
  description: null,
  invoice_prefix: c.id.slice(4, 12).toUpperCase(),
  livemode: false,
  metadata: c.metadata,
});

export const subscriptionJson = (s: DemoSubscription) => ({
  id: s.id,
  object: 'subscription',
  customer: s.customer,
  status: s.status,
  created: s.created,
  start_date: s.created,
  billing_cycle_anchor: s.created,
  cancel_at_period_end: false,
  collection_method: 'charge_automatically',
  currency: 'usd',
  items: { object: 'list', data: [], has_more: false, url: `/v1/subscription_items?subscription=${s.id}` },
  livemode: false,
  metadata: {},
});

export const invoiceJson = (i: DemoInvoice) => ({
  id: i.id,
  object: 'invoice',
  customer: i.customer,
  status: i.status,
  created: i.created,
  period_start: i.periodStart,
  period_end: i.periodEnd,
  currency: 'usd',
  amount_due: 0,
  amount_paid: 0,
  total: 0,
  collection_method: 'charge_automatically',
  livemode: false,
  metadata: i.metadata,
  parent:
    i.subscription === null
      ? null
      : {
          type: 'subscription_details',
          quote_details: null,
          subscription_details: { metadata: {}, subscription: i.subscription },
        },
});

export const listJson = <T>(data: readonly T[], hasMore: boolean, url: string) => ({
  object: 'list',
  data,
  has_more: hasMore,
  url,
});
