/**
 * Injectable faults, Graph's per-mailbox concurrency limit and the Retry-After bookkeeping.
 * A fault rule matches requests by method and path (outer requests and requests inside $batch
 * alike) and fires `times` times. `when: 'after'` lets the request take effect first and then
 * answers with the fault, as Graph does when a gateway times out on a send that went through.
 */
import type { Clock } from './state.js';
import { graphError, type SimRequest, type SimResponse } from './wire.js';

export type RetryAfter = { seconds: number } | { httpDateInSeconds: number } | 'none';

export type Fault =
  | { kind: 'status'; status: 403 | 429 | 500 | 502 | 503 | 504; retryAfter?: RetryAfter; when?: 'before' | 'after' }
  /** 401 InvalidAuthenticationToken although the token has not expired. */
  | { kind: 'unauthorized' }
  /** 410 Gone with error code syncStateNotFound, for delta requests. */
  | { kind: 'syncStateNotFound' }
  /** The TCP connection is destroyed without a response, before or after the request takes effect. */
  | { kind: 'drop'; when?: 'before' | 'after' }
  /** The request waits until the gate opens (for deterministic concurrency tests). */
  | { kind: 'hold'; gate: Gate };

export interface FaultRule {
  method?: string;
  /**
   * Matched against the canonical path below /v1.0 (mailbox as address, folder by name, e.g.
   * /users/clerk@x/mailFolders/inbox/messages/delta); a string matches as a substring.
   */
  path: string | RegExp;
  /** How many matching requests it hits (default 1). */
  times?: number;
  fault: Fault;
}

export class Gate {
  private release!: () => void;
  private waitingCount = 0;
  private readonly opened = new Promise<void>((resolve) => { this.release = resolve; });
  private readonly waiters: Array<() => void> = [];
  /** Resolves once `n` requests are waiting at the gate. */
  waiting(n: number): Promise<void> {
    if (this.waitingCount >= n) return Promise.resolve();
    return new Promise((resolve) => { this.waiters.push(() => { if (this.waitingCount >= n) resolve(); }); });
  }
  async pass(): Promise<void> {
    this.waitingCount++;
    for (const w of this.waiters) w();
    await this.opened;
  }
  open(): void {
    this.release();
  }
}

/** Graph allows four concurrent requests per app and mailbox; the fifth is throttled. */
export const MAILBOX_CONCURRENCY = 4;
/** Added to the remaining wait when a client comes back before Retry-After elapsed. */
export const EARLY_RETRY_PENALTY_SECONDS = 30;

export interface FaultStats {
  /** Requests that arrived in a throttled scope before the Retry-After they were given elapsed. */
  earlyRetries: number;
  /** Requests refused by the per-mailbox concurrency limit. */
  concurrencyRejections: number;
  /** Faults fired, by kind. */
  fired: Record<string, number>;
}

export class Faults {
  private readonly rules: Array<FaultRule & { left: number }> = [];
  private readonly inFlight = new Map<string, number>();
  /** Throttle scope (mailbox id or 'tenant') → epoch ms before which requests are early. */
  private readonly notBefore = new Map<string, number>();
  /** The $batch envelope whose step announced the current wait: its later steps were sent before the client could know. */
  private readonly announcedIn = new Map<string, object | undefined>();
  /** The requests (method and canonical path) told to wait in each scope: coming back early is a retry too soon. */
  private readonly throttled = new Map<string, Set<string>>();
  readonly stats: FaultStats = { earlyRetries: 0, concurrencyRejections: 0, fired: {} };

  constructor(private readonly clock: Clock) {}

  add(rule: FaultRule): void {
    this.rules.push({ ...rule, left: rule.times ?? 1 });
  }

  clear(): void {
    this.rules.length = 0;
    this.notBefore.clear();
    this.announcedIn.clear();
    this.throttled.clear();
  }

  /** Rules that have not fired yet (or not as often as asked). */
  pending(): FaultRule[] {
    return this.rules.filter((r) => r.left > 0);
  }

  take(req: SimRequest): Fault | undefined {
    for (const r of this.rules) {
      if (r.left <= 0) continue;
      if (r.method && r.method.toUpperCase() !== req.method) continue;
      const path = req.canonicalPath ?? req.path;
      const hit = typeof r.path === 'string' ? path.includes(r.path) : r.path.test(path);
      if (!hit) continue;
      r.left--;
      this.stats.fired[r.fault.kind] = (this.stats.fired[r.fault.kind] ?? 0) + 1;
      return r.fault;
    }
    return undefined;
  }

  scopeOf(req: SimRequest): string {
    return req.mailbox?.id ?? 'tenant';
  }

  /** A 429 for a request that came back too early, with the penalty added to its wait. */
  checkEarly(req: SimRequest): SimResponse | undefined {
    const scope = this.scopeOf(req);
    const until = this.notBefore.get(scope);
    const now = this.clock.now();
    if (until === undefined || now >= until) return undefined;
    const retry = this.throttled.get(scope)?.has(`${req.method} ${req.canonicalPath ?? req.path}`) === true;
    if (!retry || (req.batch !== undefined && this.announcedIn.get(scope) === req.batch)) {
      // Throttled like the request before it, but not an early retry: another request to the same
      // mailbox that may have been on its way before the client heard (or a later step of the same $batch).
      return graphError(429, 'ApplicationThrottled', 'Application is over its request limit.', { 'retry-after': String(Math.ceil((until - now) / 1000)) });
    }
    this.stats.earlyRetries++;
    const wait = Math.ceil((until - now) / 1000) + EARLY_RETRY_PENALTY_SECONDS;
    this.notBefore.set(scope, now + wait * 1000);
    this.noteThrottled(req);
    return graphError(429, 'ApplicationThrottled', 'Application is over its request limit: a retry came before Retry-After elapsed.',
      { 'retry-after': String(wait) });
  }

  private noteThrottled(req: SimRequest): void {
    const scope = this.scopeOf(req);
    const set = this.throttled.get(scope) ?? new Set<string>();
    set.add(`${req.method} ${req.canonicalPath ?? req.path}`);
    this.throttled.set(scope, set);
  }

  /** The response for a status fault, recording the Retry-After window it announces. */
  statusResponse(req: SimRequest, fault: Extract<Fault, { kind: 'status' }>): SimResponse {
    const headers: Record<string, string> = {};
    const ra = fault.retryAfter ?? (fault.status === 429 ? { seconds: 2 } : 'none');
    const now = this.clock.now();
    if (ra !== 'none') {
      const seconds = 'seconds' in ra ? ra.seconds : ra.httpDateInSeconds;
      // An HTTP date has one-second resolution: round the instant up so the announced wait is whole.
      const until = Math.ceil((now + seconds * 1000) / 1000) * 1000;
      headers['retry-after'] = 'seconds' in ra ? String(seconds) : new Date(until).toUTCString();
      this.notBefore.set(this.scopeOf(req), 'seconds' in ra ? now + seconds * 1000 : until);
      this.announcedIn.set(this.scopeOf(req), req.batch);
      this.noteThrottled(req);
    }
    if (fault.status === 403) return graphError(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
    const code = fault.status === 429 ? 'TooManyRequests' : fault.status === 503 ? 'ServiceUnavailable'
      : fault.status === 504 ? 'GatewayTimeout' : 'InternalServerError';
    return graphError(fault.status, code, `Simulated ${fault.status}.`, headers);
  }

  /** Claims a concurrency slot for the request's mailbox, or answers 429. */
  enter(req: SimRequest): SimResponse | undefined {
    if (!req.mailbox) return undefined;
    const n = this.inFlight.get(req.mailbox.id) ?? 0;
    if (n >= MAILBOX_CONCURRENCY) {
      this.stats.concurrencyRejections++;
      return graphError(429, 'ApplicationThrottled', 'Application is over its MailboxConcurrency limit.', { 'retry-after': '1' });
    }
    this.inFlight.set(req.mailbox.id, n + 1);
    return undefined;
  }

  leave(req: SimRequest): void {
    if (!req.mailbox) return;
    this.inFlight.set(req.mailbox.id, Math.max(0, (this.inFlight.get(req.mailbox.id) ?? 1) - 1));
  }
}
