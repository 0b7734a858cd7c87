/**
 * Work that must finish by a deadline, watched by one shared timer. Reading a mailbox races every
 * message's parse against a deadline; a timer of its own for each (created, raced, cleared) cost
 * more than some of the parsing. Here one timer ticks only while something is waiting, and rejects
 * whatever has run past its deadline.
 */

/** How often the deadlines are checked: a deadline is met within this much of its time. */
const TICK_MS = 100;

interface Waiting {
  deadline: number;
  fail: () => void;
}

const waiting = new Set<Waiting>();
let timer: NodeJS.Timeout | undefined;

/** A clock that only goes forward (a wall-clock step, NTP or a resumed machine, fails nothing early). */
function monotonicNow(): number {
  return performance.now();
}

function tick(): void {
  const now = monotonicNow();
  for (const w of waiting) {
    if (w.deadline <= now) {
      waiting.delete(w);
      w.fail();
    }
  }
  if (waiting.size === 0 && timer !== undefined) {
    clearInterval(timer);
    timer = undefined;
  }
}

/**
 * `work`'s result, or a rejection with `error()` when `work` has not settled within `ms`
 * milliseconds. The timer keeps the process alive only while some work is waiting.
 */
export function withDeadline<T>(work: Promise<T>, ms: number, error: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const entry: Waiting = { deadline: monotonicNow() + ms, fail: () => reject(error()) };
    waiting.add(entry);
    timer ??= setInterval(tick, Math.min(TICK_MS, Math.max(1, ms)));
    work.then(
      (value) => {
        waiting.delete(entry);
        resolve(value);
      },
      (err: unknown) => {
        waiting.delete(entry);
        reject(err);
      },
    );
  });
}

/** How many pieces of work are waiting on a deadline (0 when the timer is stopped). */
export function waitingOnDeadlines(): number {
  return waiting.size;
}
