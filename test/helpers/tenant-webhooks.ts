import type { SeedJob } from './bullmq-fixtures';

/**
 * `count` webhook deliveries of one tenant, to its own path on the tenant
 * stand-in at `tenantUrl`, each given up (by default on that URL's HTTP 503):
 * the jobs a `replay webhooks --tenant` plan takes.
 */
export function tenantWebhooks(
  tenantId: string,
  count: number,
  tenantUrl: string,
  options: { readonly event?: string; readonly failWith?: string } = {},
): SeedJob[] {
  const url = `${tenantUrl}/hooks/${tenantId}`;
  return Array.from({ length: count }, (_, i) => ({
    name: 'deliver-webhook',
    data: { tenantId, webhookId: `wh-${i}`, url, event: options.event ?? 'call.ended', body: {} },
    failWith: options.failWith ?? `HTTP 503 from ${url}`,
  }));
}
