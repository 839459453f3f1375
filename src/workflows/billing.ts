import { z } from 'zod';
import type { WorkflowDefinition } from './types';

export const billingPayloadSchema = z.object({
  tenantId: z.string().min(1),
  stripeCustomerId: z.string().regex(/^cus_[A-Za-z0-9]+$/, 'expected a Stripe customer id (cus_…)'),
  subscriptionId: z.string().regex(/^sub_[A-Za-z0-9]+$/, 'expected a Stripe subscription id (sub_…)'),
  period: z.string().regex(/^\d{4}-\d{2}$/, 'expected a billing period YYYY-MM'),
});

export type BillingPayload = z.infer<typeof billingPayloadSchema>;

export const billingWorkflow: WorkflowDefinition<BillingPayload> = {
  id: 'billing',
  title: 'Billing housekeeping',
  queue: 'billing-housekeeping',
  handlers: ['sync-subscription-usage', 'close-billing-period'],
  containers: ['voiceai-tasker'],
  producer: 'internal',
  payloadSchema: billingPayloadSchema,
  // No `enqueue` template: one id cannot fill a Stripe customer, a subscription
  // and a billing period at once, and guessing any of them would bill the wrong
  // thing. A deployment that can derive them may set `workflows.billing.enqueue`.
};
