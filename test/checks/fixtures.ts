import type { Config } from '../../src/config';
import { createTargetChecker, type TargetCheckerOptions } from '../../src/checks/target-checker';
import type { TargetChecker } from '../../src/checks/types';

export type CheckerConfig = TargetCheckerOptions['config'];

/** Nothing configured but what a test overrides; loopback allowed so tests can reach their servers. */
export function checkerConfig(overrides: Partial<CheckerConfig> = {}): CheckerConfig {
  const base: Pick<Config, 'recordings' | 'stripe' | 'probeTimeoutMs' | 'webhookProbeAllowPrivate'> = {
    recordings: { region: 'eu-central-1' },
    stripe: {},
    probeTimeoutMs: 1000,
    webhookProbeAllowPrivate: true,
  };
  return { ...base, ...overrides };
}

export const fakeS3Credentials = {
  accessKeyId: 'AKIAFAKEFAKEFAKE0000',
  secretAccessKey: 'fake-secret-for-tests-only',
};

/** Checkers made through this are closed by `closeCheckers()` (call it in afterEach). */
export function checkerPool() {
  const open: TargetChecker[] = [];
  return {
    make(options: Partial<TargetCheckerOptions> & { config: CheckerConfig }): TargetChecker {
      const checker = createTargetChecker({ s3Credentials: fakeS3Credentials, ...options });
      open.push(checker);
      return checker;
    },
    async closeAll(): Promise<void> {
      await Promise.all(open.splice(0).map((checker) => checker.close()));
    },
  };
}

export const webhookPayload = (url: string) => ({
  tenantId: 'tn_acme',
  webhookId: 'wh_1',
  url,
  event: 'conversation.ended',
  conversationId: 'conv_1',
  body: { summary: 'caller asked for a refund' },
});

export const recordingPayload = (sourceKey: string) => ({
  tenantId: 'tn_acme',
  conversationId: 'conv_1',
  recordingId: 'rec_1',
  sourceKey,
  outputKey: `${sourceKey}.mp3`,
});

export const billingPayload = (stripeCustomerId: string, subscriptionId: string) => ({
  tenantId: 'tn_acme',
  stripeCustomerId,
  subscriptionId,
  period: '2025-05',
});
