/**
 * Webhooks, downstream: the replayed delivery completed and its `returnvalue`
 * records that the tenant answered 2xx. Nothing is sent again: this reads
 * what the worker stored, never the tenant's endpoint (a GET would prove the
 * endpoint is up, not that this delivery arrived).
 *
 * Accepted shapes of the returnvalue (BullMQ stores it as JSON text):
 * - a JSON number: `204`;
 * - a JSON object with `status` or `statusCode`, a number or a numeric string
 *   (`{"status": 200}`, `{"statusCode": "202"}`), or the same nested under
 *   `response` (`{"response": {"status": 200}}`).
 *
 * An HTTP status is a whole number 100–599. Every status the returnvalue
 * records must be 2xx: one non-2xx among them (`{"status": 200, "response":
 * {"status": 500}}`) is a `fail`, since the delivery cannot be said to have
 * arrived. A returnvalue with no status at all (absent, `null`, not JSON, a
 * string, `{"ok": true}`) is `unknown`: the worker did not record it, which is
 * not evidence either way.
 */
import type { CompletedJob } from '../types';
import type { JobFinding, WorkflowDownstream } from './index';

/** What a returnvalue records: the HTTP statuses found in it, or why none could be read. */
export type RecordedStatus =
  | { readonly kind: 'statuses'; readonly statuses: readonly number[] }
  | { readonly kind: 'none'; readonly why: string };

const NUMERIC = /^\s*\d+\s*$/;

/** A whole number 100–599, from a number or a numeric string; anything else is not a status. */
function httpStatus(value: unknown): number | undefined {
  const n = typeof value === 'string' && NUMERIC.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n >= 100 && n <= 599 ? n : undefined;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `status`, `statusCode` of one object, in that order, keeping only those that are statuses. */
function statusesOf(object: Record<string, unknown>): number[] {
  return [object.status, object.statusCode].map(httpStatus).filter((n): n is number => n !== undefined);
}

/** The statuses a returnvalue records, per the shapes in the module comment. Pure. */
export function recordedStatus(returnvalue: string | null): RecordedStatus {
  if (returnvalue === null) return { kind: 'none', why: 'the job stored no returnvalue' };
  let value: unknown;
  try {
    value = JSON.parse(returnvalue);
  } catch {
    return { kind: 'none', why: 'the returnvalue is not JSON' };
  }
  if (typeof value === 'number') {
    const status = httpStatus(value);
    return status === undefined
      ? { kind: 'none', why: `the returnvalue ${value} is not an HTTP status` }
      : { kind: 'statuses', statuses: [status] };
  }
  if (!isObject(value)) return { kind: 'none', why: 'the returnvalue records no HTTP status' };
  const statuses = [...statusesOf(value), ...(isObject(value.response) ? statusesOf(value.response) : [])];
  if (statuses.length === 0) return { kind: 'none', why: 'the returnvalue records no HTTP status' };
  return { kind: 'statuses', statuses };
}

const is2xx = (status: number): boolean => status >= 200 && status <= 299;

/** One completed delivery's finding. Pure. */
export function webhookFinding(job: CompletedJob): JobFinding {
  const recorded = recordedStatus(job.returnvalue);
  if (recorded.kind === 'none')
    return { jobId: job.id, status: 'unknown', text: `${recorded.why}: the worker did not record a status` };
  const refused = recorded.statuses.find((status) => !is2xx(status));
  if (refused !== undefined)
    return { jobId: job.id, status: 'fail', text: `the tenant answered HTTP ${refused}` };
  const answered = [...new Set(recorded.statuses)].join(', ');
  return { jobId: job.id, status: 'pass', text: `the tenant answered HTTP ${answered}` };
}

/** No I/O and nothing to close: the answer is already in the jobs. */
export const webhooksDownstream: WorkflowDownstream = {
  effect: 'tenant answered 2xx',
  find: (jobs) => Promise.resolve({ kind: 'checked', jobs: jobs.map(webhookFinding) }),
  close: () => Promise.resolve(),
};
