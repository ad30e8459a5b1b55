// Waits for work the validator finishes after answering (a revocation, say): runs `check` until it passes.
/** Runs `check` every 20 ms until it stops throwing, and returns what it returned; throws its last error after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Lets work still under way finish, so that a later, unwanted effect (a second event, say) would show. */
export const settle = (ms = 300): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every 20 ms until it holds; resolves the time it took from `started` (now by default), or rejects past `limitMs`. */
export async function timeUntil(check: () => Promise<boolean> | boolean, limitMs: number, started = Date.now()): Promise<number> {
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > limitMs) throw new Error(`condition not met within ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
