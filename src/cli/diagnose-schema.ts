import { z } from 'zod';

const count = z.number().int().nonnegative();
const epochMs = z.number().int().nonnegative();
/** A number read from a bounded sample: exact when the sample covered every job. */
const estimate = z.strictObject({ value: count, exact: z.boolean() });
const severity = z.enum(['critical', 'warning', 'ok']);
const probeStatus = z.enum(['ok', 'degraded', 'down', 'unknown']);

const verdict = z.strictObject({
  kind: z.enum([
    'unreadable',
    'consumer-down',
    'paused',
    'correctly-retrying',
    'given-up',
    'stuck',
    'backlog-growing',
    'slow-draining',
    'retrying',
    'healthy',
  ]),
  severity,
  headline: z.string(),
  action: z.string(),
});

/** The queue as read; absent when it could not be read (the verdict is then `unreadable`). */
const queueReading = z.strictObject({
  counts: z.strictObject({
    waiting: count,
    active: count,
    delayed: count,
    prioritized: count,
    paused: count,
    failed: count,
    completed: count,
    waitingChildren: count,
  }),
  isPaused: z.boolean(),
  givenUp: estimate,
  failedEarly: estimate,
  willRetry: estimate,
  /** null: CLIENT LIST is hidden by the server, never a guess. */
  workers: count.nullable(),
  oldestWaitingAt: epochMs.nullable(),
  oldestFailedAt: epochMs.nullable(),
  /** Jobs read per state for the estimates and reasons. */
  sampled: count,
  topFailureReasons: z.array(z.strictObject({ reason: z.string(), count })),
});

const trend = z.strictObject({
  windowMs: z.number().nonnegative(),
  inPerMinute: z.number().nonnegative(),
  outPerMinute: z.number().nonnegative(),
  direction: z.enum(['draining', 'growing', 'flat', 'stalled', 'idle']),
  clearInMs: z.number().nonnegative().nullable(),
});

export const cliWorkflowSchema = z.strictObject({
  id: z.string(),
  title: z.string(),
  queue: z.string(),
  producer: z.enum(['internal', 'tenant']),
  verdict,
  queueReading: queueReading.nullable(),
  trend: trend.nullable(),
  error: z.string().optional(),
  quiesceHint: z.string().optional(),
});

export const cliProbeSchema = z.strictObject({
  probe: z.string(),
  label: z.string(),
  status: probeStatus,
  reason: z.string(),
  latencyMs: z.number().nonnegative().optional(),
});

export const cliEndpointSchema = z.strictObject({
  host: z.string(),
  jobs: count,
  status: probeStatus,
  head: z.strictObject({ status: z.number().int().optional(), error: z.string().optional() }),
  recentStatusCodes: z.record(z.string(), count),
});

const census = z.discriminatedUnion('ok', [
  z.strictObject({
    ok: z.literal(true),
    complete: z.boolean(),
    scannedKeys: count,
    totalKeys: count,
    stoppedBy: z.enum(['keys', 'time']).optional(),
    elapsedMs: z.number().nonnegative(),
    prefixes: z.array(
      z.strictObject({ prefix: z.string(), type: z.string(), keys: count, workflows: z.array(z.string()) }),
    ),
  }),
  z.strictObject({ ok: z.literal(false), error: z.string() }),
]);

/**
 * `stuckjobs diagnose --json`: the contract for scripts. The same numbers as
 * the Slack diagnosis; no job payloads, and every text from outside masked.
 */
export const cliDiagnosisSchema = z.strictObject({
  command: z.literal('diagnose'),
  exitCode: z.union([z.literal(0), z.literal(1)]),
  id: z.string(),
  startedAt: epochMs,
  finishedAt: epochMs,
  queuePrefix: z.string(),
  summary: z.strictObject({ critical: count, warning: count, ok: count }),
  workflows: z.array(cliWorkflowSchema),
  upstream: z.array(cliProbeSchema),
  webhookEndpoints: z.array(cliEndpointSchema),
  census,
});

export type CliDiagnosis = z.infer<typeof cliDiagnosisSchema>;
export type CliWorkflow = z.infer<typeof cliWorkflowSchema>;
export type CliProbe = z.infer<typeof cliProbeSchema>;
