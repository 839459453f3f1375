import type { UpstreamReport } from '../probes/types';
import type { Census, QueueSnapshot } from '../queues/types';
import type { ProducerKind, WorkflowId } from '../workflows/types';

/** What an operator should take from one workflow, most urgent first. */
export type VerdictKind =
  | 'unreadable'
  | 'consumer-down'
  | 'paused'
  | 'correctly-retrying'
  | 'given-up'
  | 'stuck'
  | 'backlog-growing'
  | 'slow-draining'
  | 'retrying'
  | 'healthy';

export type Severity = 'critical' | 'warning' | 'ok';

export interface Verdict {
  readonly kind: VerdictKind;
  readonly severity: Severity;
  /** One line, e.g. "Given up: 1,204 jobs exhausted their attempts". */
  readonly headline: string;
  /** What to do next, e.g. "replay candidates: read samples, then plan a small batch". */
  readonly action: string;
}

export type TrendDirection = 'draining' | 'growing' | 'flat' | 'stalled' | 'idle';

export interface Trend {
  readonly windowMs: number;
  readonly inPerMinute: number;
  readonly outPerMinute: number;
  readonly direction: TrendDirection;
  /** Time to clear at the measured net rate; null when not draining. */
  readonly clearInMs: number | null;
}

export interface WorkflowDiagnosis {
  readonly id: WorkflowId;
  readonly title: string;
  readonly queue: string;
  readonly producer: ProducerKind;
  readonly snapshot?: QueueSnapshot;
  /** Why the queue could not be read, when it could not. */
  readonly error?: string;
  readonly trend?: Trend;
  readonly verdict: Verdict;
  readonly quiesceHint?: string;
}

export type CensusOutcome =
  { readonly ok: true; readonly census: Census } | { readonly ok: false; readonly error: string };

export interface Diagnosis {
  readonly id: string;
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly queuePrefix: string;
  readonly workflows: readonly WorkflowDiagnosis[];
  /** Only the probes that matter for the workflows diagnosed. */
  readonly upstream: Partial<UpstreamReport>;
  readonly census: CensusOutcome;
}
