import type { S3ClientConfig } from '@aws-sdk/client-s3';
import type { Config } from '../../../config';
import { createLimiter } from '../../../checks/limit';
import { errorMessage } from '../../../errors';
import { oneLine } from '../../../probes/net-errors';
import { scrubKeys } from '../../../probes/stripe';
import type { WorkflowId } from '../../../workflows/types';
import type { CompletedJob, VerificationPart } from '../types';
import { createBillingDownstream } from './billing';
import { createRecordingsDownstream } from './recordings';
import { webhooksDownstream } from './webhooks';

/** One job's downstream answer; `text` says what was seen, in one line. */
export interface JobFinding {
  readonly jobId: string;
  readonly status: 'pass' | 'fail' | 'unknown';
  readonly text: string;
}

/** What a workflow's check found: one finding per job, or why the check does not apply here. */
export type DownstreamFindings =
  | { readonly kind: 'checked'; readonly jobs: readonly JobFinding[] }
  | { readonly kind: 'skipped'; readonly reason: string };

/** One workflow's downstream check before it is summed up into the `downstream` part. */
export interface WorkflowDownstream {
  /** What a pass means, for the summary line: "tenant answered 2xx". */
  readonly effect: string;
  /** Called with at least one job; may reject (the caller turns that into `unknown`). */
  find(jobs: readonly CompletedJob[]): Promise<DownstreamFindings>;
  close(): Promise<void>;
}

export interface DownstreamChecks {
  /** Runbook step 4 for `workflow`'s completed replayed jobs. Never rejects. */
  check(workflow: WorkflowId, jobs: readonly CompletedJob[]): Promise<VerificationPart>;
  /** Releases the S3 client and the Stripe sockets; idempotent. Checks after close are `unknown`. */
  close(): Promise<void>;
}

export interface DownstreamOptions {
  /** Requests in flight at once, across all workflows. Default 4. */
  readonly concurrency?: number;
  /** Defaults to the AWS SDK's provider chain; tests pass static fake keys. */
  readonly s3Credentials?: S3ClientConfig['credentials'];
}

export const DEFAULT_DOWNSTREAM_CONCURRENCY = 4;
/** Detail lines in a part, the "… more" line included. */
export const MAX_DETAIL_LINES = 20;
const MAX_LINE = 200;

const RANK: Readonly<Record<JobFinding['status'], number>> = { fail: 0, unknown: 1, pass: 2 };

const part = (status: VerificationPart['status'], summary: string, details: string[] = []) =>
  ({ name: 'downstream', status, summary: scrubKeys(oneLine(summary, 300)), details }) as const;

/** Failing lines first, then unknown, then passing; bounded, the last line counting what was left out. */
function detailLines(findings: readonly JobFinding[]): string[] {
  const sorted = [...findings].sort((a, b) => RANK[a.status] - RANK[b.status]);
  const line = (f: JobFinding) => scrubKeys(oneLine(`${f.status} job ${f.jobId}: ${f.text}`, MAX_LINE));
  if (sorted.length <= MAX_DETAIL_LINES) return sorted.map(line);
  const shown = sorted.slice(0, MAX_DETAIL_LINES - 1);
  const rest = sorted.slice(MAX_DETAIL_LINES - 1);
  const counts = (['fail', 'unknown', 'pass'] as const)
    .map((status) => [status, rest.filter((f) => f.status === status).length] as const)
    .filter(([, n]) => n > 0)
    .map(([status, n]) => `${n} ${status}`);
  return [...shown.map(line), `… ${rest.length} more jobs (${counts.join(', ')})`];
}

/** Any fail → fail; else any unknown → unknown; else pass. */
export function downstreamPart(effect: string, findings: DownstreamFindings): VerificationPart {
  if (findings.kind === 'skipped') return part('skipped', findings.reason);
  const { jobs } = findings;
  if (jobs.length === 0) return part('skipped', 'no replayed job completed yet');
  const count = (status: JobFinding['status']) => jobs.filter((f) => f.status === status).length;
  const [failed, unknown, passed] = [count('fail'), count('unknown'), count('pass')];
  const of = `of ${jobs.length} jobs`;
  const details = detailLines(jobs);
  if (failed > 0) {
    const also = unknown > 0 ? `, ${unknown} could not be checked` : '';
    return part('fail', `${effect}: ${failed} ${of} failed${also}`, details);
  }
  if (unknown > 0) {
    const also = passed > 0 ? `, ${passed} passed` : '';
    return part('unknown', `${effect}: ${unknown} ${of} could not be checked${also}`, details);
  }
  return part('pass', `${effect}: ${passed} ${of} passed`, details);
}

/** Runs every close even if one fails; the first failure is reported after all have run. */
async function closeAll(closers: ReadonlyArray<() => Promise<void>>): Promise<void> {
  const results = await Promise.allSettled(closers.map((close) => close()));
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) throw failure.reason;
}

/**
 * Runbook step 4, "the downstream effect actually happens", for each workflow
 * (see each module for what it asks). The S3 client and the Stripe client are
 * made once here and shared by every check until `close()`; one limiter bounds
 * the requests of all workflows together, and every request has
 * `probeTimeoutMs`.
 */
export function createDownstreamChecks(
  config: Pick<Config, 'recordings' | 'stripe' | 'probeTimeoutMs'>,
  options: DownstreamOptions = {},
): DownstreamChecks {
  const shared = {
    timeoutMs: config.probeTimeoutMs,
    limit: createLimiter(options.concurrency ?? DEFAULT_DOWNSTREAM_CONCURRENCY),
  };
  const checks: Readonly<Record<WorkflowId, WorkflowDownstream>> = {
    webhooks: webhooksDownstream,
    recordings: createRecordingsDownstream({
      ...shared,
      bucket: config.recordings.bucket,
      s3Endpoint: config.recordings.s3Endpoint,
      region: config.recordings.region,
      credentials: options.s3Credentials ?? config.recordings.credentials,
    }),
    billing: createBillingDownstream({
      ...shared,
      secretKey: config.stripe.secretKey,
      apiUrl: config.stripe.apiUrl,
    }),
  };

  let closing: Promise<void> | undefined;
  return {
    async check(workflow, jobs) {
      if (closing) return part('unknown', 'not checked: the downstream checks are closed');
      const downstream = Object.hasOwn(checks, workflow) ? checks[workflow] : undefined;
      // Reached only by a caller outside the type system (a stored session from another version).
      if (downstream === undefined)
        return part('unknown', `not checked: no downstream check for workflow ${String(workflow)}`);
      if (jobs.length === 0) return part('skipped', 'no replayed job completed yet');
      try {
        return downstreamPart(downstream.effect, await downstream.find(jobs));
      } catch (error) {
        // Every module answers on its own; this only keeps "never throws" true if one does not.
        return part('unknown', `downstream check failed: ${errorMessage(error)}`);
      }
    },
    close() {
      closing ??= closeAll(Object.values(checks).map((check) => () => check.close()));
      return closing;
    },
  };
}
