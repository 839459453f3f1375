import { errorMessage, TimeoutError } from '../errors';
import { oneLine } from './net-errors';
import type { ProbeResult, ProbeStatus } from './types';

/** What a probe's body decides; `safeProbe` adds the id and the latency. */
export interface ProbeOutcome<D> {
  readonly status: ProbeStatus;
  readonly reason: string;
  readonly details?: D;
}

export interface SafeProbeOptions {
  readonly timeoutMs: number;
  /** Status when the upstream did not answer in time: `unknown` if silence tells nothing, `down` if it does. */
  readonly onTimeout: ProbeStatus;
  /** Status when the body throws. Defaults to `unknown`: a crash in the probe says nothing about the upstream. */
  readonly onError?: ProbeStatus;
  /** Who did not answer, for the reason text (`Docker API at …`). Defaults to the probe id. */
  readonly subject?: string;
}

/**
 * Runs a probe body with a deadline and turns every way it can end into a
 * `ProbeResult`. Never rejects. On timeout the body's signal is aborted so its
 * sockets close; the timer is cleared either way, so nothing keeps the process alive.
 */
export async function safeProbe<D>(
  probe: string,
  options: SafeProbeOptions,
  run: (signal: AbortSignal) => Promise<ProbeOutcome<D>>,
): Promise<ProbeResult<D>> {
  const started = performance.now();
  const controller = new AbortController();
  const subject = options.subject ?? probe;
  const timedOut: ProbeOutcome<D> = {
    status: options.onTimeout,
    reason: new TimeoutError(subject, options.timeoutMs).message,
  };
  let timer: NodeJS.Timeout | undefined;

  const deadline = new Promise<ProbeOutcome<D>>((resolve) => {
    timer = setTimeout(() => {
      controller.abort(new TimeoutError(subject, options.timeoutMs));
      resolve(timedOut);
    }, options.timeoutMs);
    timer.unref();
  });

  const body = Promise.resolve()
    .then(() => run(controller.signal))
    .catch((error: unknown): ProbeOutcome<D> => {
      // The abort we sent on timeout surfaces here as the body's own error.
      if (controller.signal.aborted) return timedOut;
      return { status: options.onError ?? 'unknown', reason: `${subject}: ${oneLine(errorMessage(error))}` };
    });

  try {
    const outcome = await Promise.race([body, deadline]);
    const result: ProbeResult<D> = {
      probe,
      status: outcome.status,
      reason: outcome.reason,
      latencyMs: Math.round(performance.now() - started),
    };
    return outcome.details === undefined ? result : { ...result, details: outcome.details };
  } finally {
    clearTimeout(timer);
  }
}

/** The answer every probe gives when its settings are missing. */
export function notConfigured<D = undefined>(probe: string, envVar: string): ProbeResult<D> {
  return { probe, status: 'unknown', reason: `not configured: set ${envVar}`, latencyMs: 0 };
}
