/**
 * Injectable faults. A rule matches requests by method and path (the canonical path, e.g.
 * /gmail/v1/users/clerk@x/messages/send, /calendar/v3/calendars/clerk@x/events, /token; a string
 * matches as a substring, and the path as sent is tried too) and fires `times` times (default 1).
 * `when: 'after'` lets the request take effect first and then answers with the fault, as when a
 * send went through but the front end timed out.
 */
import { googleError, type SimResponse } from './wire.js';

export type RateReason = 'rateLimitExceeded' | 'userRateLimitExceeded';

export type Fault =
  | { kind: 'status'; status: 429 | 403 | 500 | 502 | 503 | 504; reason?: RateReason; when?: 'before' | 'after'; retryAfterSeconds?: number; message?: string }
  /** 401 authError although the token is valid and unexpired. */
  | { kind: 'unauthorized' }
  /** The TCP connection is destroyed without a response, before or after the request takes effect. */
  | { kind: 'drop'; when?: 'before' | 'after' };

export interface FaultRule {
  method?: string;
  path: string | RegExp;
  times?: number;
  fault: Fault;
}

export interface FaultStats {
  /** Faults fired, by kind ('status', 'unauthorized', 'drop'). */
  fired: Record<string, number>;
}

export const DROP = 0;

export class Faults {
  private readonly rules: Array<FaultRule & { left: number }> = [];
  readonly stats: FaultStats = { fired: {} };

  add(rule: FaultRule): void {
    this.rules.push({ ...rule, left: rule.times ?? 1 });
  }

  /** Rules that have not fired as often as asked. */
  pending(): FaultRule[] {
    return this.rules.filter((r) => r.left > 0);
  }

  clear(): void {
    this.rules.length = 0;
  }

  take(method: string, paths: string[]): Fault | undefined {
    for (const r of this.rules) {
      if (r.left <= 0) continue;
      if (r.method && r.method.toUpperCase() !== method.toUpperCase()) continue;
      const hit = paths.some((p) => (typeof r.path === 'string' ? p.includes(r.path) : r.path.test(p)));
      if (!hit) continue;
      r.left--;
      this.stats.fired[r.fault.kind] = (this.stats.fired[r.fault.kind] ?? 0) + 1;
      return r.fault;
    }
    return undefined;
  }

  /** The response a fault answers with (DROP: destroy the connection). */
  response(fault: Fault): SimResponse {
    if (fault.kind === 'drop') return { status: DROP };
    if (fault.kind === 'unauthorized') return unauthorized();
    const headers: Record<string, string> = fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : {};
    if (fault.message !== undefined) {
      // Google's own words for this answer, e.g. Gmail's sending limit ("… Retry after <RFC 3339 time> (Mail sending)").
      const reason = fault.status >= 500 ? 'backendError' : (fault.reason ?? (fault.status === 429 ? 'rateLimitExceeded' : 'userRateLimitExceeded'));
      return googleError(fault.status, fault.message, { domain: fault.status >= 500 ? 'global' : 'usageLimits', reason, message: fault.message }, headers);
    }
    switch (fault.status) {
      case 429:
        return fault.reason === 'userRateLimitExceeded'
          ? googleError(429, 'User-rate limit exceeded.', { domain: 'usageLimits', reason: 'userRateLimitExceeded', message: 'User Rate Limit Exceeded' }, headers)
          : googleError(429, 'Too many concurrent requests for user.', { reason: 'rateLimitExceeded' }, headers);
      case 403:
        return fault.reason === 'rateLimitExceeded'
          ? googleError(403, 'Rate Limit Exceeded', { domain: 'usageLimits', reason: 'rateLimitExceeded' }, headers)
          : googleError(403, 'User Rate Limit Exceeded', { domain: 'usageLimits', reason: 'userRateLimitExceeded' }, headers);
      case 500:
        return googleError(500, 'Backend Error', { reason: 'backendError' }, headers);
      case 503:
        return googleError(503, 'The service is currently unavailable.', { reason: 'backendError' }, headers);
      default:
        return googleError(fault.status, 'Backend Error', { reason: 'backendError' }, headers);
    }
  }
}

/** 401 as Google answers a missing, unknown or expired access token. */
export function unauthorized(): SimResponse {
  return googleError(401,
    'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
    { reason: 'authError', message: 'Invalid Credentials', location: 'Authorization', locationType: 'header' },
    { 'www-authenticate': 'Bearer realm="https://accounts.google.com/", error="invalid_token"' });
}
