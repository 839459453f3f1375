import type { S3ClientConfig } from '@aws-sdk/client-s3';
import type { z } from 'zod';
import type { Config } from '../config';
import { errorMessage } from '../errors';
import type { WorkflowId } from '../workflows';
import { createBillingTargetCheck } from './billing-target';
import { createLimiter } from './limit';
import { createRecordingTargetCheck } from './recording-target';
import { unknown } from './result';
import { billingTargetSchema, firstIssue, recordingTargetSchema, webhookTargetSchema } from './target-fields';
import type { CheckResult, TargetChecker, WorkflowTargetCheck } from './types';
import { createWebhookTargetCheck } from './webhook-target';

export interface TargetCheckerOptions {
  readonly config: Pick<Config, 'recordings' | 'stripe' | 'probeTimeoutMs' | 'webhookProbeAllowPrivate'>;
  /** Requests in flight at once, across all workflows. Default 4. */
  readonly concurrency?: number;
  /**
   * How long an answer is reused, from when it arrived. Default 30 s: long
   * enough for one sampling, short enough that a re-sample asks again.
   */
  readonly cacheTtlMs?: number;
  /** Defaults to the AWS SDK's provider chain; tests pass static fake keys. */
  readonly s3Credentials?: S3ClientConfig['credentials'];
}

export const DEFAULT_CHECK_CONCURRENCY = 4;
export const DEFAULT_CHECK_CACHE_TTL_MS = 30_000;

/** Parses the target fields, then checks; a payload without them is `unknown`, never `fail`. */
function checkParsed<T>(
  schema: z.ZodType<T>,
  payload: unknown,
  target: WorkflowTargetCheck<T>,
): Promise<CheckResult> {
  const parsed = schema.safeParse(payload);
  if (!parsed.success) return Promise.resolve(unknown(`not checked: ${firstIssue(parsed.error)}`));
  return target.check(parsed.data);
}

/** Runs every close even if one fails; the first failure is reported after all have run. */
async function closeAll(closers: ReadonlyArray<() => Promise<void>>): Promise<void> {
  const results = await Promise.allSettled(closers.map((close) => close()));
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) throw failure.reason;
}

/**
 * The "target exists" check of issue 3, for all three workflows. Clients are
 * made once here and shared by every check until `close()`; one limiter bounds
 * the requests of all workflows together, so a sample cannot flood a tenant or
 * Stripe. Every remote request has `probeTimeoutMs`; a check waiting for a free
 * slot may take longer in total, but every slot is released by a deadline.
 */
export function createTargetChecker(options: TargetCheckerOptions): TargetChecker {
  const { config } = options;
  const shared = {
    timeoutMs: config.probeTimeoutMs,
    limit: createLimiter(options.concurrency ?? DEFAULT_CHECK_CONCURRENCY),
    cacheTtlMs: options.cacheTtlMs ?? DEFAULT_CHECK_CACHE_TTL_MS,
  };
  const webhooks = createWebhookTargetCheck({ ...shared, allowPrivate: config.webhookProbeAllowPrivate });
  const recordings = createRecordingTargetCheck({
    ...shared,
    bucket: config.recordings.bucket,
    s3Endpoint: config.recordings.s3Endpoint,
    region: config.recordings.region,
    credentials: options.s3Credentials ?? config.recordings.credentials,
  });
  const billing = createBillingTargetCheck({
    ...shared,
    secretKey: config.stripe.secretKey,
    apiUrl: config.stripe.apiUrl,
  });

  const route = (workflow: WorkflowId, payload: unknown): Promise<CheckResult> => {
    switch (workflow) {
      case 'webhooks':
        return checkParsed(webhookTargetSchema, payload, webhooks);
      case 'recordings':
        return checkParsed(recordingTargetSchema, payload, recordings);
      case 'billing':
        return checkParsed(billingTargetSchema, payload, billing);
      default:
        // Reached only by a caller outside the type system (a stored session from another version).
        return Promise.resolve(unknown(`not checked: no target check for workflow ${String(workflow)}`));
    }
  };

  let closing: Promise<void> | undefined;
  return {
    async check(workflow, payload) {
      if (closing) return unknown('not checked: the target checker is closed');
      try {
        return await route(workflow, payload);
      } catch (error) {
        // Every path above answers on its own; this only keeps "never throws" true if one does not.
        return unknown(`target check failed: ${errorMessage(error)}`);
      }
    },
    close() {
      closing ??= closeAll([webhooks, recordings, billing].map((target) => () => target.close()));
      return closing;
    },
  };
}
