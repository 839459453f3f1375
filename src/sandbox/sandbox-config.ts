import type { Config } from '../config';
import { ConfigError } from '../errors';
import { SANDBOX_IDS } from './world';

/** Where the demo world's stand-ins listen: the sandbox points every upstream at them. */
export interface DemoUpstreams {
  readonly signozUrl: string;
  readonly dockerUrl: string;
  readonly s3: {
    readonly endpoint: string;
    readonly bucket: string;
    readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  };
  readonly stripe: { readonly apiUrl: string; readonly secretKey: string };
}

export interface SandboxPrefixes {
  readonly queuePrefix: string;
  readonly statePrefix: string;
}

/**
 * The sandbox's keys live under SANDBOX_PREFIX, never under QUEUE_PREFIX or
 * STATE_PREFIX: its approvers are pretend people, so pointed at a real Redis
 * it must not be able to replay a real queue or share a real bot's state.
 */
export function sandboxPrefixes(prefix: string): SandboxPrefixes {
  return { queuePrefix: `${prefix}:bull`, statePrefix: `${prefix}:state` };
}

/** One key space holds the other's keys when a prefix equals, or is a colon-segment prefix of, the other. */
const overlaps = (a: string, b: string): boolean => a === b || a.startsWith(`${b}:`) || b.startsWith(`${a}:`);

/**
 * "Reset demo" deletes everything under the sandbox's prefixes: they must not
 * share a key with the queues or the state a real bot uses.
 */
export function refuseOverlap(
  sandbox: SandboxPrefixes,
  given: Pick<Config, 'queuePrefix' | 'statePrefix'>,
): void {
  const problems = [sandbox.queuePrefix, sandbox.statePrefix].flatMap((mine) =>
    (['queuePrefix', 'statePrefix'] as const)
      .filter((name) => overlaps(mine, given[name]))
      .map(
        (name) =>
          `SANDBOX_PREFIX: the sandbox's keys (${mine}:…) would share ${name === 'queuePrefix' ? 'QUEUE_PREFIX' : 'STATE_PREFIX'} ${given[name]}; choose another SANDBOX_PREFIX`,
      ),
  );
  if (problems.length > 0)
    throw new ConfigError(
      `stuckjobs cannot start the sandbox:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      problems,
    );
}

/**
 * The configuration the sandbox runs with: its own prefixes, its own
 * approvers' group (so a rehearsal can approve as the other person), the Redis
 * it found or started, and, with the demo world, every upstream pointed at
 * the world's loopback stand-ins (whose private addresses the webhook probe
 * must then be allowed to reach).
 */
export function sandboxConfig(
  given: Config,
  redisUrl: string | undefined,
  upstreams: DemoUpstreams | undefined,
): Config {
  refuseOverlap(sandboxPrefixes(given.sandbox.prefix), given);
  const approvers = given.approvers.length === 0 ? [SANDBOX_IDS.approvers] : given.approvers;
  const redis =
    redisUrl === undefined
      ? given.redis
      : {
          url: redisUrl,
          stateUrl: given.redis.stateUrl === given.redis.url ? redisUrl : given.redis.stateUrl,
        };
  const base: Config = { ...given, ...sandboxPrefixes(given.sandbox.prefix), approvers, redis };
  if (upstreams === undefined) return base;
  return {
    ...base,
    signoz: { ...given.signoz, url: upstreams.signozUrl, apiKey: undefined },
    opsDockerUrl: upstreams.dockerUrl,
    recordings: {
      enabled: true,
      bucket: upstreams.s3.bucket,
      s3Endpoint: upstreams.s3.endpoint,
      region: given.recordings.region,
      credentials: upstreams.s3.credentials,
    },
    stripe: { secretKey: upstreams.stripe.secretKey, apiUrl: upstreams.stripe.apiUrl },
    webhookProbeAllowPrivate: true,
  };
}
