/**
 * Waiting: a sleep that ends early when the watch is stopped, and the growing pause between
 * reconnection attempts.
 */

/** Resolves after `ms`, or at once when `signal` aborts. Never rejects. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * The pause before reconnection attempt `failures` (1, 2, …): doubling from `initialMs`, capped
 * at `maxMs`, with ±20 % jitter so that many watchers do not all knock at once. `random` is
 * injectable for tests.
 */
export function backoffDelay(failures: number, backoff: { initialMs: number; maxMs: number }, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 30);
  const base = Math.min(backoff.initialMs * 2 ** exponent, backoff.maxMs);
  const jitter = 0.8 + 0.4 * random();
  return Math.round(base * jitter);
}
