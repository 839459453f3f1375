import type { Config } from '../../../../src/config';
import {
  createDownstreamChecks,
  type DownstreamChecks,
  type DownstreamOptions,
} from '../../../../src/runbook/verify/downstream';
import type { CompletedJob } from '../../../../src/runbook/verify/types';

export type DownstreamConfig = Pick<Config, 'recordings' | 'stripe' | 'probeTimeoutMs'>;

/** Nothing configured but what a test overrides. */
export function downstreamConfig(overrides: Partial<DownstreamConfig> = {}): DownstreamConfig {
  return { recordings: { region: 'eu-central-1' }, stripe: {}, probeTimeoutMs: 1000, ...overrides };
}

export const fakeS3Credentials = {
  accessKeyId: 'AKIAFAKEFAKEFAKE0000',
  secretAccessKey: 'fake-secret-for-tests-only',
};

export const completedJob = (id: string, data: unknown, returnvalue: string | null = null): CompletedJob => ({
  id,
  data,
  returnvalue,
});

/** Checks made through this are closed by `closeAll()` (call it in afterEach). */
export function downstreamPool() {
  const open: DownstreamChecks[] = [];
  return {
    make(config: DownstreamConfig, options: DownstreamOptions = {}): DownstreamChecks {
      const checks = createDownstreamChecks(config, { s3Credentials: fakeS3Credentials, ...options });
      open.push(checks);
      return checks;
    },
    async closeAll(): Promise<void> {
      await Promise.all(open.splice(0).map((checks) => checks.close()));
    },
  };
}
