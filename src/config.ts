import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from './errors';
import { DEFAULT_LADDER_STEPS, ladderStepsSchema } from './approvals/ladder';
import { DEFAULT_MANIFEST_TTL_MS, MAX_MANIFEST_JOBS } from './approvals/batch-manifest';
import { incidentChannelsSchema, type IncidentChannelRule } from './incident-channels';
import {
  buildWorkflows,
  DEFAULT_OPS_CONTAINERS,
  workflowOverridesSchema,
  type AnyWorkflow,
  type WorkflowOverrides,
} from './workflows';

const optionalText = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

const optionalUrl = (what: string) => optionalText.pipe(z.url({ message: `expected ${what}` }).optional());

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'expected true or false' })
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const positiveInt = (fallback: number) =>
  z.coerce
    .number({ message: 'expected a whole number' })
    .int('expected a whole number')
    .positive()
    .default(fallback);

const slackIdList = optionalText.pipe(
  z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((id) => id.trim())
        .filter(Boolean),
    )
    .pipe(
      z.array(
        z.string().regex(/^[UWS][A-Z0-9]{2,}$/, 'expected Slack user ids (U…/W…) or user-group ids (S…)'),
      ),
    )
    .optional(),
);

/** Every variable the bot reads, by the names in DESIGN.md "Contracts". */
export const envSchema = z.object({
  SLACK_BOT_TOKEN: optionalText.pipe(
    z.string().startsWith('xoxb-', 'expected a bot token (xoxb-…)').optional(),
  ),
  SLACK_SIGNING_SECRET: optionalText,
  SLACK_APP_TOKEN: optionalText.pipe(
    z.string().startsWith('xapp-', 'expected an app-level token (xapp-…)').optional(),
  ),
  SLACK_API_URL: optionalUrl('the Web API base URL, e.g. https://slack.com/api/'),
  PORT: positiveInt(3000).pipe(z.number().max(65535, 'expected a port 1–65535')),
  REDIS_URL: z.url({ message: 'expected redis://host:port' }).default('redis://127.0.0.1:6379'),
  STATE_REDIS_URL: optionalUrl('redis://host:port for the bot state'),
  /** The replay user's connection (docs/redis-acl.md): the only one that writes Delphi's queues. */
  REPLAY_REDIS_URL: optionalUrl('redis://user:password@host:port for replay'),
  /** Refuse replays (plan, approve, run, recovery) while REPLAY_REDIS_URL is unset, instead of using REDIS_URL. */
  REQUIRE_REPLAY_REDIS_URL: booleanFlag.default(false),
  QUEUE_PREFIX: z.string().min(1).default('bull'),
  STATE_PREFIX: z.string().min(1).default('stuckjobs'),
  APPROVERS: slackIdList,
  /** Where `/stuckjobs` may run: channel ids and/or name patterns (`inc-*`); unset = anywhere. */
  INCIDENT_CHANNELS: optionalText.pipe(incidentChannelsSchema.optional()),
  STRIPE_SECRET_KEY: optionalText.pipe(
    z
      .string()
      .regex(/^(sk|rk)_(live|test)_/, 'expected a Stripe secret or restricted key (sk_…/rk_…)')
      .optional(),
  ),
  STRIPE_API_URL: optionalUrl('the Stripe API base URL, e.g. https://api.stripe.com'),
  RECORDINGS_BUCKET: optionalText,
  S3_ENDPOINT: optionalUrl('an S3 endpoint URL'),
  AWS_REGION: z.string().min(1).default('eu-central-1'),
  RECORDING_ENABLED: booleanFlag.optional(),
  SIGNOZ_URL: optionalUrl('the SigNoz base URL, e.g. http://10.0.1.10:8080'),
  SIGNOZ_API_KEY: optionalText,
  SIGNOZ_DASHBOARD_URL: optionalUrl('a SigNoz dashboard URL'),
  SIGNOZ_SERVICE: z.string().min(1).default('ops'),
  /** Tenant probes refuse private, loopback and metadata addresses unless this is true (the sandbox, tests). */
  WEBHOOK_PROBE_ALLOW_PRIVATE: booleanFlag.default(false),
  OPS_DOCKER_URL: optionalText.pipe(
    z
      .string()
      .regex(/^(unix:\/\/\/|https?:\/\/)/, 'expected unix:///var/run/docker.sock or http://host:port')
      .optional(),
  ),
  STUCKJOBS_CONFIG: optionalText,
  /** The Delphi version whose handlers the workflows list (shown with every handler check). */
  PLATFORM_VERSION: z
    .string()
    .regex(/^v?\d+\.\d+\.\d+/, 'expected a version like v0.9.11')
    .default('v0.9.11'),
  /** More payload keys whose values are secrets, beyond the built-in list. */
  REDACT_EXTRA_KEYS: optionalText.pipe(
    z
      .string()
      .transform((value) =>
        value
          .split(',')
          .map((key) => key.trim())
          .filter(Boolean),
      )
      .optional(),
  ),
  SAMPLE_WINDOW: positiveInt(1000).pipe(
    z.number().max(10_000, 'at most 10000: the window bounds what a sample reads'),
  ),
  TREND_WINDOW_MS: positiveInt(5000),
  PROBE_TIMEOUT_MS: positiveInt(2500),
  CENSUS_KEY_BUDGET: positiveInt(50_000),
  CENSUS_TIME_BUDGET_MS: positiveInt(300),
  /** Batch sizes of a replay: the first (at most 10) is the canary, each later one unlocked by a verified batch. */
  REPLAY_LADDER: optionalText.pipe(
    z
      .string()
      .transform((value) => value.split(',').map((step) => Number(step.trim())))
      .pipe(ladderStepsSchema)
      .optional(),
  ),
  REPLAY_MAX_BATCH: positiveInt(1000).pipe(
    z.number().max(MAX_MANIFEST_JOBS, `at most ${MAX_MANIFEST_JOBS}: one manifest holds one batch`),
  ),
  /** An incident with no audited step for this long ends by itself, with its note and summary. */
  INCIDENT_IDLE_MS: positiveInt(2 * 3600_000).pipe(z.number().min(60_000, 'at least 60000 (one minute)')),
  /**
   * How often every running bot looks for batches another replica (or a crash) left half done.
   * Default: the replay lease (30 s), so a dead run's batch is taken over about one lease after it stopped.
   */
  RECOVERY_SWEEP_MS: positiveInt(30_000),
  /** How long the verification after a batch watches at most (runbook step 4). */
  VERIFY_WINDOW_MS: positiveInt(120_000).pipe(z.number().max(3_600_000, 'at most one hour')),
  VERIFY_POLL_MS: positiveInt(2_000),
  /** How long an approval request stays clickable. */
  APPROVAL_TTL_MS: positiveInt(DEFAULT_MANIFEST_TTL_MS).pipe(
    z
      .number()
      .min(60_000, 'at least 60000 (one minute)')
      .max(24 * 3600_000, 'at most one day'),
  ),
  /** The sandbox's own key prefix: its demo queues and its state live under it, never under QUEUE_PREFIX. */
  SANDBOX_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, 'expected letters, digits, dot, dash or underscore')
    .default('stuckjobs-demo'),
  /** Seed the demo incident and start its worker and stand-ins in the sandbox (default on). */
  SANDBOX_DEMO: booleanFlag.default(true),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Env = z.infer<typeof envSchema>;

export type SlackMode = 'http' | 'socket' | 'sandbox';

export interface Config {
  readonly mode: SlackMode;
  readonly slack: {
    readonly botToken?: string;
    readonly signingSecret?: string;
    readonly appToken?: string;
    readonly apiUrl?: string;
  };
  readonly port: number;
  /** `replayUrl`: REPLAY_REDIS_URL; unset means replay runs on `url` (unless `replay.requireOwnRedis`). */
  readonly redis: { readonly url: string; readonly stateUrl: string; readonly replayUrl?: string };
  readonly queuePrefix: string;
  readonly statePrefix: string;
  readonly approvers: readonly string[];
  /** INCIDENT_CHANNELS; empty = no restriction. */
  readonly incidentChannels: readonly IncidentChannelRule[];
  readonly stripe: { readonly secretKey?: string; readonly apiUrl?: string };
  readonly recordings: {
    readonly enabled?: boolean;
    readonly bucket?: string;
    readonly s3Endpoint?: string;
    readonly region: string;
    /** Static keys; only the sandbox sets them (its S3 stand-in), elsewhere the SDK's provider chain. */
    readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  };
  readonly signoz: {
    readonly url?: string;
    readonly apiKey?: string;
    readonly dashboardUrl?: string;
    readonly service: string;
  };
  readonly opsDockerUrl?: string;
  readonly webhookProbeAllowPrivate: boolean;
  readonly opsContainers: readonly string[];
  readonly workflows: readonly AnyWorkflow[];
  readonly trendWindowMs: number;
  readonly platformVersion: string;
  readonly redactExtraKeys: readonly string[];
  /** Jobs a sample reads per state to filter and summarise. */
  readonly sampleWindow: number;
  readonly probeTimeoutMs: number;
  readonly census: { readonly keyBudget: number; readonly timeBudgetMs: number };
  readonly verify: { readonly windowMs: number; readonly pollMs: number };
  readonly incidentIdleMs: number;
  /** Between two recovery sweeps of a running bot (plus up to a tenth more at random). */
  readonly recoverySweepMs: number;
  readonly replay: {
    readonly ladderSteps: readonly number[];
    readonly maxBatch: number;
    readonly approvalTtlMs: number;
    /** REQUIRE_REPLAY_REDIS_URL: without `redis.replayUrl`, replays are refused (diagnose still works). */
    readonly requireOwnRedis?: boolean;
  };
  /** Read in sandbox mode only: where its world lives and whether to seed the demo incident. */
  readonly sandbox: { readonly prefix: string; readonly demo: boolean };
  readonly logLevel: Env['LOG_LEVEL'];
}

type ReadFile = (path: string) => string;

/**
 * Reads and checks the whole environment at once, so a bad start names every
 * problem in one message instead of one per restart.
 */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  readFile: ReadFile = (path) => readFileSync(path, 'utf8'),
): Config {
  const parsed = envSchema.safeParse(env);
  const problems: string[] = parsed.success
    ? []
    : parsed.error.issues.map((issue) => `${issue.path.join('.') || 'environment'}: ${issue.message}`);

  let overrides: WorkflowOverrides | undefined;
  const overridesPath = parsed.success
    ? parsed.data.STUCKJOBS_CONFIG
    : env.STUCKJOBS_CONFIG?.trim() || undefined;
  if (overridesPath) {
    const result = readOverrides(overridesPath, readFile);
    if (typeof result === 'string') problems.push(`STUCKJOBS_CONFIG: ${result}`);
    else overrides = result;
  }

  problems.push(...crossFieldProblems(env));
  if (!parsed.success || problems.length > 0) {
    throw new ConfigError(
      `stuckjobs cannot start; fix these settings:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      problems,
    );
  }
  return toConfig(parsed.data, overrides);
}

/** Read from the raw environment, so they are reported even when other variables are malformed. */
function crossFieldProblems(env: NodeJS.ProcessEnv): string[] {
  const has = (name: string) => (env[name] ?? '').trim() !== '';
  const problems: string[] = [];
  const connected = has('SLACK_SIGNING_SECRET') || has('SLACK_APP_TOKEN');
  if (connected && !has('SLACK_BOT_TOKEN')) {
    problems.push('SLACK_BOT_TOKEN: required with SLACK_SIGNING_SECRET or SLACK_APP_TOKEN (xoxb-…)');
  }
  if (has('SLACK_BOT_TOKEN') && !connected) {
    problems.push(
      'SLACK_SIGNING_SECRET: required with SLACK_BOT_TOKEN for HTTP mode (or set SLACK_APP_TOKEN for Socket Mode)',
    );
  }
  if (has('SIGNOZ_API_KEY') && !has('SIGNOZ_URL')) {
    problems.push('SIGNOZ_URL: required when SIGNOZ_API_KEY is set');
  }
  return problems;
}

function readOverrides(path: string, readFile: ReadFile): WorkflowOverrides | string {
  let raw: unknown;
  try {
    raw = JSON.parse(readFile(path));
  } catch (error) {
    return `cannot read JSON from ${path} (${error instanceof Error ? error.message : String(error)})`;
  }
  const result = workflowOverridesSchema.safeParse(raw);
  if (result.success) return result.data;
  return result.error.issues
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
}

function toConfig(env: Env, overrides: WorkflowOverrides | undefined): Config {
  const mode: SlackMode = env.SLACK_APP_TOKEN ? 'socket' : env.SLACK_SIGNING_SECRET ? 'http' : 'sandbox';
  return {
    mode,
    slack: {
      botToken: env.SLACK_BOT_TOKEN,
      signingSecret: env.SLACK_SIGNING_SECRET,
      appToken: env.SLACK_APP_TOKEN,
      apiUrl: env.SLACK_API_URL,
    },
    port: env.PORT,
    redis: {
      url: env.REDIS_URL,
      stateUrl: env.STATE_REDIS_URL ?? env.REDIS_URL,
      ...(env.REPLAY_REDIS_URL ? { replayUrl: env.REPLAY_REDIS_URL } : {}),
    },
    queuePrefix: env.QUEUE_PREFIX,
    statePrefix: env.STATE_PREFIX,
    approvers: env.APPROVERS ?? [],
    incidentChannels: env.INCIDENT_CHANNELS ?? [],
    stripe: { secretKey: env.STRIPE_SECRET_KEY, apiUrl: env.STRIPE_API_URL },
    recordings: {
      enabled: env.RECORDING_ENABLED,
      bucket: env.RECORDINGS_BUCKET,
      s3Endpoint: env.S3_ENDPOINT,
      region: env.AWS_REGION,
    },
    signoz: {
      url: env.SIGNOZ_URL,
      apiKey: env.SIGNOZ_API_KEY,
      dashboardUrl: env.SIGNOZ_DASHBOARD_URL,
      service: env.SIGNOZ_SERVICE,
    },
    opsDockerUrl: env.OPS_DOCKER_URL,
    webhookProbeAllowPrivate: env.WEBHOOK_PROBE_ALLOW_PRIVATE,
    opsContainers: overrides?.opsContainers ?? DEFAULT_OPS_CONTAINERS,
    workflows: buildWorkflows(overrides),
    trendWindowMs: env.TREND_WINDOW_MS,
    platformVersion: env.PLATFORM_VERSION,
    redactExtraKeys: env.REDACT_EXTRA_KEYS ?? [],
    sampleWindow: env.SAMPLE_WINDOW,
    probeTimeoutMs: env.PROBE_TIMEOUT_MS,
    census: { keyBudget: env.CENSUS_KEY_BUDGET, timeBudgetMs: env.CENSUS_TIME_BUDGET_MS },
    verify: { windowMs: env.VERIFY_WINDOW_MS, pollMs: env.VERIFY_POLL_MS },
    incidentIdleMs: env.INCIDENT_IDLE_MS,
    recoverySweepMs: env.RECOVERY_SWEEP_MS,
    replay: {
      ladderSteps: env.REPLAY_LADDER ?? DEFAULT_LADDER_STEPS,
      maxBatch: env.REPLAY_MAX_BATCH,
      approvalTtlMs: env.APPROVAL_TTL_MS,
      requireOwnRedis: env.REQUIRE_REPLAY_REDIS_URL,
    },
    sandbox: { prefix: env.SANDBOX_PREFIX, demo: env.SANDBOX_DEMO },
    logLevel: env.LOG_LEVEL,
  };
}
