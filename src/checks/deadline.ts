export interface DeadlineHandlers<T> {
  /** The answer when `run` did not finish in time. */
  readonly onTimeout: () => T;
  /** The answer when `run` threw (before the deadline). */
  readonly onError: (error: unknown) => T;
}

/**
 * Runs `run` with a deadline; never rejects unless a handler does. On timeout the signal is
 * aborted so the request's socket closes, and the caller gets its answer at the
 * deadline even if the client ignores the signal (Stripe's SDK takes none). The
 * timer is cleared and unref'd either way, so nothing keeps the process alive.
 */
export async function withDeadline<T>(
  timeoutMs: number,
  run: (signal: AbortSignal) => Promise<T>,
  handlers: DeadlineHandlers<T>,
): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<T>((resolve) => {
    timer = setTimeout(() => {
      controller.abort(new Error(`no answer within ${timeoutMs} ms`));
      resolve(handlers.onTimeout());
    }, timeoutMs);
    timer.unref();
  });
  const body = Promise.resolve()
    .then(() => run(controller.signal))
    .catch((error: unknown): T => {
      // Our own abort surfaces as the body's error: it is the timeout, not a failure.
      if (controller.signal.aborted) return handlers.onTimeout();
      return handlers.onError(error);
    });
  try {
    return await Promise.race([body, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
