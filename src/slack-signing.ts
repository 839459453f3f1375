import { createHmac } from 'node:crypto';

/**
 * Slack's v0 scheme: `v0=` + hex HMAC-SHA256 of `v0:<timestamp>:<raw body>`.
 * Production checks requests with it (src/request-signature.ts) and the
 * emulator signs with it (src/sandbox/signing.ts): one definition, so the two
 * cannot drift, and the check depends on nothing in the emulator.
 */
export function signSlackRequest(signingSecret: string, timestampSeconds: number, rawBody: string): string {
  const digest = createHmac('sha256', signingSecret)
    .update(`v0:${timestampSeconds}:${rawBody}`)
    .digest('hex');
  return `v0=${digest}`;
}
