import { listen, type Listening } from '../../src/sandbox/demo/listen';

/**
 * The tenants' webhook endpoints on loopback, at the demo worker's path
 * `/tenants/<name>/webhooks`: HEAD (the bot's probes) and POST (the worker's
 * deliveries) answer 200, or the status a fault set for that tenant. Every
 * delivery is counted by its conversation id, a second record (beside
 * Redis) of how often each replayed job reached its tenant.
 */
export interface SoakTenants {
  /** The URL jobs of `tenant` (lower-case letters only) deliver to. */
  url(tenant: string): string;
  /** Answer `status` to this tenant from now on (a fault); 200 is healthy. */
  setStatus(tenant: string, status: number): void;
  /** POSTs that reached the endpoint, per conversation id. */
  deliveries(conversationId: string): number;
  close(): Promise<void>;
}

const PATH = /^\/tenants\/([a-z]+)\/webhooks$/;

function conversationOf(body: Buffer): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const id = (parsed as { conversationId?: unknown }).conversationId;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

export async function startSoakTenants(): Promise<SoakTenants> {
  const statuses = new Map<string, number>();
  const delivered = new Map<string, number>();
  const server: Listening = await listen((req, body, res) => {
    const tenant = PATH.exec((req.url ?? '').split('?')[0] ?? '')?.[1];
    if (tenant === undefined || (req.method !== 'HEAD' && req.method !== 'POST')) {
      res.writeHead(404).end();
      return;
    }
    const status = statuses.get(tenant) ?? 200;
    if (req.method === 'POST' && status < 300) {
      const conversation = conversationOf(body);
      if (conversation !== undefined) delivered.set(conversation, (delivered.get(conversation) ?? 0) + 1);
    }
    res.writeHead(status).end();
  });
  return {
    url: (tenant) => `${server.url}/tenants/${tenant}/webhooks`,
    setStatus: (tenant, status) => {
      statuses.set(tenant, status);
    },
    deliveries: (conversationId) => delivered.get(conversationId) ?? 0,
    close: () => server.close(),
  };
}
