export interface Fault {
  /** HTTP status to answer; default 200 (an `{ ok: false }` body), or 429 when `retryAfterSeconds` is set. */
  readonly status?: number;
  /** Sent as `Retry-After`; a 429 without it gets 1, since the Slack client refuses a 429 with no delay. */
  readonly retryAfterSeconds?: number;
  /** The `error` in the body; default `ratelimited` for 429, `internal_error` otherwise. */
  readonly error?: string;
  /** How many consecutive calls fail; default 1. */
  readonly times?: number;
}

export interface FaultResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: { readonly ok: false; readonly error: string };
}

/** Failures queued per method, consumed one call at a time. */
export class FaultQueue {
  private readonly pending = new Map<string, { fault: Fault; remaining: number }[]>();

  add(method: string, fault: Fault): void {
    const times = fault.times ?? 1;
    if (!Number.isInteger(times) || times < 1)
      throw new RangeError(`failNext: times must be a positive integer, got ${times}`);
    const queue = this.pending.get(method) ?? [];
    queue.push({ fault, remaining: times });
    this.pending.set(method, queue);
  }

  /** The response to send instead of handling `method`, if a fault is due. */
  take(method: string): FaultResponse | undefined {
    const queue = this.pending.get(method);
    const next = queue?.[0];
    if (!queue || !next) return undefined;
    next.remaining -= 1;
    if (next.remaining === 0) queue.shift();
    return toResponse(next.fault);
  }

  clear(): void {
    this.pending.clear();
  }
}

function toResponse(fault: Fault): FaultResponse {
  const status = fault.status ?? (fault.retryAfterSeconds !== undefined ? 429 : 200);
  const headers: Record<string, string> = {};
  const retryAfter = fault.retryAfterSeconds ?? (status === 429 ? 1 : undefined);
  if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter);
  const error = fault.error ?? (status === 429 ? 'ratelimited' : 'internal_error');
  return { status, headers, body: { ok: false, error } };
}
