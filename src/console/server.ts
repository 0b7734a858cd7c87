/**
 * The Clerk's console over HTTP: everything the service's HTTP server (src/service/http.ts) does
 * not answer itself — every path but /healthz, /metrics and /hooks/ — when `console.enabled`.
 *
 *   /assets/…                 the console's stylesheet and govuk-frontend's images (no sign-in needed)
 *   GET/POST /sign-in         username and password; POST /sign-out
 *   POST /sign-in/sso         starts single sign-on (OpenID Connect) when console.oidc is set;
 *   GET /sign-in/sso/callback where the council's sign-in service sends the browser back
 *   everything else           the pages' routes (src/console/pages/), signed in only
 *
 * What the server does so that no page has to: sessions (src/console/session.ts), the CSRF token
 * and Origin check on every POST (src/console/csrf.ts), the role check on every route (a viewer
 * gets 403 for a clerk route, GET or POST, whatever the page shows), sign-in attempts rate-limited
 * (src/console/rate-limit.ts) and their refusals recorded sparingly (see signIn), the GOV.UK layout (src/console/layout.ts), a strict
 * Content-Security-Policy and the other headers on every answer, 404 and 405 pages.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { z } from 'zod';
import type { Config } from '../config/schema.js';
import { resolveSecret, type Environment } from '../config/secrets.js';
import type { Engine } from '../engine/engine.js';
import type { ClerkActions } from '../review/clerk-actions.js';
import type { HealthReport } from '../service/health.js';
import { errorMessage, type ServiceLogger } from '../service/logger.js';
import type { ConsoleUser, EffectRow, Store } from '../store/types.js';
import { formatWhen } from '../wording/dates.js';
import { ASSETS_PREFIX, Assets, govukFrontendVersion } from './assets.js';
import { CSRF_FIELD, csrfMatches, originAllowed } from './csrf.js';
import { html, type Html } from './html.js';
import { renderLayout, type Flash, type SignedIn } from './layout.js';
import type { OidcSignIn, OidcSignInOptions, OidcSettings } from './oidc.js';
import { hashPassword, verifyPassword } from './passwords.js';
import { SignInLimiter, type RateLimitSettings, type SignInAttempt } from './rate-limit.js';
import { parseCookies, serializeCookie, SESSION_COOKIE, Sessions, type ResumedSession } from './session.js';
import {
  leavingForSsoBody,
  MAX_RECORDED_USERNAME,
  safeNext,
  SESSION_ENDED,
  SIGNED_OUT,
  signedInBody,
  signInBody,
  SignInForm,
  signInTitle,
  unknownUsername,
  WRONG_CREDENTIALS,
  type FieldError,
  type SignInPageOptions,
} from './sign-in.js';
import type { ConsoleContext, ConsoleRequest, ConsoleResponse, ConsoleRoute, MessagePreview, NavSection } from './types.js';
import { BodyTooLarge, readBody } from '../runtime/http-body.js';

/** The most a form may send. */
export const MAX_FORM_BYTES = 64 * 1024;

export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const FLASH_COOKIE = 'wardwatch_flash';
const SSO_COOKIE = 'wardwatch_sso';
/** Where the sign-in page's single sign-on form goes, and the path its short-lived cookie is sent to. */
const SSO_PATH = '/sign-in/sso';
/** Where the council's sign-in service returns to (src/console/oidc.ts's SSO_CALLBACK_PATH). */
const SSO_CALLBACK = '/sign-in/sso/callback';
const SSO_PENDING_SECONDS = 10 * 60;
const FLASH_SECONDS = 5 * 60;
const MAX_FLASH_LENGTH = 1000;

const VIEWER_REFUSAL =
  'Your account can look but not change anything. If you need to make this change, please ask the Clerk, who can make it or give your account the clerk role.';

export type ConsoleHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;

export type CreateOidcSignIn = (settings: OidcSettings, secret: string, redirectUri: string, options?: OidcSignInOptions) => Promise<OidcSignIn>;

export interface ConsoleDeps {
  config: Config;
  store: Store;
  engine: Engine;
  actions: ClerkActions;
  /** The message an effect would send, exactly as the executor would send it. */
  preview(effect: EffectRow): Promise<MessagePreview | undefined>;
  health(): Promise<HealthReport>;
  logger: ServiceLogger;
  /** The pages (src/console/pages/index.ts's `consolePages`). */
  routes: readonly ConsoleRoute[];
  now?: () => Date;
  /** Where console.oidc.clientSecret's variable is read (default: process.env). */
  env?: Environment;
  /** Where the HTTP server listens, once it does: the return address of single sign-on when console.publicUrl is not set. */
  listening?: () => { host: string; port: number } | undefined;
  rateLimit?: Partial<RateLimitSettings>;
  /** Single sign-on's client (default: src/console/oidc.ts's, loaded only when console.oidc is set). */
  oidc?: { create?: CreateOidcSignIn; options?: OidcSignInOptions };
  /**
   * Called after a change has been made (a POST a page answered): the service wakes its outbox, so
   * an approval goes at once, and after a digest's release checks for a digest due.
   */
  onChange?: (change: { digestReleased: boolean }) => void;
}

interface CompiledRoute {
  route: ConsoleRoute;
  segments: readonly ({ literal: string } | { param: string })[];
}

function compile(route: ConsoleRoute): CompiledRoute {
  if (!route.path.startsWith('/')) throw new Error(`The console route ${route.path} does not start with /.`);
  const segments = route.path
    .slice(1)
    .split('/')
    .map((s) => (s.startsWith(':') ? { param: s.slice(1) } : { literal: s }));
  return { route, segments };
}

/** The route's parameters when `path` (still percent-encoded) matches it; undefined otherwise. */
function matchPath(compiled: CompiledRoute, parts: readonly string[]): Record<string, string> | undefined {
  if (parts.length !== compiled.segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const segment = compiled.segments[i];
    const part = parts[i] ?? '';
    if (segment === undefined) return undefined;
    if ('literal' in segment) {
      if (segment.literal !== part) return undefined;
    } else {
      if (part === '') return undefined;
      try {
        params[segment.param] = decodeURIComponent(part);
      } catch {
        return undefined;
      }
    }
  }
  return params;
}


const FlashSchema = z.object({ kind: z.enum(['success', 'important']), text: z.string().min(1).max(MAX_FLASH_LENGTH) });

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/** One request and what its answer will set. */
interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  method: string;
  cookies: Map<string, string>;
  setCookies: string[];
  /** The signed-in user, once known. */
  user?: ConsoleUser;
  csrfToken?: string;
}

/** The console's request handler; see the module's comment. */
export function createConsole(deps: ConsoleDeps): ConsoleHandler {
  const { config, store, logger } = deps;
  const settings = config.console;
  const council = config.council.name;
  const timeZone = config.council.timezone;
  const now = deps.now ?? ((): Date => new Date());
  const secure = settings.publicUrl !== undefined && new URL(settings.publicUrl).protocol === 'https:';
  const sessions = new Sessions(store, { idleMinutes: settings.idleMinutes, maxHours: settings.maxHours }, now);
  const limiter = new SignInLimiter(deps.rateLimit);
  const assets = new Assets();
  const assetsVersion = govukFrontendVersion();
  const routes = deps.routes.map(compile);
  // Flash messages ride in a cookie signed with a key that lives as long as the process: a cookie
  // planted by another site on the same domain cannot put words on a console page.
  const flashKey = randomBytes(32);
  // An unknown username costs a sign-in as long as a wrong password does: a real hash is checked.
  let dummyHash: Promise<string> | undefined;
  const oidcSecret = settings.oidc ? resolveSecret(settings.oidc.clientSecret, deps.env ?? process.env, 'console.oidc.clientSecret') : undefined;
  let oidc: Promise<OidcSignIn> | undefined;

  const context: ConsoleContext = {
    store,
    config,
    engine: deps.engine,
    actions: deps.actions,
    now,
    formatWhen: (iso) => formatWhen(iso, timeZone),
    preview: (effect) => deps.preview(effect),
    health: () => deps.health(),
  };

  // ---- answering ----

  function setHeaders(res: ServerResponse): void {
    res.setHeader('content-security-policy', CONTENT_SECURITY_POLICY);
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'no-referrer');
    res.setHeader('x-frame-options', 'DENY');
    res.setHeader('cross-origin-opener-policy', 'same-origin');
    res.setHeader('cross-origin-resource-policy', 'same-origin');
    // Behind TLS (console.publicUrl is https), browsers are told to come back over https only.
    if (secure) res.setHeader('strict-transport-security', 'max-age=31536000');
  }

  function finish(x: Exchange, status: number, headers: Record<string, string>, body: string | Buffer): void {
    if (x.setCookies.length > 0) x.res.setHeader('set-cookie', x.setCookies);
    const length = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
    x.res.writeHead(status, { ...headers, 'content-length': String(length) });
    x.res.end(body);
  }

  function cookie(name: string, value: string, options: { maxAge?: number; path?: string; sameSite?: 'Strict' | 'Lax' } = {}): string {
    return serializeCookie(name, value, { sameSite: options.sameSite ?? 'Strict', secure, ...(options.maxAge !== undefined ? { maxAge: options.maxAge } : {}), ...(options.path ? { path: options.path } : {}) });
  }

  function signFlash(payload: string): string {
    return createHmac('sha256', flashKey).update(payload).digest('base64url');
  }

  function setFlash(x: Exchange, flash: Flash): void {
    const payload = Buffer.from(JSON.stringify({ kind: flash.kind, text: flash.text.slice(0, MAX_FLASH_LENGTH) }), 'utf8').toString('base64url');
    x.setCookies.push(cookie(FLASH_COOKIE, `${payload}.${signFlash(payload)}`, { maxAge: FLASH_SECONDS }));
  }

  /** The flash message waiting for this page, if any; it is shown once (the cookie is cleared). */
  function takeFlash(x: Exchange): Flash | undefined {
    const value = x.cookies.get(FLASH_COOKIE);
    if (value === undefined) return undefined;
    x.setCookies.push(cookie(FLASH_COOKIE, '', { maxAge: 0 }));
    const [payload, signature] = value.split('.');
    if (payload === undefined || signature === undefined) return undefined;
    const expected = Buffer.from(signFlash(payload));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
    try {
      const parsed = FlashSchema.safeParse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }

  function signedIn(x: Exchange): SignedIn | undefined {
    return x.user && x.csrfToken !== undefined ? { displayName: x.user.displayName, role: x.user.role, csrfToken: x.csrfToken } : undefined;
  }

  function page(x: Exchange, status: number, title: string, body: Html, options: { nav?: NavSection; refreshTo?: string; headers?: Record<string, string> } = {}): void {
    const flash = takeFlash(x);
    const user = signedIn(x);
    const text = renderLayout({
      title,
      body,
      councilName: council,
      assetsVersion,
      ...(options.nav ? { nav: options.nav } : {}),
      ...(user ? { user } : {}),
      ...(flash ? { flash } : {}),
      ...(options.refreshTo !== undefined ? { refreshTo: options.refreshTo } : {}),
    });
    finish(x, status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...options.headers }, text);
  }

  function messagePage(x: Exchange, status: number, title: string, sentences: readonly string[], headers?: Record<string, string>): void {
    const body = html`<h1 class="govuk-heading-l">${title}</h1>
      ${sentences.map((s) => html`<p class="govuk-body">${s}</p>`)}
      ${x.user ? html`<p class="govuk-body"><a href="/" class="govuk-link">Go to today’s page</a></p>` : null}`;
    page(x, status, title, body, headers ? { headers } : {});
  }

  function redirect(x: Exchange, to: string, flash?: Flash): void {
    if (flash) setFlash(x, flash);
    finish(x, 303, { location: to, 'cache-control': 'no-store', 'content-type': 'text/plain; charset=utf-8' }, '');
  }

  function notFound(x: Exchange): void {
    messagePage(x, 404, 'Page not found', ['If you typed the web address, check it is correct.', 'If you pasted the web address, check you copied the entire address.']);
  }

  function serverError(x: Exchange): void {
    messagePage(x, 500, 'Sorry, there is a problem with the console', [
      'The page could not be shown, or the change could not be finished. Please try again in a moment.',
      'If it keeps happening, the service’s log says what went wrong.',
    ]);
  }

  function wrongMethod(x: Exchange, allowed: readonly string[]): void {
    messagePage(x, 405, 'This page cannot be used that way', [`This address answers ${allowed.join(' and ')} only.`], { allow: allowed.join(', ') });
  }

  function signInPage(x: Exchange, status: number, options: SignInPageOptions): void {
    const withSso = settings.oidc ? { ssoButton: settings.oidc.buttonText } : {};
    page(x, status, signInTitle(options), signInBody({ ...options, ...withSso }));
  }

  // ---- requests ----

  /** Who is asking, for the rate limit: the peer, or behind a proxy on this machine, the address it forwards. */
  function clientAddress(req: IncomingMessage): string {
    const peer = req.socket.remoteAddress ?? 'unknown';
    const forwarded = req.headers['x-forwarded-for'];
    // Only a reverse proxy on this machine (console.publicUrl says there is one) is believed, and
    // only for the address it added itself, the last one.
    if (settings.publicUrl !== undefined && LOOPBACK.has(peer) && typeof forwarded === 'string') {
      const last = forwarded.split(',').pop()?.trim() ?? '';
      if (isIP(last) !== 0) return last;
    }
    return peer;
  }

  function header(req: IncomingMessage, name: string): string | undefined {
    const value = req.headers[name];
    return Array.isArray(value) ? value[0] : value;
  }

  /**
   * A POST's form, or undefined when it has been answered already: from another site (403), not a
   * form (415) or too large (413).
   */
  async function readForm(x: Exchange): Promise<URLSearchParams | undefined> {
    const from = { origin: header(x.req, 'origin'), fetchSite: header(x.req, 'sec-fetch-site'), host: header(x.req, 'host') };
    if (!originAllowed(from, settings.publicUrl)) {
      logger.warn({ path: x.url.pathname, origin: from.origin, fetchSite: from.fetchSite }, 'a console form from another site was refused');
      messagePage(x, 403, 'This change was not made', ['The form was sent from another website, so nothing was changed. Please use the console’s own pages.']);
      return undefined;
    }
    const type = (header(x.req, 'content-type') ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/x-www-form-urlencoded') {
      messagePage(x, 415, 'This change was not made', ['The console takes changes from its own forms only, so nothing was changed.']);
      return undefined;
    }
    try {
      return new URLSearchParams((await readBody(x.req, MAX_FORM_BYTES)).toString('utf8'));
    } catch (err) {
      if (!(err instanceof BodyTooLarge)) throw err;
      x.res.setHeader('connection', 'close');
      messagePage(x, 413, 'This change was not made', [`The form sent more than ${MAX_FORM_BYTES / 1024} KB, which is more than any console form needs, so nothing was changed. Please shorten what you typed and try again.`]);
      return undefined;
    }
  }

  function csrfRefused(x: Exchange): void {
    logger.warn({ path: x.url.pathname, username: x.user?.username }, 'a console form without the right CSRF token was refused');
    messagePage(x, 403, 'This change was not made', [
      'The form had expired or did not come from this console, so nothing was changed.',
      'Please go back, reload the page and try again.',
    ]);
  }

  async function audit(actor: string, action: string, subject: string, detail: string): Promise<void> {
    await store.recordConsoleAction({ at: now().toISOString(), actor, action, subject, detail });
  }

  function minutesUntil(until: Date): number {
    return Math.max(1, Math.ceil((until.getTime() - now().getTime()) / 60_000));
  }

  function clock(at: Date): string {
    return new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(at);
  }

  async function lookUpUser(username: string): Promise<ConsoleUser | undefined> {
    if (username === '') return undefined;
    const exact = await store.getUser(username);
    if (exact !== undefined || username.toLowerCase() === username) return exact;
    return await store.getUser(username.toLowerCase());
  }

  /** A new session for `user` (ending the one this browser had, if any), its cookie set. */
  async function startSession(x: Exchange, user: ConsoleUser, previous: ResumedSession): Promise<void> {
    if (previous.state === 'active') await sessions.end(previous.session.idHash);
    const { id } = await sessions.start(user.username);
    x.setCookies.push(cookie(SESSION_COOKIE, id));
  }

  /**
   * A sign-in with a username and password.
   *
   * The attempt is counted before its password is checked and refused when its username from its
   * address, its username from anywhere or its address has had its fill (src/console/rate-limit.ts,
   * which also says how an IPv6 address is counted), so guesses sent all at once are held to the limit.
   * What is recorded is bounded too, so that guessing cannot grow the state file: the console's
   * audit takes the first refusal of an account (or of any name that is no account) from an address
   * in the window, and the log the rest; an attempt refused by the limit is logged only. Neither
   * names what was typed unless it is an account's username: anything else (a password typed in the
   * wrong box) is "an unknown username" and a short digest.
   */
  async function signIn(x: Exchange, previous: ResumedSession): Promise<void> {
    const form = await readForm(x);
    if (form === undefined) return;
    const parsed = SignInForm.safeParse({ username: form.get('username') ?? '', password: form.get('password') ?? '', next: form.get('next') ?? undefined });
    const next = safeNext(form.get('next'));
    const withNext = next !== undefined ? { next } : {};
    if (!parsed.success) {
      signInPage(x, 400, { ...withNext, errors: [{ field: 'username', text: WRONG_CREDENTIALS }] });
      return;
    }
    const { username, password } = parsed.data;
    const missing: FieldError[] = [];
    if (username === '') missing.push({ field: 'username', text: 'Enter your username' });
    if (password === '') missing.push({ field: 'password', text: 'Enter your password' });
    if (missing.length > 0) {
      signInPage(x, 400, { username, ...withNext, errors: missing });
      return;
    }
    const address = clientAddress(x.req);
    // No account has a username that long (src/cli/users.ts), so it is not looked up.
    const user = username.length > MAX_RECORDED_USERNAME ? undefined : await lookUpUser(username);
    const named = user?.username ?? unknownUsername(username);
    const attempt: SignInAttempt = user !== undefined ? { username: user.username, address, account: true } : { username, address, account: false };
    const admission = limiter.begin(attempt, now());
    if (!admission.admitted) {
      const { refusedUntil } = admission;
      const minutes = minutesUntil(refusedUntil);
      logger.warn({ username: named, address }, 'console sign-in refused: too many attempts');
      const text = `There have been too many failed sign-ins. Please try again in ${minutes === 1 ? '1 minute' : `${minutes} minutes`}, after ${clock(refusedUntil)}.`;
      x.res.setHeader('retry-after', String(Math.ceil((refusedUntil.getTime() - now().getTime()) / 1000)));
      signInPage(x, 429, { username, ...withNext, errors: [{ field: 'password', text }] });
      return;
    }
    let ok = false;
    try {
      if (user?.passwordHash !== undefined) {
        ok = await verifyPassword(password, user.passwordHash);
      } else {
        dummyHash ??= hashPassword(randomBytes(16).toString('base64url'));
        await verifyPassword(password, await dummyHash);
      }
    } finally {
      // A check that could not be made counts as a failure: nobody can get more guesses by making checks fail.
      if (ok) limiter.succeeded(admission.ticket);
      else limiter.failed(admission.ticket);
    }
    if (!ok || user === undefined) {
      logger.info({ username: named, address }, 'console sign-in failed: wrong username or password');
      if (limiter.firstRefusal(attempt, now())) {
        const as = user !== undefined ? `as ${named}` : `with ${named}`;
        await audit(named, 'sign-in-refused', named, `A sign-in ${as} was refused: the username or password was not right (from ${address}).`);
      }
      signInPage(x, 400, { username, ...withNext, errors: [{ field: 'password', text: WRONG_CREDENTIALS }] });
      return;
    }
    await startSession(x, user, previous);
    logger.info({ username: user.username, role: user.role, address }, 'console sign-in');
    await audit(user.username, 'sign-in', user.username, `${user.displayName} signed in with a password (from ${address}).`);
    redirect(x, next ?? '/');
  }

  function redirectBase(x: Exchange): string {
    if (settings.publicUrl !== undefined) return settings.publicUrl.replace(/\/+$/, '');
    const at = deps.listening?.();
    if (at !== undefined) return `http://${isIP(at.host) === 6 ? `[${at.host}]` : at.host}:${at.port}`;
    return `http://${header(x.req, 'host') ?? '127.0.0.1'}`;
  }

  async function oidcClient(x: Exchange): Promise<OidcSignIn> {
    const oidcSettings = settings.oidc;
    if (oidcSettings === undefined || oidcSecret === undefined) throw new Error('Single sign-on is not set up.');
    if (oidc === undefined) {
      const create: CreateOidcSignIn = deps.oidc?.create ?? (await import('./oidc.js')).createOidcSignIn;
      oidc = create(oidcSettings, oidcSecret, `${redirectBase(x)}${SSO_CALLBACK}`, deps.oidc?.options ?? {});
      // A failed discovery (the sign-in service unreachable) is tried again at the next sign-in.
      oidc.catch(() => {
        oidc = undefined;
      });
    }
    return await oidc;
  }

  /**
   * Starts single sign-on: a POST from the sign-in page's form, taken only from the console's own
   * pages (readForm's Origin and Sec-Fetch-Site check), so that another site cannot start a sign-in
   * in a person's browser. The answer moves on to the council's sign-in service; see
   * sign-in.ts's leavingForSsoBody for why it is a page and not a redirect.
   */
  async function ssoStart(x: Exchange): Promise<void> {
    const form = await readForm(x);
    if (form === undefined) return;
    let started: { redirectTo: string; pending: string };
    let to: URL;
    try {
      started = await (await oidcClient(x)).start();
      to = new URL(started.redirectTo);
      if (to.protocol !== 'https:' && to.protocol !== 'http:') throw new Error(`The council's sign-in service gave an address that is not a web page (${to.protocol}).`);
    } catch (err) {
      logger.error({ error: errorMessage(err) }, 'single sign-on could not start');
      signInPage(x, 503, { errors: [{ field: 'sso', text: `Single sign-on is not available just now: ${errorMessage(err)} Please try again later, or sign in with a username and password.` }] });
      return;
    }
    x.setCookies.push(cookie(SSO_COOKIE, Buffer.from(started.pending, 'utf8').toString('base64url'), { maxAge: SSO_PENDING_SECONDS, path: SSO_PATH, sameSite: 'Lax' }));
    page(x, 200, 'Taking you to your council’s sign-in', leavingForSsoBody(to.href), { refreshTo: to.href });
  }

  async function ssoCallback(x: Exchange, previous: ResumedSession): Promise<void> {
    const pendingCookie = x.cookies.get(SSO_COOKIE);
    x.setCookies.push(cookie(SSO_COOKIE, '', { maxAge: 0, path: SSO_PATH, sameSite: 'Lax' }));
    const address = clientAddress(x.req);
    if (pendingCookie === undefined || !/^[A-Za-z0-9_-]+$/.test(pendingCookie)) {
      signInPage(x, 400, { errors: [{ field: 'sso', text: 'Single sign-on did not finish: it took too long or was started in another browser. Please try again.' }] });
      return;
    }
    let identity: { email: string; name?: string };
    try {
      const callbackUrl = new URL(`${redirectBase(x)}${x.url.pathname}${x.url.search}`);
      identity = await (await oidcClient(x)).finish(callbackUrl, Buffer.from(pendingCookie, 'base64url').toString('utf8'));
    } catch (err) {
      logger.warn({ error: errorMessage(err), address }, 'single sign-on did not finish');
      signInPage(x, 400, { errors: [{ field: 'sso', text: `Single sign-on did not finish: ${errorMessage(err)}` }] });
      return;
    }
    const username = identity.email.toLowerCase();
    const user = await store.getUser(username);
    if (user === undefined) {
      logger.info({ username, address }, 'console single sign-on refused: no account');
      // The address is one the council's sign-in service vouched for, not something typed; it is
      // recorded as sparingly as a refused password (see signIn).
      if (limiter.firstRefusal({ username, address, account: false }, now())) {
        await audit(username, 'sign-in-refused', username, `A single sign-on as ${username} was refused: there is no console account for that address (from ${address}).`);
      }
      signInPage(x, 403, {
        errors: [{ field: 'sso', text: `There is no console account for ${username}. Please ask the Clerk to add one (wardwatch users add ${username} --sso).` }],
      });
      return;
    }
    await startSession(x, user, previous);
    logger.info({ username, role: user.role, address }, 'console sign-in through single sign-on');
    await audit(username, 'sign-in', username, `${user.displayName} signed in through single sign-on (from ${address}).`);
    page(x, 200, 'You are signed in', signedInBody(user.displayName), { refreshTo: '/' });
  }

  async function signOut(x: Exchange, resumed: ResumedSession): Promise<void> {
    if (resumed.state !== 'active') {
      redirect(x, '/sign-in');
      return;
    }
    const form = await readForm(x);
    if (form === undefined) return;
    if (!csrfMatches(resumed.session.csrfToken, form.get(CSRF_FIELD))) {
      csrfRefused(x);
      return;
    }
    await sessions.end(resumed.session.idHash);
    x.setCookies.push(cookie(SESSION_COOKIE, '', { maxAge: 0 }));
    logger.info({ username: resumed.user.username }, 'console sign-out');
    await audit(resumed.user.username, 'sign-out', resumed.user.username, `${resumed.user.displayName} signed out.`);
    x.user = undefined;
    x.csrfToken = undefined;
    redirect(x, '/sign-in', { kind: 'important', text: SIGNED_OUT });
  }

  async function serveAsset(x: Exchange): Promise<void> {
    if (x.method !== 'GET' && x.method !== 'HEAD') {
      finish(x, 405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }, 'Assets answer GET only.\n');
      return;
    }
    const asset = await assets.get(x.url.pathname.slice(ASSETS_PREFIX.length));
    if (asset === undefined) {
      finish(x, 404, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }, 'Not found.\n');
      return;
    }
    finish(x, 200, { 'content-type': asset.contentType, 'cache-control': 'public, max-age=31536000, immutable' }, asset.body);
  }

  type Match = { route: ConsoleRoute; params: Record<string, string> };

  /** The routes whose path matches, whatever their method. */
  function matchRoutes(x: Exchange): Match[] {
    const parts = x.url.pathname.slice(1).split('/');
    const matches: Match[] = [];
    for (const compiled of routes) {
      const params = matchPath(compiled, parts);
      if (params !== undefined) matches.push({ route: compiled.route, params });
    }
    return matches;
  }

  /** The route for this method among those matching the path; 405 when there is none. */
  function findRoute(x: Exchange, matches: readonly Match[]): Match | undefined {
    const method = x.method === 'HEAD' ? 'GET' : x.method;
    // A route with fewer named parts is the more specific: /review/approve-all before /review/:x.
    const ofMethod = matches.filter((m) => m.route.method === method).sort((a, b) => Object.keys(a.params).length - Object.keys(b.params).length);
    const found = ofMethod[0];
    if (found === undefined) wrongMethod(x, [...new Set(matches.map((m) => m.route.method))]);
    return found;
  }

  async function answer(x: Exchange, response: ConsoleResponse): Promise<void> {
    switch (response.kind) {
      case 'page':
        page(x, response.status ?? 200, response.title, response.body, response.nav ? { nav: response.nav } : {});
        return;
      case 'error':
        page(x, response.status, response.title, response.body, response.nav ? { nav: response.nav } : {});
        return;
      case 'redirect': {
        const to = safeNext(response.to) ?? '/';
        redirect(x, to, response.flash !== undefined ? { kind: 'success', text: response.flash } : undefined);
        return;
      }
      case 'download': {
        const filename = response.filename.replace(/[^A-Za-z0-9._-]/g, '_') || 'download';
        finish(x, 200, { 'content-type': response.contentType, 'content-disposition': `attachment; filename="${filename}"`, 'cache-control': 'no-store' }, response.body);
        return;
      }
    }
  }

  async function route(x: Exchange, matches: readonly Match[], resumed: Extract<ResumedSession, { state: 'active' }>): Promise<void> {
    const found = findRoute(x, matches);
    if (found === undefined) return;
    const { route: r, params } = found;
    let form = new URLSearchParams();
    if (r.method === 'POST') {
      const read = await readForm(x);
      if (read === undefined) return;
      if (!csrfMatches(resumed.session.csrfToken, read.get(CSRF_FIELD))) {
        csrfRefused(x);
        return;
      }
      form = read;
    }
    if (r.role === 'clerk' && resumed.user.role !== 'clerk') {
      logger.info({ username: resumed.user.username, path: x.url.pathname, method: r.method }, 'a viewer was refused a clerk’s page');
      messagePage(x, 403, 'Your account cannot do this', [VIEWER_REFUSAL]);
      return;
    }
    const request: ConsoleRequest = {
      method: r.method,
      path: x.url.pathname,
      params,
      query: x.url.searchParams,
      form,
      user: resumed.user,
      csrfToken: resumed.session.csrfToken,
    };
    let response: ConsoleResponse;
    try {
      response = await r.handle(request, context);
    } catch (err) {
      logger.error({ error: errorMessage(err), path: x.url.pathname, method: r.method, username: resumed.user.username }, 'a console page failed');
      serverError(x);
      return;
    }
    await answer(x, response);
    if (r.method === 'POST' && response.kind === 'redirect') deps.onChange?.({ digestReleased: response.digestReleased === true });
  }

  async function dispatch(x: Exchange): Promise<void> {
    const path = x.url.pathname;
    if (path.startsWith(ASSETS_PREFIX)) {
      await serveAsset(x);
      return;
    }
    if (path === '/favicon.ico') {
      // Browsers ask for it on every page. The console has no icon of its own (the crown among
      // govuk-frontend's images is GOV.UK's, not a council's): nothing, and not asked again for a day.
      finish(x, 204, { 'cache-control': 'public, max-age=86400' }, '');
      return;
    }
    const resumed = await sessions.resume(x.cookies.get(SESSION_COOKIE));
    if (resumed.state === 'active') {
      x.user = resumed.user;
      x.csrfToken = resumed.session.csrfToken;
    } else if (resumed.state === 'ended') {
      x.setCookies.push(cookie(SESSION_COOKIE, '', { maxAge: 0 }));
    }
    if (path === '/sign-in') {
      if (x.method === 'POST') await signIn(x, resumed);
      else if (x.method === 'GET' || x.method === 'HEAD') {
        const next = safeNext(x.url.searchParams.get('next'));
        // Signed in already: on to where the browser was going. Signing in as someone else starts
        // with Sign out (a new sign-in would replace this session anyway, never keep its id).
        if (resumed.state === 'active') redirect(x, next ?? '/');
        else signInPage(x, 200, next !== undefined ? { next } : {});
      } else wrongMethod(x, ['GET', 'POST']);
      return;
    }
    if (path === SSO_PATH) {
      if (settings.oidc === undefined) notFound(x);
      else if (x.method === 'POST') await ssoStart(x);
      // Starting changes things (a cookie, a sign-in under way), so a link cannot start it: the
      // sign-in page's button can.
      else if (x.method === 'GET' || x.method === 'HEAD') redirect(x, '/sign-in');
      else wrongMethod(x, ['POST']);
      return;
    }
    if (path === SSO_CALLBACK) {
      if (settings.oidc === undefined) notFound(x);
      else if (x.method !== 'GET' && x.method !== 'HEAD') wrongMethod(x, ['GET']);
      else await ssoCallback(x, resumed);
      return;
    }
    if (path === '/sign-out') {
      if (x.method !== 'POST') wrongMethod(x, ['POST']);
      else await signOut(x, resumed);
      return;
    }
    const matches = matchRoutes(x);
    // Which pages there are is no secret (the code is public); what is on them is.
    if (matches.length === 0) {
      notFound(x);
      return;
    }
    if (resumed.state !== 'active') {
      // Nothing but sign-in is shown, or done, without a session.
      const back = x.method === 'GET' ? safeNext(`${path}${x.url.search}`) : undefined;
      const to = back !== undefined && back !== '/' ? `/sign-in?next=${encodeURIComponent(back)}` : '/sign-in';
      redirect(x, to, resumed.state === 'ended' ? { kind: 'important', text: SESSION_ENDED } : undefined);
      return;
    }
    await route(x, matches, resumed);
  }

  return async (req, res, url) => {
    if (!settings.enabled) return false;
    setHeaders(res);
    const x: Exchange = { req, res, url, method: req.method ?? 'GET', cookies: parseCookies(header(req, 'cookie')), setCookies: [] };
    try {
      await dispatch(x);
    } catch (err) {
      logger.error({ error: errorMessage(err), path: url.pathname, method: x.method }, 'a console request failed');
      if (res.headersSent) {
        res.end();
      } else {
        x.setCookies = [];
        serverError(x);
      }
    }
    return true;
  };
}
