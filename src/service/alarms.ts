/**
 * What the service knows is stopping it from doing its job, for /healthz (which then answers 503)
 * and the digest:
 * - the state store: damaged (SQLite's integrity check failed, or a read met a corrupt page), the
 *   disk full, the file unwritable or unreadable. A damaged file stays reported until the service
 *   is restarted on a sound one; the others clear at the next write that works.
 * - the mail sender: it refused the last N messages in a row (no message has gone out since).
 * - retention: the last prune failed, so records past their retention period are still held. It
 *   clears when a later prune works (a write that works elsewhere says nothing about pruning).
 */
import { errorMessage } from '../model/error-message.js';
import { storeFailureOf, type StoreFailure } from '../store/failure.js';
import type { HealthProblem } from './health.js';

/** Failed attempts in a row, with nothing carried out between, after which the sender is reported as refusing every message. */
export const SENDER_REFUSALS_ALARM = 5;

function codeOf(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  return typeof err.code === 'string' ? err.code : undefined;
}

/** Why a prune failed, and what to do, in plain words (ends with a full stop). */
function pruneFailureReason(err: unknown): string {
  const failure = storeFailureOf(err);
  if (failure) return failure.reason;
  const detail = errorMessage(err);
  if (codeOf(err)?.startsWith('SQLITE_BUSY') === true || codeOf(err)?.startsWith('SQLITE_LOCKED') === true) {
    return `the state file is locked by another program (${detail}). Please check that nothing else — a second Wardwatch, a backup tool or sqlite3 — holds store.path open.`;
  }
  return `${detail.replace(/[.\s]+$/, '')}.`;
}

export class ServiceAlarms {
  private store: (StoreFailure & { since: string }) | undefined;
  private refusals = 0;
  private refusalsSince: string | undefined;
  private lastRefusal = '';
  private retention: { reason: string; since: string } | undefined;

  /** Called once when the store is first found damaged (the service stops reading and sending). */
  onStoreDamaged: (() => void) | undefined;

  constructor(
    private readonly now: () => Date = () => new Date(),
    private readonly refusalsAlarm: number = SENDER_REFUSALS_ALARM,
  ) {}

  private damagedNow(): void {
    this.onStoreDamaged?.();
  }

  /** Note an error met while using the store; true when it means the store itself is failing. */
  storeError(err: unknown): boolean {
    const failure = storeFailureOf(err);
    if (!failure) return false;
    // A damaged file is the graver news: a later "disk full" does not hide it.
    if (this.store?.kind === 'damaged' && failure.kind !== 'damaged') return true;
    if (this.store?.kind !== failure.kind) {
      this.store = { ...failure, since: this.now().toISOString() };
      if (failure.kind === 'damaged') this.damagedNow();
    }
    return true;
  }

  /** The integrity check found the file damaged. */
  storeDamaged(reason: string): void {
    if (this.store?.kind === 'damaged') return;
    this.store = { kind: 'damaged', code: 'SQLITE_CORRUPT', reason, since: this.now().toISOString() };
    this.damagedNow();
  }

  /** A write to the store worked: a full disk or an unwritable file has been put right (damage has not). */
  storeWorks(): void {
    if (this.store && this.store.kind !== 'damaged') this.store = undefined;
  }

  get storeDamagedSince(): string | undefined {
    return this.store?.kind === 'damaged' ? this.store.since : undefined;
  }

  /** A prune for retention failed (`err`: what the store threw). */
  retentionFailed(err: unknown): void {
    const reason = `records past their retention period could not be pruned: ${pruneFailureReason(err)} They are kept until a prune works; Wardwatch tries again every hour.`;
    this.retention = { reason, since: this.retention?.since ?? this.now().toISOString() };
  }

  /** A prune for retention worked. */
  retentionWorks(): void {
    this.retention = undefined;
  }

  /** An attempt to carry out an effect failed (`error`: what the sender or executor said). */
  effectFailed(error: string): void {
    if (this.refusals === 0) this.refusalsSince = this.now().toISOString();
    this.refusals += 1;
    this.lastRefusal = error;
  }

  /** An effect was carried out: the sender works. */
  effectDone(): void {
    this.refusals = 0;
    this.refusalsSince = undefined;
  }

  problems(): HealthProblem[] {
    const out: HealthProblem[] = [];
    if (this.store) out.push({ what: 'store', reason: this.store.reason, since: this.store.since });
    if (this.retention) out.push({ what: 'store', reason: this.retention.reason, since: this.retention.since });
    if (this.refusals >= this.refusalsAlarm) {
      const problem: HealthProblem = {
        what: 'sender',
        reason: `the mail sender has refused the last ${this.refusals} messages and none has gone out since; the last refusal: ${this.lastRefusal}. Please check the sender settings and the mail server.`,
      };
      if (this.refusalsSince !== undefined) problem.since = this.refusalsSince;
      out.push(problem);
    }
    return out;
  }
}
