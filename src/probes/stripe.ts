import Stripe from 'stripe';
import { errorMessage } from '../errors';
import { describeNetworkError, oneLine } from './net-errors';
import { notConfigured, safeProbe, type ProbeOutcome } from './safe-probe';
import type { ProbeResult } from './types';

export interface StripeProbeOptions {
  readonly secretKey?: string;
  /** STRIPE_API_URL: host, port and protocol for every request (a proxy or a test server). */
  readonly apiUrl?: string;
  readonly timeoutMs: number;
  /** An answer slower than this is `degraded`. Default 2000 ms. */
  readonly slowMs?: number;
}

export const STRIPE_SLOW_MS = 2000;

/** Stripe's own messages quote (masked) keys; ours never carry any part of one. */
export function scrubKeys(text: string): string {
  return text.replace(/\b(sk|rk|pk)_(live|test)_[A-Za-z0-9*]+/g, '[key]');
}

/** Host, port and protocol of STRIPE_API_URL in the SDK's terms (defaults: Stripe itself). */
export function stripeConnection(
  apiUrl: string | undefined,
): Pick<Stripe.StripeConfig, 'host' | 'port' | 'protocol'> {
  if (apiUrl === undefined) return {};
  const url = new URL(apiUrl);
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  return { host: url.hostname, port: url.port || (protocol === 'http' ? 80 : 443), protocol };
}

/**
 * One cheap authenticated read (`GET /v1/balance`) to tell whether billing jobs
 * could reach Stripe now. Every failure to reach it is `down`: a billing replay would fail.
 */
export function createStripeProbe(options: StripeProbeOptions): () => Promise<ProbeResult> {
  const { secretKey, apiUrl, timeoutMs, slowMs = STRIPE_SLOW_MS } = options;
  if (secretKey === undefined) return () => Promise.resolve(notConfigured('stripe', 'STRIPE_SECRET_KEY'));
  // One client for the bot's lifetime: it keeps its connection pool between diagnoses.
  const stripe = new Stripe(secretKey, {
    maxNetworkRetries: 0,
    timeout: timeoutMs,
    telemetry: false,
    ...stripeConnection(apiUrl),
  });
  const deadline = { timeoutMs, onTimeout: 'down' as const, subject: 'Stripe API' };
  return async () => {
    return safeProbe<undefined>('stripe', deadline, async () => {
      const started = performance.now();
      try {
        await stripe.balance.retrieve();
      } catch (error) {
        return outcomeOf(error, timeoutMs);
      }
      const took = Math.round(performance.now() - started);
      if (took > slowMs)
        return { status: 'degraded', reason: `Stripe answered, but slowly (${took} ms > ${slowMs} ms)` };
      return { status: 'ok', reason: `Stripe answered in ${took} ms` };
    });
  };
}

function outcomeOf(error: unknown, timeoutMs: number): ProbeOutcome<undefined> {
  if (!(error instanceof Stripe.errors.StripeError)) {
    return { status: 'down', reason: `Stripe client failed: ${scrubKeys(oneLine(errorMessage(error)))}` };
  }
  if (error instanceof Stripe.errors.StripeAuthenticationError) {
    return { status: 'down', reason: 'Stripe key rejected (HTTP 401): check STRIPE_SECRET_KEY' };
  }
  if (error instanceof Stripe.errors.StripePermissionError) {
    // Stripe answered and knows the key; it only may not read balances. Billing calls may still work.
    return {
      status: 'degraded',
      reason: 'Stripe key lacks permission to read the balance (HTTP 403): cannot confirm',
    };
  }
  if (error instanceof Stripe.errors.StripeRateLimitError) {
    return { status: 'degraded', reason: 'Stripe is rate-limiting this key (HTTP 429)' };
  }
  if (error instanceof Stripe.errors.StripeConnectionError) {
    const timedOut = /timeout/i.test(error.message);
    // `detail` is the socket error; not `instanceof Error` when it comes from another realm.
    const cause =
      typeof error.detail === 'object' && error.detail !== null
        ? describeNetworkError(error.detail)
        : error.message;
    const why = timedOut ? `did not answer within ${timeoutMs} ms` : `unreachable: ${scrubKeys(cause)}`;
    return { status: 'down', reason: `Stripe API ${why}` };
  }
  const code = error.statusCode;
  if (code !== undefined && code >= 500) return { status: 'down', reason: `Stripe API error (HTTP ${code})` };
  return {
    status: 'down',
    reason: `Stripe refused the check (HTTP ${code ?? '?'}): ${scrubKeys(error.message)}`,
  };
}
