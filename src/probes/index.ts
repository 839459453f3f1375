import type { Config } from '../config';
import { createDockerProbe } from './docker';
import { createRecordingsProbe } from './recordings';
import { createSignozProbe } from './signoz';
import { createStripeProbe } from './stripe';
import type {
  DockerDetails,
  EndpointsDetails,
  ProbeResult,
  RecordingsDetails,
  SignozDetails,
  WebhookTarget,
} from './types';
import { createWebhookEndpointsProbe } from './webhook-endpoints';

export type * from './types';
export { safeProbe, notConfigured, type ProbeOutcome, type SafeProbeOptions } from './safe-probe';
export {
  createDockerProbe,
  createRecordingsProbe,
  createSignozProbe,
  createStripeProbe,
  createWebhookEndpointsProbe,
};

/** The settings the probes read; a slice of `Config` so tests need not build a whole one. */
export type ProbeConfig = Pick<
  Config,
  | 'opsDockerUrl'
  | 'opsContainers'
  | 'signoz'
  | 'stripe'
  | 'recordings'
  | 'probeTimeoutMs'
  | 'webhookProbeAllowPrivate'
>;

/** One function per upstream. Each never throws and answers within its timeout. */
export interface UpstreamProbes {
  readonly docker: () => Promise<ProbeResult<DockerDetails>>;
  readonly signoz: () => Promise<ProbeResult<SignozDetails>>;
  readonly stripe: () => Promise<ProbeResult>;
  readonly recordings: () => Promise<ProbeResult<RecordingsDetails>>;
  readonly webhookEndpoints: (targets: readonly WebhookTarget[]) => Promise<ProbeResult<EndpointsDetails>>;
}

export function createUpstreamProbes(config: ProbeConfig): UpstreamProbes {
  const timeoutMs = config.probeTimeoutMs;
  return {
    docker: createDockerProbe({ url: config.opsDockerUrl, containers: config.opsContainers, timeoutMs }),
    signoz: createSignozProbe({ ...config.signoz, timeoutMs }),
    stripe: createStripeProbe({ ...config.stripe, timeoutMs }),
    recordings: createRecordingsProbe({ ...config.recordings, timeoutMs }),
    webhookEndpoints: createWebhookEndpointsProbe({
      timeoutMs,
      allowPrivateTargets: config.webhookProbeAllowPrivate,
    }),
  };
}
