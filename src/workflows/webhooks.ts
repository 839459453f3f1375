import { z } from 'zod';
import type { WorkflowDefinition } from './types';

export const webhookPayloadSchema = z.object({
  tenantId: z.string().min(1),
  webhookId: z.string().min(1),
  url: z.url({ protocol: /^https?$/ }),
  event: z.string().min(1),
  conversationId: z.string().min(1).optional(),
  body: z.unknown(),
});

export type WebhookPayload = z.infer<typeof webhookPayloadSchema>;

export const webhooksWorkflow: WorkflowDefinition<WebhookPayload> = {
  id: 'webhooks',
  title: 'Webhook delivery',
  queue: 'webhook-delivery',
  handlers: ['deliver-webhook'],
  containers: ['voiceai-tasker'],
  producer: 'tenant',
  payloadSchema: webhookPayloadSchema,
  // No `enqueue` template: a delivery cannot be rebuilt from an id, because its
  // event body (what the tenant is told) is lost with the job that was never added.
};

/** "HTTP 503 from https://…" is how a failed delivery attempt records its status. */
const STATUS_IN_REASON = /\bHTTP (\d{3})\b/;

export function statusFromFailureReason(reason: string | undefined): number | null {
  const match = reason ? STATUS_IN_REASON.exec(reason) : null;
  return match?.[1] ? Number(match[1]) : null;
}
