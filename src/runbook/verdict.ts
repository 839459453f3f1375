import type { DockerDetails, ProbeResult } from '../probes/types';
import type { QueueSnapshot } from '../queues/types';
import type { ProducerKind, WorkflowId } from '../workflows/types';
import type { Trend, Verdict } from './diagnosis';
import { count, duration, perMinute, plural } from './format';

export interface VerdictInput {
  readonly workflow: WorkflowId;
  readonly containers: readonly string[];
  readonly snapshot?: QueueSnapshot;
  readonly error?: string;
  readonly trend?: Trend;
  readonly docker?: ProbeResult<DockerDetails>;
  /** The upstream this workflow delivers to: tenant endpoints, the recordings bucket, Stripe. */
  readonly upstream?: ProbeResult<unknown>;
}

/**
 * One verdict per workflow, in the runbook's order: is the consumer there at
 * all, is the queue paused, is it correctly retrying against a failing
 * upstream, has the worker given up on jobs, or is it only slow.
 */
export function decideVerdict(input: VerdictInput): Verdict {
  const { snapshot, trend } = input;
  if (!snapshot) {
    return {
      kind: 'unreadable',
      severity: 'critical',
      headline: `Cannot read the queue: ${input.error ?? 'no answer from Redis'}`,
      action: 'check Redis on the Database host before anything else',
    };
  }
  const c = snapshot.counts;
  const backlog = c.waiting + c.prioritized + c.paused + c.active;
  const givenUp = snapshot.givenUp.value;
  const willRetry = snapshot.willRetry.value;
  const containersDown = unhealthyContainers(input.docker, input.containers);
  const upstreamFailing = input.upstream?.status === 'down' || input.upstream?.status === 'degraded';

  if (snapshot.workers === 0 || containersDown.length > 0) {
    if (backlog + givenUp + willRetry + c.delayed > 0) {
      const why = [
        snapshot.workers === 0 ? '0 workers' : undefined,
        containersDown.length > 0 ? containersDown.join(', ') : undefined,
      ].filter(Boolean);
      return {
        kind: 'consumer-down',
        severity: 'critical',
        headline: `Consumer down: ${why.join(' and ')}`,
        action:
          'fix Ops before any replay (docker compose ps on the Ops host; the Tasker has no HTTP health endpoint)',
      };
    }
  }
  if (snapshot.isPaused) {
    return {
      kind: 'paused',
      severity: 'critical',
      headline: `Paused: the queue is paused with ${count(backlog)} waiting`,
      action:
        'find out who paused it and why, then resume it; replaying into a paused queue only adds to the pile',
    };
  }
  const waitingGivenUp =
    givenUp > 0
      ? ` ${count(givenUp, snapshot.givenUp.exact)} given-up jobs wait; replay them only once it moves.`
      : '';
  if (backlog > 0 && trend?.direction === 'stalled') {
    if (c.active === 0) {
      return {
        kind: 'stuck',
        severity: 'critical',
        headline: `Stuck: ${count(backlog)} waiting and nothing processed in ${duration(trend.windowMs)} with ${workersText(snapshot.workers)}`,
        action: `check the Tasker logs for a hung handler or lost lock before replaying anything.${waitingGivenUp}`,
      };
    }
    return {
      kind: 'stuck',
      severity: 'warning',
      headline: `No progress: ${count(c.active)} active, ${count(backlog - c.active)} waiting, nothing finished in ${duration(trend.windowMs)}`,
      action: `handlers are slow or hung: diagnose again in a minute, and check the Tasker logs.${waitingGivenUp}`,
    };
  }
  if (backlog > 0 && trend?.direction === 'growing') {
    return {
      kind: 'backlog-growing',
      severity: 'warning',
      headline: `Backlog growing: ${perMinute(trend.inPerMinute)} in, ${perMinute(trend.outPerMinute)} out with ${workersText(snapshot.workers)}`,
      action: `the consumer is not keeping up: check worker health and throughput.${waitingGivenUp}`,
    };
  }
  if (givenUp > 0) {
    const retrying = count(willRetry, snapshot.willRetry.exact);
    const alsoRetrying =
      willRetry === 0
        ? ''
        : upstreamFailing
          ? `; ${retrying} more correctly retrying`
          : `; ${retrying} more will retry on their own`;
    return {
      kind: 'given-up',
      severity: 'critical',
      headline: `Given up: ${count(givenUp, snapshot.givenUp.exact)} ${plural(givenUp, 'job')} exhausted their attempts${alsoRetrying}`,
      action: upstreamFailing
        ? `replay candidates, but not yet: ${input.upstream?.reason ?? 'the upstream is still failing'}`
        : 'replay candidates: read samples first, then replay a small batch (1–10) with a second approver',
    };
  }
  if (willRetry > 0 && upstreamFailing) {
    return {
      kind: 'correctly-retrying',
      severity: 'warning',
      headline: `Correctly retrying: ${count(willRetry, snapshot.willRetry.exact)} ${plural(willRetry, 'job')} will retry; ${input.upstream?.reason ?? 'upstream failing'}`,
      action: 'do not replay: the retry policy will deliver them once the upstream recovers',
    };
  }
  if (backlog > 0 && trend?.direction === 'draining') {
    const clear = trend.clearInMs === null ? '' : `, clear in about ${duration(trend.clearInMs)}`;
    return {
      kind: 'slow-draining',
      severity: 'ok',
      headline: `Slow, not stuck: draining ${perMinute(trend.outPerMinute - trend.inPerMinute)}${clear}`,
      action: 'no replay needed: watch it drain',
    };
  }
  if (willRetry > 0) {
    return {
      kind: 'retrying',
      severity: 'ok',
      headline: `Retrying: ${count(willRetry, snapshot.willRetry.exact)} ${plural(willRetry, 'job')} will retry; the upstream answers now`,
      action: 'let the retry policy deliver them instead of replaying',
    };
  }
  return {
    kind: 'healthy',
    severity: 'ok',
    headline:
      backlog > 0 ? `Healthy: ${count(backlog)} in progress` : 'Healthy: nothing waiting, nothing given up',
    action: 'nothing to replay',
  };
}

function workersText(workers: number | null): string {
  return workers === null ? 'an unknown number of workers' : `${workers} ${plural(workers, 'worker')}`;
}

function unhealthyContainers(
  docker: ProbeResult<DockerDetails> | undefined,
  names: readonly string[],
): string[] {
  const containers = docker?.details?.containers ?? [];
  return containers
    .filter((container) => names.includes(container.name))
    .filter((container) => container.state !== 'running' || container.health === 'unhealthy')
    .map(
      (container) =>
        `${container.name} ${container.state === 'running' ? container.health : container.state}`,
    );
}

/** The runbook's step 1, in one line per producer kind. */
export function quiesceHint(producer: ProducerKind, trend: Trend | undefined): string | undefined {
  if (trend?.direction !== 'growing' && trend?.direction !== 'stalled') return undefined;
  return producer === 'internal'
    ? 'Internal producer: you can pause the producing service while you investigate, so the queue stops growing.'
    : 'Tenant-driven: the source cannot be stopped; focus on the consumer.';
}
