import { SANDBOX_IDS } from '../../src/sandbox';

/**
 * The environment most suites start the bot with: the suite's own queue
 * prefix, a trend window short enough for tests, a probe timeout below the
 * default, and the sandbox's approvers' group. Overrides win over these.
 */
export function harnessEnv(
  queuePrefix: string,
  overrides: Readonly<Record<string, string>> = {},
): Record<string, string> {
  return {
    QUEUE_PREFIX: queuePrefix,
    TREND_WINDOW_MS: '50',
    PROBE_TIMEOUT_MS: '2000',
    APPROVERS: SANDBOX_IDS.approvers,
    ...overrides,
  };
}
