/**
 * The Google Workspace transport: everything about talking to Google that is not one capability.
 * It owns sign-in (a service account with domain-wide delegation: one google-auth-library `JWT`
 * per user and set of scopes, cached), the root address of each API, the SDK clients
 * (`gmail_v1.Gmail`, `calendar_v3.Calendar`) bound to a user, and the one place calls are run:
 *
 *   const { data } = await transport.call(transport.gmail(user), 'reading the inbox', (gmail, o) =>
 *     gmail.users.messages.list({ userId: 'me', labelIds: ['INBOX'], maxResults: 100 }, o));
 *
 * Quotas and faults, as Google documents them:
 * - 429, and 403 `rateLimitExceeded` / `userRateLimitExceeded`: Google did not act; wait (Retry-After
 *   when given, else exponential backoff with jitter) and try again; every request for that user
 *   waits too. Retried for every call, sends included.
 * - 5xx and a dropped connection: retried with backoff for `safe` calls (reads, and changes that
 *   may be repeated); for `unsafe` ones (a send, a patch that sends invitations) Google may have
 *   acted, so the caller gets GoogleOutcomeUnknownError and finds out for itself.
 * - 401 with a token that should be valid: sign in afresh, once.
 * - at most four requests in flight per user (Gmail allows 250 quota units per user per second;
 *   four keeps well inside it).
 * gaxios retries on its own (GET on 5xx, the token POST) and ignores Retry-After: every SDK client
 * and every token request here has `retry: false`, so the transport alone decides.
 *
 * Each `fn` given to `call` makes exactly one SDK request, passing on the options it is given.
 */
import { JWT } from 'google-auth-library';
import { z } from 'zod';
import { calendar_v3 } from 'googleapis/build/src/apis/calendar/v3.js';
import { gmail_v1 } from 'googleapis/build/src/apis/gmail/v1.js';
import type { SourceHealth } from '../../src/sources/types.js';
import { errorMessage } from '../../src/model/error-message.js';
import { abortableSleep, jitteredBackoff, retryAfterMs } from '../../src/sources/retry-timing.js';
import { describeGrant, SCOPES, type GoogleSettings } from './config.js';
import {
  describeFailure,
  errorBodyOf,
  explainSignIn,
  failureOf,
  gaxiosErrorParts,
  GoogleApiError,
  GoogleOutcomeUnknownError,
  GoogleSignInError,
  isRateLimited,
  networkCodeOf,
  responseOf,
  type GrantAdvice,
} from './errors.js';

/** Where gtoken sends the token request (fixed in the library; a test's tuning points it elsewhere). */
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
export const DEFAULT_ROOT = { gmail: 'https://gmail.googleapis.com/', calendar: 'https://www.googleapis.com/' } as const;
/** Requests in flight per user. */
export const USER_CONCURRENCY = 4;
/** The longest wait for a rate limit taken within one call (see GoogleTransportOptions.maxWaitMs). */
export const MAX_CALL_WAIT_MS = 5 * 60_000;

export type GoogleApi = 'gmail' | 'calendar';
/** What a Gmail client may do: `read` (gmail.readonly) or `send` (gmail.send). */
export type GmailAccess = 'read' | 'send';

/** An SDK client bound to the user it acts as, with the scopes its token carries. Get one from `gmail()` or `calendar()`. */
export interface GoogleClient<Sdk> {
  readonly subject: string;
  readonly api: GoogleApi;
  readonly scopes: readonly string[];
  readonly sdk: Sdk;
  /** The signer's key in the transport's cache. */
  readonly signer: string;
}

export type GmailClient = GoogleClient<gmail_v1.Gmail>;
export type CalendarClient = GoogleClient<calendar_v3.Calendar>;

/** Options `fn` passes on as the SDK method's second argument. */
export interface SdkCallOptions {
  signal?: AbortSignal;
}

export interface CallOptions {
  /**
   * `safe` (the default): repeating it is harmless, so rate limits, 5xx and dropped connections are
   * retried. `unsafe`: it must not happen twice (a send, a patch with sendUpdates): retried only when
   * Google certainly did not act (429 and 403 rate limits, 401, a refused connection); otherwise the
   * caller gets GoogleOutcomeUnknownError.
   */
  retry?: 'safe' | 'unsafe';
  signal?: AbortSignal;
}

export interface GoogleTransportOptions {
  /** Below it `gmail/v1/…` and `calendar/v3/…` (tests: the simulator's); default Google's own per API. */
  rootUrl?: string;
  /** Where token requests go instead of https://oauth2.googleapis.com/token (tests: the simulator's). */
  tokenUrl?: string;
  /** Sleeps (for Retry-After and backoff); tests pass one that moves a simulated clock. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => Date;
  /** Log lines about retries and failures (never a token or a message body). */
  log?: { debug(fields: Record<string, unknown>, msg?: string): void; warn(fields: Record<string, unknown>, msg?: string): void };
  /** How many tries a call gets in all (default 6). */
  maxAttempts?: number;
  /** The first backoff without Retry-After, in ms (default 1,000; doubles up to 60 s, with jitter). */
  backoffMs?: number;
  /** A request that gets no answer for this long is given up (default 100 s). */
  timeoutMs?: number;
  /** Requests in flight per user (default 4). */
  concurrency?: number;
  /**
   * The longest wait a call takes when Google asks it to wait (default 5 minutes). Asked to wait
   * longer (a Retry-After of hours, Gmail's daily sending limit), the call fails at once as
   * throttled (GoogleApiError with `retryAt`), so the round fails and the next round tries.
   */
  maxWaitMs?: number;
  /** After a sign-in refused for good, how long before asking Google again for that user (default 60 s); calls meanwhile fail at once. */
  signInRetryMs?: number;
}

/** Gmail quota units per method, as Google's usage-limits table gives them, by method and path below `gmail/v1/users/{user}/`. */
const GMAIL_UNITS: readonly [method: string, path: RegExp, units: number][] = [
  ['GET', /^profile$/, 1],
  ['GET', /^history$/, 2],
  ['GET', /^messages$/, 5],
  ['POST', /^messages\/send$/, 100],
  ['POST', /^messages\/batchModify$/, 50],
  ['POST', /^messages\/batchDelete$/, 50],
  ['POST', /^messages\/import$/, 25],
  ['POST', /^messages$/, 25],
  ['GET', /^messages\/[^/]+\/attachments\/[^/]+$/, 5],
  ['POST', /^messages\/[^/]+\/(?:modify|trash|untrash)$/, 5],
  ['GET', /^messages\/[^/]+$/, 5],
  ['DELETE', /^messages\/[^/]+$/, 10],
  ['GET', /^threads$/, 10],
  ['GET', /^threads\/[^/]+$/, 10],
  ['GET', /^labels(?:\/[^/]+)?$/, 1],
  ['GET', /^drafts(?:\/[^/]+)?$/, 5],
  ['POST', /^drafts$/, 10],
  ['POST', /^drafts\/send$/, 100],
];

/** The Gmail quota units a request costs (0 for Calendar and unknown paths). `path` is the URL's path, `/gmail/v1/users/…`. */
export function gmailQuotaUnits(method: string, path: string): number {
  const m = /\/gmail\/v1\/users\/[^/]+\/(.+?)\/?$/.exec(path);
  if (m?.[1] === undefined) return 0;
  const rest = m[1];
  for (const [verb, re, units] of GMAIL_UNITS) if (verb === method.toUpperCase() && re.test(rest)) return units;
  return 0;
}

interface Waiter {
  resolve: () => void;
}

/** A user's slots, and the instant before which nothing may be sent as that user (after a rate limit). */
class UserLane {
  inFlight = 0;
  notBefore = 0;
  readonly queue: Waiter[] = [];
}

/** One JWT: a user and a set of scopes. */
interface Signer {
  subject: string;
  scopes: readonly string[];
  jwt: JWT;
  /** A sign-in refused for good, and when Google may be asked again. */
  refused?: { error: GoogleSignInError; until: number };
}

/** Network failures where the request certainly never left this machine: safe to repeat even for a send. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);

function isHttpClientError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'config' in err;
}

function pathOfFailed(err: unknown): string {
  const url = gaxiosErrorParts(err)?.config?.url;
  try {
    return url instanceof URL ? url.pathname : typeof url === 'string' ? new URL(url).pathname : '';
  } catch {
    return '';
  }
}

const HeaderRecordSchema = z.record(z.string(), z.unknown());

function hasHeaderGetter(value: unknown): value is { get(name: string): unknown } {
  return typeof value === 'object' && value !== null && 'get' in value && typeof value.get === 'function';
}

function headerOf(err: unknown, name: string): string | undefined {
  const headers = gaxiosErrorParts(err)?.response?.headers;
  // A Headers-like object (with get) or a plain object, as the gaxios version in use gives them.
  if (hasHeaderGetter(headers)) {
    const v = headers.get(name);
    return typeof v === 'string' ? v : undefined;
  }
  const plain = HeaderRecordSchema.safeParse(headers);
  const v = plain.success ? plain.data[name] : undefined;
  return typeof v === 'string' ? v : undefined;
}

export class GoogleTransport {
  private readonly signers = new Map<string, Signer>();
  private readonly clients = new Map<string, GoogleClient<unknown>>();
  private readonly lanes = new Map<string, UserLane>();
  private readonly healthBook = new Map<string, SourceHealth>();
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly now: () => Date;
  private readonly maxAttempts: number;
  private readonly backoffMs: number;
  private readonly timeoutMs: number;
  /** Requests in flight per user: what a caller reading several things at once as one user (gmail-sync's read-ahead) may have going. */
  readonly concurrency: number;
  /** The longest wait for a rate limit (Retry-After, or Gmail's "Retry after <time>") taken within one call. */
  readonly maxWaitMs: number;
  private readonly signInRetryMs: number;
  private readonly grant: string;
  /** API requests sent (retries included; token requests not). */
  requestCount = 0;
  /** Token requests sent. */
  tokenRequestCount = 0;
  private readonly units = new Map<string, number>();

  constructor(
    private readonly settings: GoogleSettings,
    private readonly options: GoogleTransportOptions = {},
  ) {
    this.sleep = options.sleep ?? abortableSleep;
    this.now = options.now ?? ((): Date => new Date());
    this.maxAttempts = options.maxAttempts ?? 6;
    this.backoffMs = options.backoffMs ?? 1000;
    this.timeoutMs = options.timeoutMs ?? 100_000;
    this.concurrency = Math.max(1, options.concurrency ?? USER_CONCURRENCY);
    this.maxWaitMs = options.maxWaitMs ?? MAX_CALL_WAIT_MS;
    this.signInRetryMs = options.signInRetryMs ?? 60_000;
    this.grant = describeGrant(settings);
  }

  /** A Gmail client acting as `user`: `read` carries gmail.readonly, `send` gmail.send. */
  gmail(user: string, access: GmailAccess = 'read'): GmailClient {
    return this.client(user.toLowerCase(), 'gmail', [access === 'send' ? SCOPES.gmailSend : SCOPES.gmailRead], (auth, rootUrl) => new gmail_v1.Gmail({ auth, rootUrl, retry: false, timeout: this.timeoutMs }));
  }

  /** A Calendar client acting as `actAs` (a calendar's owner, or a user with access to a resource calendar). */
  calendar(actAs: string): CalendarClient {
    return this.client(actAs.toLowerCase(), 'calendar', [SCOPES.calendar], (auth, rootUrl) => new calendar_v3.Calendar({ auth, rootUrl, retry: false, timeout: this.timeoutMs }));
  }

  private client<Sdk>(subject: string, api: GoogleApi, scopes: readonly string[], make: (auth: JWT, rootUrl: string) => Sdk): GoogleClient<Sdk> {
    const key = `${api}|${subject}|${scopes.join(' ')}`;
    const cached = this.clients.get(key);
    if (cached) return cached as GoogleClient<Sdk>;
    const signer = this.signer(subject, scopes);
    const made: GoogleClient<Sdk> = { subject, api, scopes, sdk: make(signer.jwt, this.options.rootUrl ?? DEFAULT_ROOT[api]), signer: `${subject}|${scopes.join(' ')}` };
    this.clients.set(key, made);
    return made;
  }

  private signer(subject: string, scopes: readonly string[]): Signer {
    const key = `${subject}|${scopes.join(' ')}`;
    let s = this.signers.get(key);
    if (s) return s;
    const k = this.settings.key;
    const jwt = new JWT({
      email: k.clientEmail,
      key: k.privateKey,
      ...(k.privateKeyId !== undefined ? { keyId: k.privateKeyId } : {}),
      scopes: [...scopes],
      subject,
      transporterOptions: { timeout: this.timeoutMs },
    });
    const tokenUrl = this.options.tokenUrl;
    jwt.transporter.interceptors.request.add({
      resolved: async (config) => {
        // The transport alone decides what is tried again.
        config.retry = false;
        delete config.retryConfig;
        const url = config.url instanceof URL ? config.url : new URL(String(config.url));
        if (url.href.startsWith(GOOGLE_TOKEN_URL)) {
          this.tokenRequestCount++;
          if (tokenUrl !== undefined) config.url = new URL(tokenUrl);
        } else {
          this.requestCount++;
          const units = gmailQuotaUnits(config.method ?? 'GET', url.pathname);
          if (units > 0) this.units.set(subject, (this.units.get(subject) ?? 0) + units);
        }
        return config;
      },
    });
    s = { subject, scopes, jwt };
    this.signers.set(key, s);
    return s;
  }

  private advice(scopes: readonly string[]): GrantAdvice {
    return { grant: this.grant, scopes, keyOrigin: this.settings.key.origin };
  }

  /** A token for the signer (cached by the library until five minutes before it expires); a failure is explained and remembered. */
  private async token(s: Signer): Promise<void> {
    if (s.refused && this.now().getTime() < s.refused.until) throw s.refused.error;
    try {
      await s.jwt.getAccessToken();
      if (s.refused) {
        s.refused = undefined;
      }
      this.signInFailures.delete(s.subject);
    } catch (err) {
      const explained = explainSignIn(err, s.subject, this.advice(s.scopes));
      // Set afresh (not updated in place), so the newest failure is the last in the map.
      this.signInFailures.delete(s.subject);
      this.signInFailures.set(s.subject, { error: explained, at: this.now().toISOString() });
      this.noteFailure(s.subject, explained.message);
      if (explained.permanent) s.refused = { error: explained, until: this.now().getTime() + this.signInRetryMs };
      throw explained;
    }
  }

  /** The lasting sign-in failure of each user, and when it happened. */
  private readonly signInFailures = new Map<string, { error: GoogleSignInError; at: string }>();

  /** Forgets the signer's token, so the next request signs in afresh. */
  private forgetToken(s: Signer): void {
    s.jwt.setCredentials({ refresh_token: 'jwt-placeholder', expiry_date: 1 });
  }

  /** Signs in now as the client's user: undefined when it works, else what to change. */
  async checkSignIn(client: GoogleClient<unknown>): Promise<string | undefined> {
    const s = this.signers.get(client.signer);
    if (!s) return 'unknown client';
    try {
      await this.token(s);
      return undefined;
    } catch (err) {
      return errorMessage(err);
    }
  }

  /**
   * Signs in as every user the settings name, with the scopes each is used with (each watched
   * mailbox to read, the service mailbox to send when Wardwatch sends through Google, each
   * calendar's acting user): one line per problem, none when all is well. For start-up and `validate --online`.
   */
  async checkAllSignIns(): Promise<string[]> {
    const clients: GoogleClient<unknown>[] = [
      ...this.settings.mailboxes.map((m) => this.gmail(m.address)),
      ...(this.settings.sends ? [this.gmail(this.settings.serviceAddress), this.gmail(this.settings.serviceAddress, 'send')] : []),
      ...this.settings.calendars.map((c) => this.calendar(c.actAs)),
    ];
    const seen = new Set<string>();
    const problems: string[] = [];
    for (const c of clients) {
      if (seen.has(c.signer)) continue;
      seen.add(c.signer);
      const p = await this.checkSignIn(c);
      if (p !== undefined) problems.push(p);
    }
    return problems;
  }

  /** The sign-in failures that last, by user. */
  signInProblems(): ReadonlyMap<string, string> {
    return new Map([...this.signInFailures].map(([u, f]) => [u, f.error.message]));
  }

  /** The latest sign-in failure, while it lasts; with `users`, the latest of those users' only. */
  signInProblem(users?: Iterable<string>): string | undefined {
    return this.latestSignInFailure(users)?.message;
  }

  /** The latest lasting sign-in failure (of `users` only, when given): its message and when it happened. */
  latestSignInFailure(users?: Iterable<string>): { subject: string; message: string; at: string } | undefined {
    const only = users === undefined ? undefined : new Set([...users].map((u) => u.toLowerCase()));
    const hits = [...this.signInFailures].filter(([u]) => only === undefined || only.has(u));
    const last = hits.at(-1);
    return last === undefined ? undefined : { subject: last[0], message: last[1].error.message, at: last[1].at };
  }

  /** Gmail quota units spent (as counted from the requests sent), for one user or all. */
  quotaUnits(user?: string): number {
    if (user !== undefined) return this.units.get(user.toLowerCase()) ?? 0;
    let sum = 0;
    for (const u of this.units.values()) sum += u;
    return sum;
  }

  private lane(subject: string): UserLane {
    let lane = this.lanes.get(subject);
    if (!lane) {
      lane = new UserLane();
      this.lanes.set(subject, lane);
    }
    return lane;
  }

  private async acquire(lane: UserLane, signal?: AbortSignal): Promise<void> {
    while (lane.inFlight >= this.concurrency) {
      signal?.throwIfAborted();
      await new Promise<void>((resolve, reject) => {
        const waiter: Waiter = {
          resolve: () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
        };
        // Called off while waiting: out of the queue at once, so no wake-up is spent on it.
        const onAbort = (): void => {
          const at = lane.queue.indexOf(waiter);
          if (at >= 0) lane.queue.splice(at, 1);
          reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
        };
        lane.queue.push(waiter);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    }
    signal?.throwIfAborted();
    lane.inFlight++;
    // Rate-limited: nothing goes as this user before the wait has elapsed. Another request may learn
    // of a longer wait while this one sleeps, so look again after each sleep.
    for (let wait = lane.notBefore - this.now().getTime(); wait > 0; wait = lane.notBefore - this.now().getTime()) {
      try {
        await this.sleep(wait, signal);
      } catch (err) {
        this.release(lane);
        throw err;
      }
    }
  }

  private release(lane: UserLane): void {
    lane.inFlight--;
    // Everyone waiting looks again (as connectors/graph/transport.ts does): a waiter woken after it
    // was called off can then never keep the slot from the others.
    for (const waiter of lane.queue.splice(0)) waiter.resolve();
  }

  /** Retry-After as milliseconds: seconds or an HTTP date; undefined when absent or unreadable. */
  retryAfterMs(value: string | null | undefined): number | undefined {
    return retryAfterMs(value, this.now().getTime());
  }

  /**
   * The wait in a rate-limit message that names the time to retry after, as Gmail's mail-sending
   * limit does ("… Retry after 2027-04-12T17:03:41.713Z (Mail sending)"): milliseconds from now,
   * undefined when the message names no (readable) time.
   */
  retryAfterInMessage(message: string | undefined): number | undefined {
    const m = /retry after (\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2}))/i.exec(message ?? '');
    if (m?.[1] === undefined) return undefined;
    const at = Date.parse(m[1]);
    if (Number.isNaN(at)) return undefined;
    return Math.max(0, at - this.now().getTime());
  }

  /** Exponential backoff with jitter: between half and all of backoffMs × 2^(attempt-1), at most 60 s. */
  private backoff(attempt: number): number {
    return jitteredBackoff(attempt, this.backoffMs);
  }

  private noteSuccess(subject: string): void {
    const h = this.healthBook.get(subject) ?? { source: `google:${subject}` };
    h.lastSuccess = this.now().toISOString();
    this.healthBook.set(subject, h);
  }

  /** A part of the connector (a round of a mailbox, say) failed: shown in /healthz and the digest. */
  noteFailure(subject: string, message: string): void {
    const h = this.healthBook.get(subject) ?? { source: `google:${subject}` };
    h.lastError = { at: this.now().toISOString(), message };
    this.healthBook.set(subject, h);
  }

  /** The last success and error of each user Wardwatch acted as. */
  health(): SourceHealth[] {
    return [...this.healthBook.values()].map((h) => ({ ...h, ...(h.lastError ? { lastError: { ...h.lastError } } : {}) }));
  }

  /**
   * Runs one SDK request as the client's user, retrying as `options.retry` allows. Resolves with
   * what `fn` resolved with; a failure that retrying did not cure is a GoogleApiError (its message
   * says what to change), a GoogleSignInError, or for unsafe calls GoogleOutcomeUnknownError.
   */
  async call<Sdk, R>(client: GoogleClient<Sdk>, what: string, fn: (sdk: Sdk, options: SdkCallOptions) => Promise<R>, options: CallOptions = {}): Promise<R> {
    const signer = this.signers.get(client.signer);
    if (!signer) throw new Error('GoogleTransport.call: the client does not come from this transport');
    const subject = client.subject;
    const lane = this.lane(subject);
    const unsafe = options.retry === 'unsafe';
    const signal = options.signal;
    const sdkOptions: SdkCallOptions = signal ? { signal } : {};
    let signedInAfresh = false;
    for (let attempt = 1; ; attempt++) {
      signal?.throwIfAborted();
      await this.acquire(lane, signal);
      try {
        await this.token(signer);
      } catch (err) {
        this.release(lane);
        // Nothing was sent to the API: trying again is safe for any call, when it may help.
        if (err instanceof GoogleSignInError && !err.permanent && attempt < this.maxAttempts) {
          const wait = this.backoff(attempt);
          this.options.log?.debug({ subject, what, attempt, waitMs: wait, error: err.message }, 'Google sign-in failed for a while; trying again');
          await this.sleep(wait, signal);
          continue;
        }
        throw err;
      }
      let result: R;
      try {
        result = await fn(client.sdk, sdkOptions);
      } catch (err) {
        this.release(lane);
        if (!isHttpClientError(err)) throw err; // A fault in the caller (a missing parameter, say), or an abort.
        signal?.throwIfAborted();
        const res = responseOf(err);
        if (res?.status === undefined) {
          const code = networkCodeOf(err) ?? 'network';
          if (unsafe && !NOT_SENT.has(code)) {
            throw new GoogleOutcomeUnknownError(`The connection to Google broke during ${what} as ${subject} (${code}): it may or may not have taken effect.`, subject, { cause: err });
          }
          if (attempt >= this.maxAttempts) {
            throw new GoogleApiError(`Google could not be reached for ${what} as ${subject} (${code}: ${errorMessage(err)}); Wardwatch will try again at the next round.`, { status: 0, reason: 'network', failure: 'network', subject }, { cause: err });
          }
          const wait = this.backoff(attempt);
          this.options.log?.debug({ subject, what, attempt, waitMs: wait, error: code }, 'Google request failed on the network; trying again');
          await this.sleep(wait, signal);
          continue;
        }
        const status = res.status;
        const body = errorBodyOf(res.data);
        const path = pathOfFailed(err);
        const retryAfter = this.retryAfterMs(headerOf(err, 'retry-after'));
        if (status === 401 && !signedInAfresh) {
          // The token was refused although it should be valid (revoked, or keys rolled): sign in again, once.
          signedInAfresh = true;
          this.forgetToken(signer);
          this.options.log?.debug({ subject, what }, 'Google refused the token; signing in afresh');
          continue;
        }
        if (isRateLimited(status, body.reason)) {
          // Gmail's daily sending limit says when in its message, not in Retry-After.
          const told = retryAfter ?? this.retryAfterInMessage(body.message);
          if (told !== undefined && told > this.maxWaitMs) {
            // Hours, say: no call waits that long (every request as this user would wait with it).
            // The call fails as throttled, saying until when; the round fails and the next one tries.
            const until = new Date(this.now().getTime() + told);
            const tag = `${status}${body.reason !== '' ? ` ${body.reason}` : ''}`;
            const said = body.message !== '' ? ` Google said: "${body.message.split(/\r?\n/)[0] ?? ''}"` : '';
            throw new GoogleApiError(
              `Google is limiting requests for ${subject} (${tag}) and asked Wardwatch to wait until ${until.toISOString()} before ${what}, longer than Wardwatch waits within one request; it will try again later.${said}`,
              { status, reason: body.reason || body.status, failure: 'throttled', subject, googleMessage: body.message, permanent: false, retryAt: until },
              { cause: err },
            );
          }
        }
        if (isRateLimited(status, body.reason) && attempt < this.maxAttempts) {
          // Whatever the request, the user is told to wait: so is every other request as that user.
          const wait = retryAfter ?? this.retryAfterInMessage(body.message) ?? this.backoff(attempt);
          lane.notBefore = Math.max(lane.notBefore, this.now().getTime() + wait);
          this.options.log?.debug({ subject, what, status, reason: body.reason, attempt, waitMs: wait }, 'Google asked Wardwatch to slow down; trying again');
          continue;
        }
        if (status >= 500) {
          if (unsafe) {
            throw new GoogleOutcomeUnknownError(`Google answered ${status}${body.reason !== '' ? ` ${body.reason}` : ''} to ${what} as ${subject}: it may or may not have taken effect.`, subject);
          }
          // A Retry-After beyond the longest in-call wait: failed now, tried again at the next round.
          if (attempt < this.maxAttempts && (retryAfter === undefined || retryAfter <= this.maxWaitMs)) {
            const wait = retryAfter ?? this.backoff(attempt);
            this.options.log?.debug({ subject, what, status, attempt, waitMs: wait }, 'Google failed; trying again');
            await this.sleep(wait, signal);
            continue;
          }
        }
        const failure = failureOf(status, body.reason, path);
        throw new GoogleApiError(describeFailure(status, body, subject, what, this.advice(signer.scopes), path), { status, reason: body.reason || body.status, failure, subject, googleMessage: body.message }, { cause: err });
      }
      this.release(lane);
      this.noteSuccess(subject);
      return result;
    }
  }

  /**
   * Every page of a listing: `fn` is given the page token (undefined for the first page) and makes
   * one request; pages follow `nextPageToken` until there is none. Each page is one `call`.
   */
  async *pages<Sdk, P extends { nextPageToken?: string | null }>(
    client: GoogleClient<Sdk>,
    what: string,
    fn: (sdk: Sdk, pageToken: string | undefined, options: SdkCallOptions) => Promise<{ data: P }>,
    options: CallOptions = {},
  ): AsyncGenerator<P, void, undefined> {
    let pageToken: string | undefined;
    do {
      const token = pageToken;
      const { data } = await this.call(client, what, (sdk, o) => fn(sdk, token, o), options);
      yield data;
      pageToken = data.nextPageToken ?? undefined;
    } while (pageToken !== undefined && pageToken !== '');
  }

  async close(): Promise<void> {
    // Nothing is held open: gaxios opens a connection per request.
  }
}
