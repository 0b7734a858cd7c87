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

/**
 * Many waiters on one long-lived signal, through one listener. Each folder watched holds a
 * listener or two on the stop signal for as long as it runs (to close its connection, to end its
 * wait), so five mailboxes with their Sent folders, plus the calendars, passed Node's limit of ten
 * listeners on one signal, and Node warned of a leak on every start. Here the signal carries a
 * single listener, and each waiter gets a signal of its own, aborted with it.
 */
export class StopSignals {
  private readonly children = new Set<AbortController>();
  private readonly abortAll = (): void => this.stopAll();

  constructor(private readonly signal: AbortSignal) {
    if (!signal.aborted) signal.addEventListener('abort', this.abortAll, { once: true });
  }

  /** A signal that aborts with the shared one (at once when it already has); `release` it when done. */
  child(): { signal: AbortSignal; release: () => void } {
    const controller = new AbortController();
    if (this.signal.aborted) {
      controller.abort();
      return { signal: controller.signal, release: () => undefined };
    }
    this.children.add(controller);
    return { signal: controller.signal, release: () => this.children.delete(controller) };
  }

  /** Aborts every waiter's signal now (the shared one is left alone). */
  stopAll(): void {
    const children = [...this.children];
    this.children.clear();
    for (const child of children) child.abort();
  }

  /** How many waiters are registered (for tests). */
  get size(): number {
    return this.children.size;
  }

  /** Removes the one listener from the shared signal. */
  dispose(): void {
    this.signal.removeEventListener('abort', this.abortAll);
    this.children.clear();
  }
}
