import type { z } from 'zod';

export type WorkflowId = 'webhooks' | 'recordings' | 'billing';

/**
 * Who produces a workflow's jobs decides the runbook's quiesce advice:
 * internal producers can be paused, tenant-driven ones cannot.
 */
export type ProducerKind = 'internal' | 'tenant';

/**
 * How `/stuckjobs enqueue <workflow> <id…>` builds a job that was never
 * enqueued (e.g. a call that ended while Ops was down) from one id.
 */
export interface EnqueueTemplate {
  /** The job name the worker dispatches on; must be one of the workflow's handlers. */
  readonly jobName: string;
  /** What the operator's ids are, in messages: "recording id". */
  readonly idLabel: string;
  /**
   * Payload fields in the order they are stored. Values may hold `{id}` (the
   * operator's id) and `{tenant}` (`--tenant`); the filled payload must pass the
   * workflow's payload schema.
   */
  readonly template: Readonly<Record<string, string>>;
}

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
  /** Absent when a job cannot be rebuilt from an id: such a workflow cannot `enqueue`. */
  readonly enqueue?: EnqueueTemplate;
}

export type AnyWorkflow = WorkflowDefinition<unknown>;
