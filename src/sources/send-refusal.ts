/**
 * The bookkeeping of a sender whose service refused it (a missing permission or grant, a refused
 * sign-in): sending is held, the outbox's attempts are not spent, and the sender checks again,
 * without sending anything, once every `reprobeMs`. Every connector that sends holds and re-checks
 * the same way; only what it checks and how it words the refusal are its own.
 */
import { errorMessage } from '../model/error-message.js';

/** A failure and the step of a send it came from (which permission or grant was refused). */
export class StepFailure<Step extends string> extends Error {
  constructor(
    readonly step: Step,
    readonly failure: unknown,
  ) {
    super(errorMessage(failure));
  }
}

/** Runs one step, remembering which it was should it fail (an inner step's failure is kept as it is). */
export async function runStep<Step extends string, T>(step: Step, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw err instanceof StepFailure ? err : new StepFailure(step, err);
  }
}

export interface Refusal<Kind extends string> {
  kind: Kind;
  /** What to change, for the Clerk. */
  reason: string;
  /** When sending was first held (ISO). */
  since: string;
  /** When the next check is due (epoch ms). */
  nextTryAt: number;
}

export class RefusalHold<Kind extends string> {
  private held: Refusal<Kind> | undefined;
  private probed = false;

  constructor(
    private readonly reprobeMs: number,
    private readonly now: () => Date,
  ) {}

  /** What is refused, while it is. */
  get refusal(): Refusal<Kind> | undefined {
    return this.held;
  }

  /** Holds sending for `kind`; the next check is in `reprobeMs`. True when sending was not held before. */
  refuse(kind: Kind, reason: string): boolean {
    const now = this.now();
    const fresh = this.held === undefined;
    // Just found out: the next check is in `reprobeMs`, not at the outbox's next question.
    this.probed = true;
    this.held = { kind, reason, since: this.held?.since ?? now.toISOString(), nextTryAt: now.getTime() + this.reprobeMs };
    return fresh;
  }

  /** Whether a check is due (the first question, or `reprobeMs` after a refusal); a due check is counted as made. */
  checkDue(): boolean {
    const due = !this.probed || (this.held !== undefined && this.now().getTime() >= this.held.nextTryAt);
    if (due) this.probed = true;
    return due;
  }

  /** A check passed: sending resumes. True when it had been held. */
  allow(): boolean {
    const was = this.held !== undefined;
    this.held = undefined;
    return was;
  }

  /** A check could not reach the service: what was refused stays refused, checked again in `reprobeMs`. */
  postpone(): void {
    if (this.held !== undefined) this.held = { ...this.held, nextTryAt: this.now().getTime() + this.reprobeMs };
  }

  /** Why nothing can be sent and since when, for /healthz, /metrics and the digest. */
  problem(): { reason: string; since: string } | undefined {
    return this.held ? { reason: this.held.reason, since: this.held.since } : undefined;
  }
}
