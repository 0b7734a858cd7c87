/**
 * Console sessions, kept in the store. The browser holds 32 random bytes (base64url) in the
 * cookie `wardwatch_session`; the store holds only their SHA-256, so a copy of the state file signs
 * nobody in. A session ends after `console.idleMinutes` without a request and after
 * `console.maxHours` however active it is; each sign-in starts a new one (a session id planted
 * before sign-in is never promoted).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { ConsoleSession, ConsoleUser, Store } from '../store/types.js';
import { newCsrfToken } from './csrf.js';

export const SESSION_COOKIE = 'wardwatch_session';

/** The last-seen time is written at most this often, not on every request. */
const TOUCH_EVERY_MS = 60_000;
/** Ended sessions are swept from the store at most this often. */
const SWEEP_EVERY_MS = 60 * 60_000;
/** 32 bytes in base64url, unpadded. */
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

export interface CookieOptions {
  /** Seconds; absent for a cookie that ends with the browser session; 0 to delete. */
  maxAge?: number;
  path?: string;
  sameSite: 'Strict' | 'Lax';
  secure: boolean;
}

/** A Set-Cookie value; always HttpOnly (no script ever reads a console cookie: there is no script). */
export function serializeCookie(name: string, value: string, options: CookieOptions): string {
  const parts = [`${name}=${value}`, `Path=${options.path ?? '/'}`, 'HttpOnly', `SameSite=${options.sameSite}`];
  if (options.maxAge !== undefined) parts.push(`Max-Age=${options.maxAge}`);
  if (options.secure) parts.push('Secure');
  return parts.join('; ');
}

/** The cookies of a Cookie header; the first of two with the same name wins (the most specific path, by RFC 6265's order). */
export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (header === undefined) return cookies;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    if (name !== '' && !cookies.has(name)) cookies.set(name, value);
  }
  return cookies;
}

export function hashSessionId(id: string): string {
  return createHash('sha256').update(id, 'utf8').digest('hex');
}

export interface SessionSettings {
  idleMinutes: number;
  maxHours: number;
}

export type ResumedSession =
  | { state: 'active'; session: ConsoleSession; user: ConsoleUser }
  /** The cookie named a session that has ended (expired, signed out, its account removed). */
  | { state: 'ended' }
  /** No cookie, or one that is not a session id at all. */
  | { state: 'none' };

export class Sessions {
  private lastSweep = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly store: Store,
    private readonly settings: SessionSettings,
    private readonly now: () => Date,
  ) {}

  /** A new session for `username`; the id goes in the cookie and nowhere else. */
  async start(username: string): Promise<{ id: string; session: ConsoleSession }> {
    await this.sweep(true);
    const id = randomBytes(32).toString('base64url');
    const now = this.now();
    const absolute = new Date(now.getTime() + this.settings.maxHours * 3_600_000);
    const session: ConsoleSession = {
      idHash: hashSessionId(id),
      username,
      csrfToken: newCsrfToken(),
      createdAt: now.toISOString(),
      lastSeenAt: now.toISOString(),
      expiresAt: this.idleExpiry(now, absolute).toISOString(),
      absoluteExpiresAt: absolute.toISOString(),
    };
    await this.store.createSession(session);
    return { id, session };
  }

  /** The session the cookie names, moved on by this request when it is still active. */
  async resume(id: string | undefined): Promise<ResumedSession> {
    if (id === undefined || !SESSION_ID.test(id)) return { state: 'none' };
    await this.sweep(false);
    const idHash = hashSessionId(id);
    const session = await this.store.getSession(idHash);
    if (session === undefined) return { state: 'ended' };
    const now = this.now();
    const absolute = new Date(session.absoluteExpiresAt);
    if (now.getTime() >= new Date(session.expiresAt).getTime() || now.getTime() >= absolute.getTime()) {
      await this.store.deleteSession(idHash);
      return { state: 'ended' };
    }
    const user = await this.store.getUser(session.username);
    if (user === undefined) {
      await this.store.deleteSession(idHash);
      return { state: 'ended' };
    }
    if (now.getTime() - new Date(session.lastSeenAt).getTime() >= TOUCH_EVERY_MS) {
      const lastSeenAt = now.toISOString();
      const expiresAt = this.idleExpiry(now, absolute).toISOString();
      await this.store.touchSession(idHash, lastSeenAt, expiresAt);
      return { state: 'active', session: { ...session, lastSeenAt, expiresAt }, user };
    }
    return { state: 'active', session, user };
  }

  async end(idHash: string): Promise<void> {
    await this.store.deleteSession(idHash);
  }

  private idleExpiry(now: Date, absolute: Date): Date {
    return new Date(Math.min(now.getTime() + this.settings.idleMinutes * 60_000, absolute.getTime()));
  }

  /** Delete ended sessions: at every sign-in, and otherwise at most once an hour. */
  private async sweep(force: boolean): Promise<void> {
    const now = this.now();
    if (!force && now.getTime() - this.lastSweep < SWEEP_EVERY_MS) return;
    this.lastSweep = now.getTime();
    await this.store.deleteExpiredSessions(now.toISOString());
  }
}
