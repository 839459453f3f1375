import type { z } from 'zod';
import type { AnyWorkflow } from '../../workflows/types';
import type { PayloadCheck } from './types';

/** At most this many schema problems in one reason: enough to act on, short enough to read. */
const MAX_ISSUES = 3;

function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  const shown = issues
    .slice(0, MAX_ISSUES)
    .map((issue) => `${issue.path.join('.') || '(payload)'}: ${issue.message}`);
  const more = issues.length > MAX_ISSUES ? `; and ${issues.length - MAX_ISSUES} more` : '';
  return `${shown.join('; ')}${more}`;
}

/** Runbook step 2, "the payload looks well-formed": the workflow's own schema, on the real payload. */
export function checkWellFormed(workflow: AnyWorkflow, data: unknown, rawData: string | null): PayloadCheck {
  if (rawData === null || rawData.trim() === '') {
    return { check: 'well-formed', status: 'fail', reason: 'the job has no payload' };
  }
  if (typeof data === 'string' && data === rawData) {
    return { check: 'well-formed', status: 'fail', reason: 'the stored payload is not JSON' };
  }
  const parsed = workflow.payloadSchema.safeParse(data);
  if (parsed.success)
    return { check: 'well-formed', status: 'pass', reason: `matches the ${workflow.id} schema` };
  return { check: 'well-formed', status: 'fail', reason: describeIssues(parsed.error.issues) };
}

/** "The expected handler exists in the current platform version." */
export function checkHandlerExists(
  workflow: AnyWorkflow,
  handler: string,
  platformVersion: string,
): PayloadCheck {
  if (workflow.handlers.includes(handler)) {
    return {
      check: 'handler-exists',
      status: 'pass',
      reason: `${handler} is a handler in ${platformVersion}`,
    };
  }
  return {
    check: 'handler-exists',
    status: 'fail',
    reason: `${handler || '(no job name)'} is not a handler in ${platformVersion} (known: ${workflow.handlers.join(', ')})`,
  };
}
