/**
 * Sign-in attempts counted in memory, three ways at once:
 * - per username from one client address (`perUsernameFromAddress`, default 5): the strict limit
 *   that stops one guesser at one account;
 * - per username from anywhere (`perUsername`, default 50): a ceiling that bounds a guessing attack
 *   spread over many addresses, set well above the strict limit so that no one guesser can lock
 *   the Clerk out (see RateLimitSettings.perUsername);
 * - per client address, whatever the names (`perAddress`, default 20).
 *
 * A client address is counted as itself for IPv4 (and IPv4 written as IPv6, `::ffff:192.0.2.1`),
 * and by its /64 for IPv6: one connection is usually given a whole /64, so counting each of its
 * addresses apart would give one guesser 2^64 fresh counts.
 *
 * An attempt is counted when it starts — before its password is checked, which takes a deliberate
 * tenth of a second — so that guesses sent all at once are held to the limits as surely as guesses
 * sent one after another. A failed attempt stays counted; a successful one is taken off again, and
 * clears the earlier failures of its username from its address (the person who got it right made
 * them), but not its username's from elsewhere nor its address's under other names (those may be
 * someone else's). After too many, every further attempt counted the same way (the right password
 * included) is refused until the oldest in the window has aged out; a refused attempt is not counted.
 *
 * Only attempts from the last `windowMs` up to now count. One whose time is later than now — the
 * clock has been stepped back since, as when NTP corrects a clock that ran fast — is dropped: kept,
 * it would lock its username out for as long as the step as well as the window.
 *
 * Kept in memory on purpose: a restart forgets them, which costs an attacker a restart they cannot
 * cause, and the store is spared a write per guess.
 *
 * What is remembered is bounded, and bounded so that nobody can make it forget an account's count:
 * - the counts of existing accounts, from anywhere and from each address, are never forgotten
 *   before their window ends. There is one count from anywhere per account the Clerk has made, and
 *   at most `perUsername` counts from addresses per account, since each of those is also an
 *   attempt counted from anywhere;
 * - the counts of client addresses and of usernames that are no account (kept as SHA-256 digests,
 *   since a password is sometimes typed into the username box), from anywhere and from each address,
 *   together hold at most `maxKeys`; beyond that, the one whose count would run out soonest is
 *   forgotten first. An attacker with many addresses can make the console forget some addresses'
 *   counts, but never an account's.
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';

export interface RateLimitSettings {
  /** Attempts allowed per username from one client address (default 5). */
  perUsernameFromAddress: number;
  /**
   * Attempts allowed per username from all addresses together (default 50). It bounds a guessing
   * attack spread over many addresses to 50 guesses an account each window, while one guesser — or
   * nine, each held to `perUsernameFromAddress` at their own address — cannot lock the Clerk out:
   * locking an account out takes ten addresses (IPv6 /64s) or more, all guessing at it.
   */
  perUsername: number;
  /**
   * Attempts allowed per client address (default 20): higher than per username from an address,
   * because a whole office may reach the console through one address and one person's typos must
   * not lock out the rest.
   */
  perAddress: number;
  /** The window, in milliseconds (default 15 minutes). */
  windowMs: number;
  /** The most addresses and unknown usernames remembered together (default 10 000); see the module's comment. */
  maxKeys: number;
}

export const DEFAULT_RATE_LIMIT: RateLimitSettings = {
  perUsernameFromAddress: 5,
  perUsername: 50,
  perAddress: 20,
  windowMs: 15 * 60_000,
  maxKeys: 10_000,
};

export interface SignInAttempt {
  /** The account's own username when the name typed is an account's; otherwise what was typed. */
  username: string;
  /** The client's address, as the console sees it; see `addressKey` for how it is counted. */
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

interface Key {
  counts: Counts;
  key: string;
  limit: number;
  /** Whether a success clears this count's earlier failures. */
  clearsFailures: boolean;
}

export class SignInLimiter {
  readonly settings: RateLimitSettings;
  /** Accounts' counts from anywhere, and from each address: never forgotten early. */
  private readonly accounts: Counts = new Map();
  private readonly accountsFromAddresses: Counts = new Map();
  /** Unknown names' counts from anywhere and from each address, and addresses' counts: `maxKeys` together. */
  private readonly names: Counts = new Map();
  private readonly namesFromAddresses: Counts = new Map();
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
   * from its address, its username from anywhere or its address has had its fill of attempts in the
   * window, saying until when.
   */
  begin(attempt: SignInAttempt, now: Date): Admission {
    const at = now.getTime();
    const keys = this.keys(attempt);
    let until: number | undefined;
    for (const { counts, key, limit } of keys) {
      const marks = this.recent(counts, key, at);
      if (marks.length >= limit) {
        // Refused until enough of the attempts have left the window to leave room for one more.
        const times = marks.map((m) => m.at).sort((a, b) => a - b);
        const freedAt = (times[times.length - limit] ?? at) + this.settings.windowMs;
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
   * The password was right: the attempt is taken off every count, and the earlier failures of its
   * username from its address are cleared (attempts still being checked stay counted). Its
   * username's failures from elsewhere and its address's under other names stay: they may be others'.
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
   * no account — comes from this address (an IPv6 /64 counting as one), and false after: the
   * console's audit records the first and the service's log the rest, so that guessing cannot grow
   * the state file without bound.
   */
  firstRefusal(attempt: Pick<SignInAttempt, 'username' | 'address' | 'account'>, now: Date): boolean {
    const at = now.getTime();
    const key = `${attempt.account ? `account:${attempt.username.toLowerCase()}` : 'no account'}\n${addressKey(attempt.address)}`;
    const since = this.recorded.get(key);
    // A time later than now is from before the clock was stepped back, and recorded again.
    if (since !== undefined && since > at - this.settings.windowMs && since <= at) return false;
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

  private keys(attempt: SignInAttempt): Key[] {
    const name = attempt.username.toLowerCase();
    const address = addressKey(attempt.address);
    const { perUsernameFromAddress, perUsername, perAddress } = this.settings;
    // Unknown names are held to the same limits as accounts, so a refusal says nothing of which names are accounts.
    const [anywhere, fromAddresses, username] = attempt.account ? [this.accounts, this.accountsFromAddresses, name] : [this.names, this.namesFromAddresses, digest(name)];
    return [
      { counts: fromAddresses, key: `${username}\n${address}`, limit: perUsernameFromAddress, clearsFailures: true },
      { counts: anywhere, key: username, limit: perUsername, clearsFailures: false },
      { counts: this.addresses, key: address, limit: perAddress, clearsFailures: false },
    ];
  }

  /** The marks of `key` inside the window: not older than `windowMs`, and not later than now. */
  private recent(counts: Counts, key: string, at: number): Mark[] {
    const marks = (counts.get(key) ?? []).filter((m) => m.at > at - this.settings.windowMs && m.at <= at);
    if (marks.length === 0) counts.delete(key);
    else counts.set(key, marks);
    return marks;
  }

  /** Keeps unknown names and addresses within `maxKeys` together, forgetting first what runs out soonest; never an account's count. */
  private forgetBeyondBound(at: number): void {
    const bounded = [this.names, this.namesFromAddresses, this.addresses];
    let size = bounded.reduce((sum, counts) => sum + counts.size, 0);
    while (size > this.settings.maxKeys) {
      let soonest: { counts: Counts; key: string; newest: number } | undefined;
      for (const counts of bounded) {
        const candidate = first(counts);
        if (candidate !== undefined && (soonest === undefined || candidate.newest < soonest.newest)) soonest = { counts, ...candidate };
      }
      if (soonest === undefined) break;
      soonest.counts.delete(soonest.key);
      size--;
    }
    // Accounts' counts are bounded by the accounts there are (see the module's comment); those
    // that have run out go here. Each map is in the order its keys were last counted, so the ones
    // that have run out are at the front.
    for (const counts of [this.accounts, this.accountsFromAddresses]) {
      for (let next = first(counts); next !== undefined; next = first(counts)) {
        if (this.recent(counts, next.key, at).length > 0) break;
      }
    }
  }
}

function first(counts: Counts): { key: string; newest: number } | undefined {
  const next = counts.entries().next();
  if (next.done === true) return undefined;
  const [key, marks] = next.value;
  return { key, newest: marks[marks.length - 1]?.at ?? Number.NEGATIVE_INFINITY };
}

/**
 * How a client address is counted: an IPv4 address as itself (also when written as IPv6,
 * `::ffff:192.0.2.1`), an IPv6 address by its /64 (`2001:db8:1:2::/64`), and anything else (an
 * address the console could not learn) as it is.
 */
export function addressKey(address: string): string {
  const unzoned = address.replace(/%.*$/, '');
  if (isIP(unzoned) !== 6) return address;
  const groups = ipv6Groups(unzoned.toLowerCase());
  if (groups === undefined) return address;
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const [high = 0, low = 0] = groups.slice(6);
    return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
  }
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address (as `isIP` judges it). */
function ipv6Groups(text: string): number[] | undefined {
  let body = text;
  // A dotted IPv4 tail (`::ffff:192.0.2.1`) is two groups.
  const dotted = /^(.*:)(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(body);
  if (dotted !== null) {
    const [b1, b2, b3, b4] = dotted.slice(2).map(Number);
    body = `${dotted[1] ?? ''}${(((b1 ?? 0) << 8) | (b2 ?? 0)).toString(16)}:${(((b3 ?? 0) << 8) | (b4 ?? 0)).toString(16)}`;
  }
  const [head = '', tail, ...rest] = body.split('::');
  if (rest.length > 0) return undefined;
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16)));
  const before = parse(head);
  const after = tail === undefined ? [] : parse(tail);
  const missing = 8 - before.length - after.length;
  if (missing < 0 || (tail === undefined && missing !== 0)) return undefined;
  const groups = [...before, ...Array<number>(missing).fill(0), ...after];
  return groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : undefined;
}

/** What was typed as a username, kept only as a digest (it may be a password typed in the wrong box). */
function digest(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('base64url');
}
