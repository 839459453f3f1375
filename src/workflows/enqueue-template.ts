import type { z } from 'zod';
import type { EnqueueTemplate, WorkflowId } from './types';

/**
 * An operator-given id (and `--tenant`): it becomes part of a BullMQ job id and
 * of object keys, so no `:` (BullMQ refuses it in custom ids), no `/`, no spaces.
 */
export const ENQUEUE_ID_PATTERN = /^[A-Za-z0-9._-]{1,100}$/;

/** `.` and `..` pass the pattern but are path segments, not ids: in a key they would read as one. */
export function isEnqueueId(value: string): boolean {
  return ENQUEUE_ID_PATTERN.test(value) && !/^\.+$/.test(value);
}

/**
 * The BullMQ job id of an enqueued job: deterministic, so enqueueing the same id
 * twice names the same job and BullMQ's add is a no-op the second time. Never
 * contains `:` and is never all digits (BullMQ would refuse either), and the
 * `stuckjobs-` prefix tells anyone reading the queue who created it.
 */
export function enqueueJobId(workflow: WorkflowId, id: string): string {
  return `stuckjobs-${workflow}-${id}`;
}

/** What an enqueue manifest may name: only ids this module makes, for the manifest's workflow. */
export function isEnqueueJobIdFor(workflow: WorkflowId, jobId: string): boolean {
  const prefix = enqueueJobId(workflow, '');
  return jobId.startsWith(prefix) && isEnqueueId(jobId.slice(prefix.length));
}

export const PLACEHOLDERS = ['id', 'tenant'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

const PLACEHOLDER = /\{([A-Za-z_]+)\}/g;

function placeholdersOf(value: string): string[] {
  return [...value.matchAll(PLACEHOLDER)].map((match) => match[1] ?? '');
}

export function usesPlaceholder(template: EnqueueTemplate['template'], name: Placeholder): boolean {
  return Object.values(template).some((value) => placeholdersOf(value).includes(name));
}

/**
 * The payload, field by field in the template's order: JSON.stringify keeps
 * that order, so one id always gives the same bytes (and the same SHA-256).
 */
export function fillTemplate(
  template: EnqueueTemplate['template'],
  values: Readonly<Record<Placeholder, string>>,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(template).map(([field, value]) => [
      field,
      value.replace(PLACEHOLDER, (whole, name: string) =>
        name === 'id' || name === 'tenant' ? values[name] : whole,
      ),
    ]),
  );
}

export interface TemplateProblem {
  /** Below the template object: `['template', 'sourceKey']`, `['jobName']`. */
  readonly path: readonly string[];
  readonly message: string;
}

/** Stand-ins for a config-time check; plain enough to fit any id format we allow. */
const SAMPLE: Readonly<Record<Placeholder, string>> = { id: 'Sample01', tenant: 'sample-tenant' };

/**
 * What is wrong with a template before any id is known: unknown placeholders,
 * no `{id}` (every id would build the same payload), a job name that is not a
 * handler, and schema failures the ids cannot fix (a missing field, a wrong
 * constant). A field built from a placeholder is checked again per id at plan
 * time, where the real id decides; here a sample would only guess its format.
 */
export function templateProblems(
  enqueue: EnqueueTemplate,
  handlers: readonly string[],
  schema: z.ZodType<unknown>,
): TemplateProblem[] {
  const problems: TemplateProblem[] = [];
  if (!handlers.includes(enqueue.jobName)) {
    problems.push({
      path: ['jobName'],
      message: `${enqueue.jobName} is not a handler of this workflow (known: ${handlers.join(', ')})`,
    });
  }
  for (const [field, value] of Object.entries(enqueue.template)) {
    for (const name of placeholdersOf(value)) {
      if (name !== 'id' && name !== 'tenant') {
        problems.push({
          path: ['template', field],
          message: `unknown placeholder {${name}}: use {id} or {tenant}`,
        });
      }
    }
  }
  if (!usesPlaceholder(enqueue.template, 'id')) {
    problems.push({ path: ['template'], message: 'no field uses {id}: every id would build the same job' });
  }
  const parsed = schema.safeParse(fillTemplate(enqueue.template, SAMPLE));
  for (const issue of parsed.success ? [] : parsed.error.issues) {
    const field = issue.path[0];
    const fromPlaceholder =
      typeof field === 'string' &&
      Object.hasOwn(enqueue.template, field) &&
      placeholdersOf(enqueue.template[field] ?? '').length > 0;
    if (fromPlaceholder) continue;
    problems.push({
      path: ['template', ...issue.path.map(String)],
      message: `the payload schema says: ${issue.message}`,
    });
  }
  return problems;
}
