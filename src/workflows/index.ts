import { z } from 'zod';
import { billingWorkflow } from './billing';
import { recordingsWorkflow } from './recordings';
import type { AnyWorkflow, WorkflowId } from './types';
import { webhooksWorkflow } from './webhooks';

export type { AnyWorkflow, WorkflowDefinition, WorkflowId } from './types';

export const WORKFLOW_IDS = ['webhooks', 'recordings', 'billing'] as const satisfies readonly WorkflowId[];

const DEFAULT_WORKFLOWS: readonly AnyWorkflow[] = [webhooksWorkflow, recordingsWorkflow, billingWorkflow];

const nameSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[^\s:]+$/, 'no spaces or colons');

const workflowOverrideSchema = z
  .object({
    queue: nameSchema.optional(),
    handlers: z.array(nameSchema).min(1).optional(),
    containers: z.array(nameSchema).min(1).optional(),
  })
  .strict();

/** The shape of the JSON file named by STUCKJOBS_CONFIG. */
export const workflowOverridesSchema = z
  .object({
    workflows: z.partialRecord(z.enum(WORKFLOW_IDS), workflowOverrideSchema).default({}),
    /** Ops containers checked on every diagnosis (the Tasker and the Scaler by default). */
    opsContainers: z.array(nameSchema).min(1).optional(),
  })
  .strict();

export type WorkflowOverrides = z.infer<typeof workflowOverridesSchema>;

export const DEFAULT_OPS_CONTAINERS: readonly string[] = ['voiceai-tasker', 'voiceai-scaler'];

export function buildWorkflows(overrides: WorkflowOverrides | undefined): readonly AnyWorkflow[] {
  return DEFAULT_WORKFLOWS.map((workflow) => {
    const override = overrides?.workflows[workflow.id];
    return override ? { ...workflow, ...stripUndefined(override) } : workflow;
  });
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
