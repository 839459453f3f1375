import { z } from 'zod';
import { billingWorkflow } from './billing';
import { templateProblems } from './enqueue-template';
import { recordingsWorkflow } from './recordings';
import type { AnyWorkflow, EnqueueTemplate, WorkflowId } from './types';
import { webhooksWorkflow } from './webhooks';

export type { AnyWorkflow, EnqueueTemplate, WorkflowDefinition, WorkflowId } from './types';
export {
  enqueueJobId,
  ENQUEUE_ID_PATTERN,
  fillTemplate,
  isEnqueueId,
  isEnqueueJobIdFor,
  usesPlaceholder,
} from './enqueue-template';

export const WORKFLOW_IDS = ['webhooks', 'recordings', 'billing'] as const satisfies readonly WorkflowId[];

/** Narrows a stored or typed string (a session's workflow list, say) to a workflow id. */
export function isWorkflowId(id: string): id is WorkflowId {
  return (WORKFLOW_IDS as readonly string[]).includes(id);
}

const DEFAULT_WORKFLOWS: readonly AnyWorkflow[] = [webhooksWorkflow, recordingsWorkflow, billingWorkflow];

const nameSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[^\s:]+$/, 'no spaces or colons');

/** Identifier-like, so no field is integer-like (JSON key order must follow the template). */
const fieldNameSchema = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'a field name: letters, digits, underscores')
  .refine((name) => name !== '__proto__', 'not a field name');

const enqueueTemplateSchema = z
  .object({
    jobName: nameSchema,
    idLabel: z.string().min(1).max(60),
    template: z
      .record(fieldNameSchema, z.string().max(1000))
      .refine((template) => Object.keys(template).length > 0, 'at least one field')
      .refine((template) => Object.keys(template).length <= 50, 'at most 50 fields'),
  })
  .strict();

const workflowOverrideSchema = z
  .object({
    queue: nameSchema.optional(),
    handlers: z.array(nameSchema).min(1).optional(),
    containers: z.array(nameSchema).min(1).optional(),
    /** Replaces the default template whole; `null` turns `enqueue` off for the workflow. */
    enqueue: enqueueTemplateSchema.nullable().optional(),
  })
  .strict();

type WorkflowOverride = z.infer<typeof workflowOverrideSchema>;

/** The shape of the JSON file named by STUCKJOBS_CONFIG. */
export const workflowOverridesSchema = z
  .object({
    workflows: z.partialRecord(z.enum(WORKFLOW_IDS), workflowOverrideSchema).default({}),
    /** Ops containers checked on every diagnosis (the Tasker and the Scaler by default). */
    opsContainers: z.array(nameSchema).min(1).optional(),
  })
  .strict()
  .superRefine((overrides, ctx) => {
    // A template is checked against the workflow it fills, so a broken one stops the start, not a 3 a.m. enqueue.
    for (const workflow of DEFAULT_WORKFLOWS) {
      const override = overrides.workflows[workflow.id];
      if (!override?.enqueue) continue;
      const handlers = override.handlers ?? workflow.handlers;
      for (const problem of templateProblems(override.enqueue, handlers, workflow.payloadSchema)) {
        ctx.addIssue({
          code: 'custom',
          path: ['workflows', workflow.id, 'enqueue', ...problem.path],
          message: problem.message,
        });
      }
    }
  });

export type WorkflowOverrides = z.infer<typeof workflowOverridesSchema>;

export const DEFAULT_OPS_CONTAINERS: readonly string[] = ['voiceai-tasker', 'voiceai-scaler'];

export function buildWorkflows(overrides: WorkflowOverrides | undefined): readonly AnyWorkflow[] {
  return DEFAULT_WORKFLOWS.map((workflow) => {
    const override = overrides?.workflows[workflow.id];
    return override ? applyOverride(workflow, override) : workflow;
  });
}

function applyOverride(workflow: AnyWorkflow, override: WorkflowOverride): AnyWorkflow {
  const { enqueue, ...rest } = override;
  const { enqueue: defaultEnqueue, ...base } = workflow;
  const merged = { ...base, ...stripUndefined(rest) };
  const template: EnqueueTemplate | undefined = enqueue === null ? undefined : (enqueue ?? defaultEnqueue);
  return template ? { ...merged, enqueue: template } : merged;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
