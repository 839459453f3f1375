import { oneLine } from '../probes/net-errors';
import { scrubKeys } from '../probes/stripe';
import type { CheckResult, CheckStatus } from './types';

/**
 * Reasons end up in Slack and in the incident session: one line, and scrubbed
 * of anything shaped like a Stripe key even if an upstream message quoted one.
 */
function result(status: CheckStatus, reason: string): CheckResult {
  return { check: 'target-exists', status, reason: scrubKeys(oneLine(reason, 300)) };
}

export const passed = (reason: string): CheckResult => result('pass', reason);
export const failed = (reason: string): CheckResult => result('fail', reason);
export const unknown = (reason: string): CheckResult => result('unknown', reason);
