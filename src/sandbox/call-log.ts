/** One request the app made to the emulator: a Web API call, a `response_url` POST, a file upload or a Socket Mode ack. */
export interface RecordedCall {
  /** The Web API method (`chat.postMessage`), or `response_url`, `file_upload`, `socket_ack`. */
  readonly method: string;
  /**
   * The parsed arguments, with `blocks` as an array even when it arrived as a JSON string.
   * For `socket_ack`: the ack's payload; for `file_upload`: `{ file_id, bytes }`.
   */
  readonly args: Readonly<Record<string, unknown>>;
  /** Milliseconds since the epoch. */
  readonly at: number;
  /** The HTTP status the emulator answered: 200 unless a fault was injected or a payload refused. */
  readonly status: number;
  /** The JSON the emulator answered, so tests can see refusals (`ok: false`). */
  readonly response: Readonly<Record<string, unknown>>;
  /** Set on `response_url` calls: which URL was used. */
  readonly responseUrl?: string;
  /** Set on `socket_ack` calls: the envelope acknowledged. */
  readonly envelopeId?: string;
}

export type CallPredicate = (call: RecordedCall) => boolean;

interface Waiter {
  readonly method: string;
  readonly predicate: CallPredicate | undefined;
  readonly resolve: (call: RecordedCall) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/** Every call in arrival order, and promises that settle when an expected call shows up. */
export class CallLog {
  private readonly recorded: RecordedCall[] = [];
  private readonly waiters = new Set<Waiter>();

  get calls(): readonly RecordedCall[] {
    return this.recorded;
  }

  record(call: RecordedCall): void {
    this.recorded.push(call);
    for (const waiter of [...this.waiters]) {
      if (waiter.method !== call.method) continue;
      try {
        if (waiter.predicate && !waiter.predicate(call)) continue;
      } catch (error) {
        // A throwing predicate is a test bug: fail that wait, never the request being recorded.
        this.settle(waiter);
        waiter.reject(error instanceof Error ? error : new Error(String(error)));
        continue;
      }
      this.settle(waiter);
      waiter.resolve(call);
    }
  }

  waitFor(method: string, predicate: CallPredicate | undefined, timeoutMs: number): Promise<RecordedCall> {
    const seen = this.recorded.find((call) => call.method === method && (predicate?.(call) ?? true));
    if (seen) return Promise.resolve(seen);
    return new Promise<RecordedCall>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.settle(waiter);
        const filter = predicate ? ' matching the predicate' : '';
        const seen = describeCalls(this.recorded);
        reject(new Error(`waitForCall: no ${method} call${filter} within ${timeoutMs} ms. ${seen}`));
      }, timeoutMs);
      const waiter: Waiter = { method, predicate, resolve, reject, timer };
      this.waiters.add(waiter);
    });
  }

  /** Fails every pending wait, so a test awaiting a call that can no longer come ends now. */
  close(): void {
    for (const waiter of [...this.waiters]) {
      this.settle(waiter);
      waiter.reject(
        new Error(`waitForCall(${waiter.method}): the emulator was closed. ${describeCalls(this.recorded)}`),
      );
    }
  }

  private settle(waiter: Waiter): void {
    clearTimeout(waiter.timer);
    this.waiters.delete(waiter);
  }
}

/** One line per call, with the arguments that usually explain a mismatch. */
export function describeCalls(calls: readonly RecordedCall[]): string {
  if (calls.length === 0) return 'Calls seen: none.';
  const lines = calls.map((call, index) => {
    const details = ['channel', 'user', 'ts', 'thread_ts', 'response_type', 'replace_original']
      .filter((key) => call.args[key] !== undefined)
      .map((key) => `${key}=${String(call.args[key])}`);
    const text = call.args.text;
    if (typeof text === 'string')
      details.push(`text=${JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text)}`);
    const outcome =
      call.response.ok === true ? 'ok' : `error=${String(call.response.error)} (HTTP ${call.status})`;
    return `  ${index + 1}. ${call.method} ${details.join(' ')} -> ${outcome}`;
  });
  return `Calls seen (${calls.length}):\n${lines.join('\n')}`;
}
