import { createHash } from 'node:crypto';
import type { BatchManifestInput } from '../../src/approvals/batch-manifest';

export const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

/** A valid manifest input for webhooks; override what a test is about. */
export function manifestInput(overrides: Partial<BatchManifestInput> = {}): BatchManifestInput {
  return {
    sessionId: 'sess-1',
    teamId: 'T1',
    channelId: 'C1',
    workflow: 'webhooks',
    queue: 'webhook-delivery',
    cohort: { tenant: 'acme' },
    jobs: [
      { id: '101', payloadSha256: sha('{"a":1}') },
      { id: '102', payloadSha256: sha('{"a":2}') },
    ],
    batchNumber: 1,
    requestedBy: 'U-REQ',
    dryRun: false,
    ...overrides,
  };
}
