/**
 * Polls `read` every `everyMs` until it returns something defined, or throws
 * after `timeoutMs`; `what` names the awaited thing in that error.
 */
export async function eventually<T>(
  read: () => Promise<T | undefined>,
  timeoutMs = 5000,
  everyMs = 25,
  what?: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      throw new Error(
        what === undefined
          ? `eventually: nothing after ${timeoutMs} ms`
          : `timed out after ${timeoutMs} ms waiting for ${what}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
