/**
 * What went wrong talking to Google Workspace, in words a Clerk (and the IT contractor they ring)
 * can act on: which user, which setting, which grant in the Admin console. Google answers in two
 * shapes: the token endpoint's OAuth error (`{ error: 'unauthorized_client', error_description }`)
 * and the APIs' JSON (`{ error: { code, message, errors: [{ domain, reason }], status } }`); both are
 * read here, and each failure we know of is explained in plain English.
 */
import { z } from 'zod';
import { errorMessage } from '../../src/model/error-message.js';

/** Where in the Admin console domain-wide delegation is granted. */
export const DELEGATION_PAGE = 'Security › Access and data control › API controls › Manage Domain Wide Delegation';

/** What a message about a refused grant needs: the whole grant in words (see `describeGrant`), and the scopes the token asked for. */
export interface GrantAdvice {
  /** "In the Google Admin console, go to … and add the client ID … with exactly these OAuth scopes: …". */
  grant: string;
  /** The scopes this user's token was asked with. */
  scopes: readonly string[];
  /** Where the key came from ("the key file /etc/…"), for a refused key. */
  keyOrigin?: string;
}

/** Google's error, as read from either shape. */
export interface GoogleErrorBody {
  /** HTTP status Google put in the body (0 if none). */
  code: number;
  message: string;
  /** `PERMISSION_DENIED`, `NOT_FOUND`… (APIs), or the OAuth error (`invalid_grant`) for the token endpoint. */
  status: string;
  /** The first `errors[].reason`: `rateLimitExceeded`, `insufficientPermissions`, `notFound`, `fullSyncRequired`… */
  reason: string;
  domain: string;
}

/** Google's error shapes: the token endpoint's, and the APIs' `{ error: { code, message, status, errors, details } }`. */
const TokenErrorSchema = z.object({ error: z.string(), error_description: z.string().catch('') });
const ApiErrorSchema = z.object({
  error: z.object({
    code: z.number().catch(0),
    message: z.string().catch(''),
    status: z.string().catch(''),
    errors: z.array(z.object({ reason: z.string().catch(''), domain: z.string().catch('') }).catch({ reason: '', domain: '' })).catch([]),
    details: z.array(z.object({ reason: z.string().catch('') }).catch({ reason: '' })).catch([]),
  }),
});

/** Reads Google's error from a response body (already parsed JSON, or text). */
export function errorBodyOf(data: unknown): GoogleErrorBody {
  const out: GoogleErrorBody = { code: 0, message: '', status: '', reason: '', domain: '' };
  let value = data;
  if (typeof value === 'string') {
    const text = value;
    try {
      value = JSON.parse(text);
    } catch {
      return { ...out, message: text.slice(0, 300) };
    }
  }
  if (Buffer.isBuffer(value)) return errorBodyOf(value.toString('utf8'));
  if (value instanceof ArrayBuffer) return errorBodyOf(Buffer.from(value).toString('utf8'));
  // The token endpoint: { error: 'invalid_grant', error_description: '…' }.
  const token = TokenErrorSchema.safeParse(value);
  if (token.success) return { ...out, status: token.data.error, reason: token.data.error, message: token.data.error_description };
  const api = ApiErrorSchema.safeParse(value);
  if (!api.success) return out;
  const e = api.data.error;
  out.code = e.code;
  out.message = e.message;
  out.status = e.status;
  out.reason = e.errors[0]?.reason ?? '';
  out.domain = e.errors[0]?.domain ?? '';
  // Newer APIs put the reason in details[].reason (ErrorInfo), e.g. SERVICE_DISABLED.
  if (out.reason === '') out.reason = e.details.find((d) => d.reason !== '')?.reason ?? '';
  return out;
}

/** The 403 reasons that mean "slow down" (Google did not act on the request). */
export const RATE_LIMIT_REASONS: ReadonlySet<string> = new Set(['rateLimitExceeded', 'userRateLimitExceeded', 'RATE_LIMIT_EXCEEDED']);
/** The 403 reasons that mean a quota for the day (or the project) is spent: waiting minutes will not help. */
export const QUOTA_REASONS: ReadonlySet<string> = new Set(['quotaExceeded', 'dailyLimitExceeded', 'dailyLimitExceededUnreg', 'RESOURCE_EXHAUSTED']);

/** A 429, or a 403 whose reason is a rate limit: Google did not act, and asks for a pause. */
export function isRateLimited(status: number, reason: string): boolean {
  return status === 429 || (status === 403 && RATE_LIMIT_REASONS.has(reason));
}

export type GoogleFailure =
  | 'throttled'
  | 'quota'
  | 'unavailable'
  | 'unauthorised'
  | 'forbidden'
  | 'not-found'
  /** A history id or sync token Google no longer knows: start afresh (Gmail 404 on history.list, Calendar 410). */
  | 'gone'
  | 'conflict'
  | 'bad-request'
  | 'network'
  | 'other';

/** What kind of failure a status and reason are. `path` (below the root) tells a stale Gmail history id from a missing message. */
export function failureOf(status: number, reason: string, path = ''): GoogleFailure {
  if (isRateLimited(status, reason)) return 'throttled';
  if (status === 403 && QUOTA_REASONS.has(reason)) return 'quota';
  if (status >= 500) return 'unavailable';
  if (status === 401) return 'unauthorised';
  if (status === 403) return 'forbidden';
  if (status === 410 || reason === 'fullSyncRequired' || reason === 'updatedMinTooLongAgo') return 'gone';
  if (status === 404) return /\/gmail\/v1\/users\/[^/]+\/history\/?$/.test(path) ? 'gone' : 'not-found';
  if (status === 409 || status === 412) return 'conflict';
  if (status === 400 || status === 422) return 'bad-request';
  return 'other';
}

/**
 * A Google request that failed for good (after the transport's retries). `permanent` says trying
 * again later cannot help until someone changes something (a refused grant, a missing item, a bad
 * request); `failure: 'gone'` says the caller's history id or sync token must be dropped.
 */
export class GoogleApiError extends Error {
  override readonly name = 'GoogleApiError';
  /** HTTP status, 0 for a network failure. */
  readonly status: number;
  /** Google's reason (`errors[0].reason`), e.g. `insufficientPermissions`, `notFound`; `network` for a network failure. */
  readonly reason: string;
  readonly failure: GoogleFailure;
  readonly permanent: boolean;
  /** The user the request was made as (the mailbox, or the calendar's acting user). */
  readonly subject: string;
  /** Google's own words, when it gave any. */
  readonly googleMessage: string;
  /** Throttled with a wait longer than a call takes: the time Google said to try again after. */
  readonly retryAt: Date | undefined;
  constructor(
    message: string,
    fields: { status: number; reason: string; failure: GoogleFailure; subject: string; googleMessage?: string; permanent?: boolean; retryAt?: Date },
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.status = fields.status;
    this.reason = fields.reason;
    this.failure = fields.failure;
    this.subject = fields.subject;
    this.googleMessage = fields.googleMessage ?? '';
    this.retryAt = fields.retryAt;
    this.permanent = fields.permanent ?? ['forbidden', 'not-found', 'bad-request'].includes(fields.failure);
  }
}

/**
 * An unsafe request (a send, a patch that sends invitations) that may have taken effect though no
 * success came back: a 5xx, or the connection broke after it was sent. The transport never repeats
 * it; the caller finds out for itself (a send searches Sent by `rfc822msgid:`).
 */
export class GoogleOutcomeUnknownError extends Error {
  override readonly name = 'GoogleOutcomeUnknownError';
  readonly subject: string;
  constructor(message: string, subject: string, options?: { cause?: unknown }) {
    super(message, options);
    this.subject = subject;
  }
}

export type SignInFailure =
  /** Domain-wide delegation missing, or missing a scope asked for (unauthorized_client). */
  | 'delegation'
  /** The user is not in the council's Workspace (invalid_grant: Invalid email or User ID). */
  | 'unknown-user'
  /** The key was refused or could not be used. */
  | 'key'
  /** This machine's clock is wrong. */
  | 'clock'
  /** The service account is blocked, disabled or deleted (access_denied, invalid_client, disabled_client). */
  | 'denied'
  /** The token endpoint could not be reached, or failed: worth trying again. */
  | 'network'
  | 'unavailable'
  | 'other';

/** A failed sign-in as a user, explained. */
export class GoogleSignInError extends Error {
  override readonly name = 'GoogleSignInError';
  readonly subject: string;
  /** The OAuth error code (`unauthorized_client`, `invalid_grant`…), or a network code. */
  readonly code: string;
  readonly failure: SignInFailure;
  /** True when only a change of settings or grants can help (not network trouble). */
  readonly permanent: boolean;
  constructor(message: string, fields: { subject: string; code: string; failure: SignInFailure }, options?: { cause?: unknown }) {
    super(message, options);
    this.subject = fields.subject;
    this.code = fields.code;
    this.failure = fields.failure;
    this.permanent = !['network', 'unavailable'].includes(fields.failure);
  }
}

function firstLine(text: string): string {
  const line = text.split(/\r?\n/)[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

interface HttpErrorLike {
  status?: number;
  data?: unknown;
}

/**
 * What is read of an error thrown by gaxios (googleapis' HTTP client), each part checked: a part
 * missing or of another type reads as absent.
 */
const GaxiosErrorSchema = z.object({
  response: z.object({ status: z.number().optional().catch(undefined), data: z.unknown(), headers: z.unknown() }).optional().catch(undefined),
  config: z.object({ url: z.unknown() }).optional().catch(undefined),
});

/** The parts of a gaxios error Wardwatch reads; undefined when `err` is not an object. */
export function gaxiosErrorParts(err: unknown): z.output<typeof GaxiosErrorSchema> | undefined {
  const parsed = GaxiosErrorSchema.safeParse(err);
  return parsed.success ? parsed.data : undefined;
}

/** The HTTP answer an error from gaxios carries, if any. */
export function responseOf(err: unknown): HttpErrorLike | undefined {
  const response = gaxiosErrorParts(err)?.response;
  if (response === undefined) return undefined;
  return { ...(response.status !== undefined ? { status: response.status } : {}), data: response.data };
}

/** A link in an error's chain of causes: its system error code, if it has one. */
const ErrorCauseSchema = z.object({ code: z.unknown(), errno: z.unknown(), cause: z.unknown() });

/** The system error code (ECONNRESET…) of a failed request, looking through its causes. */
export function networkCodeOf(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 5; depth++) {
    const link = ErrorCauseSchema.safeParse(e);
    if (!link.success) return undefined;
    const { code, errno, cause } = link.data;
    if (typeof code === 'string' && /^E[A-Z_]+$|^UND_ERR/.test(code)) return code;
    if (typeof errno === 'string' && /^E[A-Z_]+$/.test(errno)) return errno;
    e = cause;
  }
  return undefined;
}

/**
 * Explains why signing in as `subject` failed: the token endpoint's OAuth error (read from the
 * answer, or from gtoken's message `invalid_grant: …`), a key that cannot sign, or the network.
 */
export function explainSignIn(err: unknown, subject: string, advice: GrantAdvice): GoogleSignInError {
  const res = responseOf(err);
  const body = res?.data !== undefined ? errorBodyOf(res.data) : undefined;
  const text = errorMessage(err);
  let code = body?.status !== undefined && body.status !== '' ? body.status : '';
  let description = body?.message ?? '';
  if (code === '') {
    const m = /^([a-z_]+): ?(.*)$/s.exec(text);
    if (m?.[1] !== undefined && /^(invalid_grant|unauthorized_client|access_denied|invalid_client|disabled_client|invalid_scope|invalid_request)$/.test(m[1])) {
      code = m[1];
      description = m[2] ?? '';
    }
  }
  const said = description !== '' ? ` Google said: "${firstLine(description)}"` : '';
  const make = (failure: SignInFailure, message: string): GoogleSignInError => new GoogleSignInError(message, { subject, code: code || failure, failure }, { cause: err });
  const scopes = advice.scopes.join(', ');
  switch (code) {
    case 'unauthorized_client':
      return make(
        'delegation',
        `Google would not let Wardwatch's service account act as ${subject} (unauthorized_client): domain-wide delegation is not granted to its client ID, or not for every scope Wardwatch asked for (${scopes}). ${advice.grant}. A new grant can take some minutes to apply.${said}`,
      );
    case 'invalid_grant':
      if (/invalid email|user id|not a valid email/i.test(description)) {
        return make(
          'unknown-user',
          `Google does not know the user ${subject} (invalid_grant): Wardwatch acts as each mailbox's or calendar's user, so the address must be a user of the council's Google Workspace (not a group, an alias or a suspended account). Check it in the config's mailboxes and in connectors.google (mailboxes, calendars … actAs).${said}`,
        );
      }
      if (/iat|exp|timeframe|short-lived|clock/i.test(description)) {
        return make('clock', `Google refused the sign-in as ${subject} because this machine's clock is wrong (invalid_grant). Set its time (NTP) and Wardwatch will sign in again.${said}`);
      }
      if (/signature|invalid jwt|account not found|deleted/i.test(description)) {
        return make(
          'key',
          `Google refused the service account's key (invalid_grant) from ${advice.keyOrigin ?? 'connectors.google'}: the key was deleted, or belongs to another service account. Make a new JSON key in Google Cloud console (IAM & Admin › Service accounts › Keys › Add key) and give it to Wardwatch (connectors.google.keyFile or key).${said}`,
        );
      }
      return make('other', `Google refused the sign-in as ${subject} (invalid_grant). Check the user's address and the service account's key.${said}`);
    case 'access_denied':
      return make(
        'denied',
        `Google denied the service account access to ${subject} (access_denied): the council's Workspace blocks it. In the Google Admin console, Security › Access and data control › API controls › App access control, mark the service account's app as Trusted, and check that Gmail and Calendar are on for the user's organisational unit (Apps › Google Workspace).${said}`,
      );
    case 'invalid_client':
    case 'disabled_client':
      return make(
        'denied',
        `Google does not accept the service account (${code}): it is disabled or deleted. Check it in Google Cloud console (IAM & Admin › Service accounts) and its key in ${advice.keyOrigin ?? 'connectors.google'}.${said}`,
      );
    case 'invalid_scope':
      return make('other', `Google did not recognise a scope Wardwatch asked for (${scopes}) (invalid_scope). This is a fault in Wardwatch: please report it with the log line.${said}`);
    default:
      break;
  }
  if (res?.status !== undefined && res.status >= 500) {
    return make('unavailable', `Google's sign-in service failed (${res.status}) while signing in as ${subject}; Wardwatch will try again.${said}`);
  }
  if (res === undefined) {
    const net = networkCodeOf(err);
    if (net !== undefined || /fetch failed|socket hang up|network|timeout|aborted/i.test(text)) {
      return new GoogleSignInError(
        `Wardwatch could not reach Google's sign-in service (${net ?? firstLine(text)}). Check this machine's network and firewall (oauth2.googleapis.com must be reachable on port 443); Wardwatch will try again.`,
        { subject, code: net ?? 'network', failure: 'network' },
        { cause: err },
      );
    }
    if (/DECODER|PEM|private key|asymmetric|secretOrPrivateKey|bad decrypt|unsupported/i.test(text)) {
      return new GoogleSignInError(
        `Wardwatch could not sign with the service account's key from ${advice.keyOrigin ?? 'connectors.google'} (${firstLine(text)}): the private_key is damaged. Use the JSON key file exactly as Google Cloud console gave it.`,
        { subject, code: 'bad_key', failure: 'key' },
        { cause: err },
      );
    }
  }
  return make('other', `Wardwatch could not sign in to Google Workspace as ${subject}${code !== '' ? ` (${code})` : ''}: ${firstLine(description || text)}. Check connectors.google's key and the domain-wide delegation. ${advice.grant}.`);
}

/** A sentence for a failed API request: what was refused, for whom, and what to change. */
export function describeFailure(status: number, body: GoogleErrorBody, subject: string, what: string, advice: GrantAdvice, path = ''): string {
  const failure = failureOf(status, body.reason, path);
  const said = body.message !== '' ? ` Google said: "${firstLine(body.message)}"` : '';
  const tag = `${status}${body.reason !== '' ? ` ${body.reason}` : ''}`;
  if (/delegation denied/i.test(body.message)) {
    return (
      `Google refused ${what} as ${subject} (${tag}): the request named another user's mailbox than the one Wardwatch signed in as, which domain-wide delegation does not allow. ` +
      `Wardwatch signs in as each user in turn; if this persists, check that the user is in connectors.google and that the grant is complete. ${advice.grant}.${said}`
    );
  }
  if (body.reason === 'insufficientPermissions' || body.reason === 'ACCESS_TOKEN_SCOPE_INSUFFICIENT' || /insufficient authentication scopes/i.test(body.message)) {
    return `Google refused ${what} as ${subject} (${tag}): the sign-in did not carry the scope this needs (it had ${advice.scopes.join(', ') || 'none'}). ${advice.grant}.${said}`;
  }
  if (body.reason === 'accessNotConfigured' || body.reason === 'SERVICE_DISABLED') {
    return `Google refused ${what} (${tag}): the Gmail API or Google Calendar API is not enabled for the service account's Google Cloud project. In Google Cloud console, APIs & Services › Library, enable the Gmail API and the Google Calendar API for that project.${said}`;
  }
  if (body.reason === 'domainPolicy') {
    return `Google refused ${what} as ${subject} (${tag}): the council's Workspace has turned this service off for the user. In the Google Admin console, Apps › Google Workspace, turn Gmail and Calendar on for the user's organisational unit.${said}`;
  }
  if (body.reason === 'failedPrecondition' && /mail service not enabled/i.test(body.message)) {
    return `Google has no Gmail for ${subject} (${tag}): the user has no Gmail (no licence, or Gmail off for its organisational unit). Give the user Gmail in the Admin console, or leave the mailbox out of connectors.google.${said}`;
  }
  switch (failure) {
    case 'forbidden':
      if (body.reason === 'requiredAccessLevel' || /writer access|make changes|requiredAccessLevel/i.test(`${body.reason} ${body.message}`) || (body.reason === 'forbidden' && /calendar/.test(path))) {
        return `Google refused ${what} as ${subject} (${tag}): ${subject} may not change events on this calendar. Share the calendar with ${subject} with "Make changes to events" (Calendar settings › Share with specific people), or name a user who has that access as actAs in connectors.google.calendars.${said}`;
      }
      return `Google refused ${what} as ${subject} (${tag}). Check the domain-wide delegation of the service account. ${advice.grant}.${said}`;
    case 'not-found':
      return `Google has no such item for ${what} as ${subject} (${tag}): check the address or calendar id in connectors.google, and that ${subject} can see the calendar.${said}`;
    case 'gone':
      return `Google no longer knows the position Wardwatch kept for ${what} as ${subject} (${tag}); Wardwatch reads it afresh.${said}`;
    case 'unauthorised':
      return `Google did not accept Wardwatch's sign-in for ${what} as ${subject} (${tag}), even after signing in afresh.${said}`;
    case 'throttled':
      return `Google is limiting requests for ${subject} (${tag}) and kept doing so after Wardwatch waited; Wardwatch will try again at the next round.`;
    case 'quota':
      return `Google's quota is spent for ${what} as ${subject} (${tag}): the service account's project has used its allowance (Google Cloud console › APIs & Services › Quotas). Wardwatch will try again later.${said}`;
    case 'unavailable':
      return `Google was unavailable for ${what} as ${subject} (${tag}) after several tries; Wardwatch will try again at the next round.${said}`;
    case 'conflict':
      return `Google refused ${what} as ${subject} (${tag}): the item changed meanwhile.${said}`;
    case 'bad-request':
      return `Google refused ${what} as ${subject} as a bad request (${tag}).${said}`;
    default:
      return `Google refused ${what} as ${subject} (${tag}).${said}`;
  }
}
