/**
 * Waiting, for connectors that talk to a throttling web service: every cloud connector must read
 * Retry-After, back off with jitter and sleep in a way a stopped watch cuts short, and these must
 * not drift apart between vendors. Pure apart from the timers; the clock is passed in.
 */

/** Resolves after `ms`, or at once when `signal` aborts. Never rejects: for a polling loop that then sees the abort. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Resolves after `ms`; rejects with the signal's reason (or Error('aborted')) when `signal` aborts: for a request that is called off. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Retry-After as milliseconds from `nowMs`: seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.ceil(Number(v) * 1000);
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/** Exponential backoff with jitter: between half and all of firstMs × 2^(attempt-1), at most 60 s. */
export function jitteredBackoff(attempt: number, firstMs: number, random: () => number = Math.random): number {
  const base = Math.min(60_000, firstMs * 2 ** (attempt - 1));
  return Math.round(base / 2 + random() * (base / 2));
}
