import type { z } from 'zod';

export type WorkflowId = 'webhooks' | 'recordings' | 'billing';

/**
 * Who produces a workflow's jobs decides the runbook's quiesce advice:
 * internal producers can be paused, tenant-driven ones cannot.
 */
export type ProducerKind = 'internal' | 'tenant';

export interface WorkflowDefinition<Payload = unknown> {
  readonly id: WorkflowId;
  readonly title: string;
  /** BullMQ queue name (without prefix). */
  readonly queue: string;
  /** Job names the current platform version handles. */
  readonly handlers: readonly string[];
  /** Ops containers whose health decides whether the consumer is up. */
  readonly containers: readonly string[];
  readonly producer: ProducerKind;
  readonly payloadSchema: z.ZodType<Payload>;
}

export type AnyWorkflow = WorkflowDefinition<unknown>;
