/**
 * Google's OAuth 2.0 token endpoint, as far as a service account with domain-wide delegation
 * needs it: the JWT bearer grant (RFC 7523) with an RS256 assertion signed by the account's key,
 * impersonating a user (`sub`) for scopes the domain granted the account. Tokens are bound to
 * (sub, scopes) and checked on every Gmail and Calendar request.
 */
import { createPublicKey, randomBytes, verify, type KeyObject } from 'node:crypto';
import type { Clock, GoogleState } from './state.js';
import type { SimResponse } from './wire.js';

export interface ServiceAccount {
  readonly clientEmail: string;
  /** The public half of the key in the account's JSON key file (PEM, SPKI or PKCS#1). */
  readonly publicKeyPem: string;
  /** What the Workspace admin granted the account's client id in domain-wide delegation. */
  readonly grants: { scopes: string[] };
}

export interface IssuedToken {
  readonly clientEmail: string;
  readonly sub: string;
  readonly scopes: readonly string[];
  readonly expiresAt: number;
}

export const TOKEN_LIFETIME_SECONDS = 3600;
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
export const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
export const UNAUTHORIZED_CLIENT_MESSAGE = 'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.';
/** Leeway for `iat` in the future and `exp` in the past, as Google allows for clock skew. */
const SKEW_SECONDS = 300;

function b64urlJson(part: string | undefined): Record<string, unknown> | undefined {
  if (!part) return undefined;
  try {
    const v: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export interface TokenAttempt {
  readonly clientEmail: string;
  readonly sub?: string;
  readonly scopes: string[];
  readonly ok: boolean;
  readonly error?: string;
}

export class Auth {
  readonly accounts = new Map<string, ServiceAccount & { key: KeyObject }>();
  private readonly tokens = new Map<string, IssuedToken>();
  /** Token requests answered, successful or not. */
  readonly tokenRequests: TokenAttempt[] = [];
  /**
   * The clock `iat`/`exp` of an assertion are checked against. gtoken signs with the real time,
   * so by default the real clock; set to the simulator's clock to test expired assertions with it.
   */
  assertionClock: Clock = { now: () => Date.now() };

  constructor(private readonly state: GoogleState, private readonly clock: Clock) {}

  addServiceAccount(account: ServiceAccount): void {
    this.accounts.set(account.clientEmail, { ...account, key: createPublicKey(account.publicKeyPem) });
  }

  /** POST /token with a form body. */
  token(form: URLSearchParams): SimResponse & { sub?: string } {
    const assertion = form.get('assertion') ?? '';
    const [h, p, s] = assertion.split('.');
    const header = b64urlJson(h);
    const payload = b64urlJson(p);
    const iss = typeof payload?.['iss'] === 'string' ? payload['iss'] : '';
    const sub = typeof payload?.['sub'] === 'string' ? payload['sub'].toLowerCase() : undefined;
    const scopes = typeof payload?.['scope'] === 'string' ? payload['scope'].split(/\s+/).filter((x) => x !== '') : [];
    const fail = (status: number, error: string, description: string): SimResponse & { sub?: string } => {
      this.tokenRequests.push({ clientEmail: iss, ...(sub ? { sub } : {}), scopes, ok: false, error });
      return { status, body: { error, error_description: description }, ...(sub ? { sub } : {}) };
    };
    if (form.get('grant_type') !== JWT_BEARER) return fail(400, 'unsupported_grant_type', 'Invalid grant_type: ' + (form.get('grant_type') ?? ''));
    if (!header || !payload || s === undefined) return fail(400, 'invalid_request', 'Invalid JWT: Malformed.');
    const account = this.accounts.get(iss);
    if (!account) return fail(400, 'invalid_grant', 'Invalid grant: account not found');
    const ok = header['alg'] === 'RS256' && verify('sha256', Buffer.from(`${h}.${p}`), account.key, Buffer.from(s, 'base64url'));
    if (!ok) return fail(400, 'invalid_grant', 'Invalid JWT Signature.');
    if (payload['aud'] !== GOOGLE_TOKEN_URL) return fail(400, 'invalid_grant', 'Invalid JWT: Failed audience check.');
    const now = this.assertionClock.now() / 1000;
    const iat = payload['iat'];
    const exp = payload['exp'];
    if (typeof iat !== 'number' || typeof exp !== 'number' || exp - iat > 3600 || exp < now - SKEW_SECONDS || iat > now + SKEW_SECONDS) {
      return fail(400, 'invalid_grant', 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the assertion and use a clock with skew to account for clock differences between systems.');
    }
    if (scopes.length === 0) return fail(400, 'invalid_scope', 'Empty or missing scope not allowed.');
    if (sub === undefined || !this.state.mailbox(sub)) return fail(400, 'invalid_grant', 'Invalid email or User ID');
    if (!scopes.every((sc) => account.grants.scopes.includes(sc))) return fail(401, 'unauthorized_client', UNAUTHORIZED_CLIENT_MESSAGE);
    const accessToken = `ya29.c.${randomBytes(48).toString('base64url')}`;
    this.tokens.set(accessToken, { clientEmail: iss, sub, scopes, expiresAt: this.clock.now() + TOKEN_LIFETIME_SECONDS * 1000 });
    this.tokenRequests.push({ clientEmail: iss, sub, scopes, ok: true });
    return { status: 200, body: { access_token: accessToken, expires_in: TOKEN_LIFETIME_SECONDS, token_type: 'Bearer' }, sub };
  }

  /** The token behind an Authorization header, or undefined when it is missing, unknown or expired. */
  check(authorization: string | undefined): IssuedToken | undefined {
    const m = /^Bearer (\S+)$/i.exec(authorization ?? '');
    if (!m?.[1]) return undefined;
    const t = this.tokens.get(m[1]);
    if (!t || t.expiresAt <= this.clock.now()) return undefined;
    return t;
  }

  /** Every token issued so far stops working (as when the admin removes the grant). */
  revokeAll(): void {
    this.tokens.clear();
  }
}

export const SCOPES = {
  mail: 'https://mail.google.com/',
  gmailModify: 'https://www.googleapis.com/auth/gmail.modify',
  gmailReadonly: 'https://www.googleapis.com/auth/gmail.readonly',
  gmailMetadata: 'https://www.googleapis.com/auth/gmail.metadata',
  gmailSend: 'https://www.googleapis.com/auth/gmail.send',
  gmailCompose: 'https://www.googleapis.com/auth/gmail.compose',
  calendar: 'https://www.googleapis.com/auth/calendar',
  calendarReadonly: 'https://www.googleapis.com/auth/calendar.readonly',
  calendarEvents: 'https://www.googleapis.com/auth/calendar.events',
  calendarEventsReadonly: 'https://www.googleapis.com/auth/calendar.events.readonly',
} as const;

/** Which scopes allow each kind of call (any one suffices). */
export const SCOPES_FOR = {
  gmailRead: [SCOPES.mail, SCOPES.gmailModify, SCOPES.gmailReadonly, SCOPES.gmailMetadata],
  gmailSend: [SCOPES.mail, SCOPES.gmailModify, SCOPES.gmailCompose, SCOPES.gmailSend],
  gmailProfile: [SCOPES.mail, SCOPES.gmailModify, SCOPES.gmailReadonly, SCOPES.gmailMetadata, SCOPES.gmailCompose],
  calendarRead: [SCOPES.calendar, SCOPES.calendarReadonly, SCOPES.calendarEvents, SCOPES.calendarEventsReadonly],
  calendarWrite: [SCOPES.calendar, SCOPES.calendarEvents],
} as const;
