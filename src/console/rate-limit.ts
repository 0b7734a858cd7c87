/**
 * Sign-in attempts counted per username and per client address, in memory. An attempt is counted
 * when it starts — before its password is checked, which takes a deliberate tenth of a second — so
 * that guesses sent all at once are held to the limit as surely as guesses sent one after another:
 * at most `perUsername` attempts for one username (and `perAddress` from one address) are ever being
 * checked or counted in the window. A failed attempt stays counted; a successful one is taken off
 * again. After too many, every further attempt (the right password included) is refused until the
 * oldest in the window has aged out.
 *
 * Kept in memory on purpose: a restart forgets them, which costs an attacker a restart they cannot
 * cause, and the store is spared a write per guess.
 *
 * What is remembered is bounded, and bounded so that nobody can make it forget an account's count:
 * - the counts of existing accounts are never forgotten before their window ends (there are as
 *   many as the Clerk has made accounts, so they need no bound of their own);
 * - the counts of client addresses and of usernames that are no account (kept as SHA-256 digests,
 *   since a password is sometimes typed into the username box) together hold at most `maxKeys`;
 *   beyond that, the one whose count would run out soonest is forgotten first. An attacker with
 *   many addresses can make the console forget some addresses' counts, but never an account's.
 */
import { createHash } from 'node:crypto';

export interface RateLimitSettings {
  /** Attempts allowed per username in the window (default 5). */
  perUsername: number;
  /**
   * Attempts allowed per client address (default 20): higher than per username, because a whole
   * office may reach the console through one address and one person's typos must not lock out the rest.
   */
  perAddress: number;
  /** The window, in milliseconds (default 15 minutes). */
  windowMs: number;
  /** The most addresses and unknown usernames remembered together (default 10 000); see the module's comment. */
  maxKeys: number;
}

export const DEFAULT_RATE_LIMIT: RateLimitSettings = { perUsername: 5, perAddress: 20, windowMs: 15 * 60_000, maxKeys: 10_000 };

export interface SignInAttempt {
  /** The account's own username when the name typed is an account's; otherwise what was typed. */
  username: string;
  address: string;
  /** Whether `username` is an existing account's. */
  account: boolean;
}

/** An attempt under way: give it back to `succeeded` or `failed` once its password has been checked. */
export interface SignInTicket {
  readonly id: number;
  readonly attempt: SignInAttempt;
}

export type Admission = { admitted: true; ticket: SignInTicket } | { admitted: false; refusedUntil: Date };

/** One attempt's mark in a count: when it started, and which attempt it was. */
interface Mark {
  at: number;
  ticket: number;
}

/**
 * Counts by key. A Map keeps insertion order and each new mark moves its key to the end, so the
 * first key is the one whose newest mark is oldest: the one that runs out soonest.
 */
type Counts = Map<string, Mark[]>;

export class SignInLimiter {
  readonly settings: RateLimitSettings;
  private readonly accounts: Counts = new Map();
  private readonly names: Counts = new Map();
  private readonly addresses: Counts = new Map();
  /** Attempts whose password is still being checked. */
  private readonly underWay = new Set<number>();
  private nextTicket = 1;
  /** Refusals already put in the console's audit, by account (or "no account") and address; see `firstRefusal`. */
  private readonly recorded = new Map<string, number>();

  constructor(settings: Partial<RateLimitSettings> = {}) {
    this.settings = { ...DEFAULT_RATE_LIMIT, ...settings };
  }

  /**
   * Counts the attempt and lets it go ahead, or refuses it (without counting it) when its username
   * or its address has had its fill of attempts in the window, saying until when.
   */
  begin(attempt: SignInAttempt, now: Date): Admission {
    const at = now.getTime();
    const keys = this.keys(attempt);
    let until: number | undefined;
    for (const { counts, key, limit } of keys) {
      const marks = this.recent(counts, key, at);
      if (marks.length >= limit) {
        // Refused until enough of the attempts have left the window to leave room for one more.
        const freedAt = (marks[marks.length - limit]?.at ?? at) + this.settings.windowMs;
        until = until === undefined ? freedAt : Math.max(until, freedAt);
      }
    }
    if (until !== undefined) return { admitted: false, refusedUntil: new Date(until) };
    const ticket: SignInTicket = { id: this.nextTicket++, attempt };
    for (const { counts, key } of keys) {
      const marks = this.recent(counts, key, at);
      marks.push({ at, ticket: ticket.id });
      counts.delete(key);
      counts.set(key, marks);
    }
    this.underWay.add(ticket.id);
    this.forgetBeyondBound(at);
    return { admitted: true, ticket };
  }

  /** The password was wrong (or could not be checked): the attempt stays counted. */
  failed(ticket: SignInTicket): void {
    this.underWay.delete(ticket.id);
  }

  /**
   * The password was right: the attempt is taken off its address's count, and its username's
   * earlier failures are cleared (attempts for it still being checked stay counted). The address's
   * other failures stay: others may share it.
   */
  succeeded(ticket: SignInTicket): void {
    this.underWay.delete(ticket.id);
    for (const { counts, key, clearsFailures } of this.keys(ticket.attempt)) {
      const marks = counts.get(key);
      if (marks === undefined) continue;
      const kept = marks.filter((m) => m.ticket !== ticket.id && !(clearsFailures && !this.underWay.has(m.ticket)));
      if (kept.length === 0) counts.delete(key);
      else counts.set(key, kept);
    }
  }

  /**
   * True the first time in a window that a failed sign-in of this account — or of any name that is
   * no account — comes from this address, and false after: the console's audit records the first
   * and the service's log the rest, so that guessing cannot grow the state file without bound.
   */
  firstRefusal(attempt: Pick<SignInAttempt, 'username' | 'address' | 'account'>, now: Date): boolean {
    const at = now.getTime();
    const key = `${attempt.account ? `account:${attempt.username}` : 'no account'}\n${attempt.address}`;
    const since = this.recorded.get(key);
    if (since !== undefined && since > at - this.settings.windowMs) return false;
    this.recorded.delete(key);
    this.recorded.set(key, at);
    // Oldest first: the first entries are those that would be recorded again soonest anyway.
    while (this.recorded.size > this.settings.maxKeys) {
      const oldest = this.recorded.keys().next();
      if (oldest.done === true) break;
      this.recorded.delete(oldest.value);
    }
    return true;
  }

  private keys(attempt: SignInAttempt): { counts: Counts; key: string; limit: number; clearsFailures: boolean }[] {
    const name = attempt.username.toLowerCase();
    return [
      attempt.account
        ? { counts: this.accounts, key: name, limit: this.settings.perUsername, clearsFailures: true }
        : { counts: this.names, key: digest(name), limit: this.settings.perUsername, clearsFailures: true },
      { counts: this.addresses, key: attempt.address, limit: this.settings.perAddress, clearsFailures: false },
    ];
  }

  /** The marks of `key` still inside the window (older ones are dropped). */
  private recent(counts: Counts, key: string, at: number): Mark[] {
    const marks = (counts.get(key) ?? []).filter((m) => m.at > at - this.settings.windowMs);
    if (marks.length === 0) counts.delete(key);
    else counts.set(key, marks);
    return marks;
  }

  /** Keeps unknown names and addresses within `maxKeys` together, forgetting first what runs out soonest; never an account's count. */
  private forgetBeyondBound(at: number): void {
    while (this.names.size + this.addresses.size > this.settings.maxKeys) {
      const name = first(this.names);
      const address = first(this.addresses);
      const pick = name === undefined ? 'address' : address === undefined ? 'name' : name.newest <= address.newest ? 'name' : 'address';
      if (pick === 'name' && name !== undefined) this.names.delete(name.key);
      else if (address !== undefined) this.addresses.delete(address.key);
      else break;
    }
    // Accounts' counts are bounded by the accounts there are; those that have aged out go here too.
    for (const key of [...this.accounts.keys()]) this.recent(this.accounts, key, at);
  }
}

function first(counts: Counts): { key: string; newest: number } | undefined {
  const next = counts.entries().next();
  if (next.done === true) return undefined;
  const [key, marks] = next.value;
  return { key, newest: marks[marks.length - 1]?.at ?? Number.NEGATIVE_INFINITY };
}

/** What was typed as a username, kept only as a digest (it may be a password typed in the wrong box). */
function digest(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('base64url');
}
