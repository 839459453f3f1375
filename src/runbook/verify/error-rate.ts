import { MIN_SPANS } from '../../probes/signoz';
import type { ErrorRateWindow, ProbeResult, SignozDetails } from '../../probes/types';
import type { VerificationPart } from './types';

/** Back to baseline: at most this factor above it, or this many points, whichever is more lenient. */
const BASELINE_FACTOR = 1.5;
const BASELINE_SLACK = 0.005;

const pct = (rate: number): string => `${Math.round(rate * 1000) / 10}%`;

/**
 * Runbook step 4, "the error rate in SigNoz returns to baseline": the Ops
 * error rate now (the probe's last 15 minutes) against the baseline captured
 * when the incident was diagnosed. Not configured → skipped; no baseline or
 * no answer → unknown.
 */
export function errorRatePart(
  now: ProbeResult<SignozDetails> | 'not-configured',
  baseline: ErrorRateWindow | undefined,
): VerificationPart {
  if (now === 'not-configured') {
    return {
      name: 'error-rate',
      status: 'skipped',
      summary: 'SigNoz is not configured (SIGNOZ_URL)',
      details: [],
    };
  }
  const current = now.details?.current;
  if (current && current.spans < MIN_SPANS) {
    return {
      name: 'error-rate',
      status: 'unknown',
      summary: `only ${current.spans} Ops spans in the last 15 minutes: too few to call an error rate`,
      details: [],
    };
  }
  if (!current || current.errorRate === null) {
    return {
      name: 'error-rate',
      status: 'unknown',
      summary: `no error rate from SigNoz now: ${now.reason}`,
      details: [],
    };
  }
  if (!baseline || baseline.errorRate === null) {
    return {
      name: 'error-rate',
      status: 'unknown',
      summary: `error rate ${pct(current.errorRate)} now, but no baseline was captured at diagnosis`,
      details: [],
    };
  }
  const limit = Math.max(baseline.errorRate * BASELINE_FACTOR, baseline.errorRate + BASELINE_SLACK);
  const line = `error rate ${pct(current.errorRate)} now, baseline ${pct(baseline.errorRate)} at diagnosis`;
  return current.errorRate <= limit
    ? { name: 'error-rate', status: 'pass', summary: `${line}: back to baseline`, details: [] }
    : { name: 'error-rate', status: 'fail', summary: `${line}: still above baseline`, details: [] };
}
