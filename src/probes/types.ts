/**
 * What every upstream probe answers. A probe never throws: a failure to ask is
 * itself an answer (`unknown` when we could not tell, `down` when it said no).
 */
export type ProbeStatus = 'ok' | 'degraded' | 'down' | 'unknown';

export interface ProbeResult<Details = undefined> {
  /** Stable id: `docker`, `signoz`, `stripe`, `recordings`, `webhook-endpoints`. */
  readonly probe: string;
  readonly status: ProbeStatus;
  /** One line an operator can read: why this status. */
  readonly reason: string;
  readonly latencyMs?: number;
  readonly details?: Details;
}

export interface ContainerHealth {
  readonly name: string;
  /** Docker's State.Status: running, exited, restarting, … or `missing`. */
  readonly state: string;
  /** Docker's State.Health.Status (healthy, unhealthy, starting) or `none` without a healthcheck. */
  readonly health: string;
  readonly restartCount: number;
  /** Milliseconds since the container started, when it is running. */
  readonly uptimeMs?: number;
}

export interface DockerDetails {
  readonly containers: readonly ContainerHealth[];
}

export interface ErrorRateWindow {
  /** Share of Ops spans in error, 0..1, or null when there were no spans. */
  readonly errorRate: number | null;
  readonly p95Ms: number | null;
  readonly spans: number;
}

export interface SignozDetails {
  readonly service: string;
  /** The last 15 minutes. */
  readonly current: ErrorRateWindow;
  /** The hour before that: kept with the incident session for later verification. */
  readonly baseline: ErrorRateWindow;
  readonly dashboardUrl?: string;
}

export interface RecordingsDetails {
  readonly enabled: boolean | null;
  readonly bucket?: string;
}

export interface EndpointHealth {
  readonly host: string;
  /** Failed or retrying jobs in the sample that target this host. */
  readonly jobs: number;
  /** Status codes recorded in those jobs' failure reasons, with counts. */
  readonly recentStatusCodes: Readonly<Record<string, number>>;
  /** What a HEAD to the host said now; never a POST. */
  readonly head: { readonly status?: number; readonly error?: string; readonly latencyMs?: number };
  readonly status: ProbeStatus;
}

export interface EndpointsDetails {
  readonly endpoints: readonly EndpointHealth[];
}

/** A webhook target as the queue sample shows it. */
export interface WebhookTarget {
  readonly url: string;
  /** Status parsed from the job's last failure reason, if any. */
  readonly failureStatus: number | null;
}

export interface UpstreamReport {
  readonly docker: ProbeResult<DockerDetails>;
  readonly signoz: ProbeResult<SignozDetails>;
  readonly stripe: ProbeResult;
  readonly recordings: ProbeResult<RecordingsDetails>;
  readonly webhookEndpoints: ProbeResult<EndpointsDetails>;
}
