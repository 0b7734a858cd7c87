/**
 * The console's HTTP server as the server tests use it: a real SQLite store in a temporary
 * folder, the service's HTTP server on 127.0.0.1 with the console mounted, a clock the test moves
 * on, a few small routes of the tests' own (the pages are tested on their own), and a client
 * that keeps cookies as a browser would and never follows redirects by itself.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigSchema, type Config } from '../../src/config/schema.js';
import { hashPassword } from '../../src/console/passwords.js';
import { createConsole, type ConsoleDeps } from '../../src/console/server.js';
import { html } from '../../src/console/html.js';
import { csrfField } from '../../src/console/layout.js';
import type { ConsoleRoute } from '../../src/console/types.js';
import { Engine } from '../../src/engine/engine.js';
import { planningContextFrom } from '../../src/outbox/outbox.js';
import { ClerkActions } from '../../src/review/clerk-actions.js';
import { buildHealth } from '../../src/service/health.js';
import { startHttpServer, type RunningHttpServer } from '../../src/service/http.js';
import { silentLogger } from '../../src/service/logger.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { ConsoleRole } from '../../src/store/types.js';
import { councilConfigInput } from '../support/council.js';

export const PASSWORD = 'correct horse battery staple';

/** What the tests' routes change: a list of names, so a test can see whether a POST went through. */
export interface Things {
  names: string[];
}

export function testRoutes(things: Things): ConsoleRoute[] {
  return [
    {
      method: 'GET',
      path: '/',
      role: 'viewer',
      handle: async (req) => ({
        kind: 'page',
        title: 'Today',
        nav: 'today',
        body: html`<h1 class="govuk-heading-l">Today</h1>
          <p class="govuk-body" id="things">${things.names.join(', ')}</p>
          <form method="post" action="/things">${csrfField(req.csrfToken)}<input name="name" value="x"><button class="govuk-button">Add</button></form>`,
      }),
    },
    {
      method: 'GET',
      path: '/things/:name',
      role: 'viewer',
      handle: async (req) => ({ kind: 'page', title: 'A thing', nav: 'review', body: html`<h1 class="govuk-heading-l">Thing: ${req.params.name ?? ''}</h1>` }),
    },
    {
      method: 'POST',
      path: '/things',
      role: 'clerk',
      handle: async (req) => {
        const name = req.form.get('name') ?? '';
        things.names.push(name);
        return { kind: 'redirect', to: '/', flash: `Added ${name}.` };
      },
    },
    {
      method: 'POST',
      path: '/things/:name/remove',
      role: 'clerk',
      handle: async (req) => {
        things.names = things.names.filter((n) => n !== req.params.name);
        return { kind: 'redirect', to: '/' };
      },
    },
    {
      method: 'GET',
      path: '/clerks-only',
      role: 'clerk',
      handle: async () => ({ kind: 'page', title: 'For clerks', body: html`<h1 class="govuk-heading-l">For clerks</h1>` }),
    },
    {
      method: 'GET',
      path: '/export.csv',
      role: 'viewer',
      handle: async () => ({ kind: 'download', filename: 'history 2027.csv', contentType: 'text/csv; charset=utf-8', body: 'a,b\n1,2\n' }),
    },
    {
      method: 'GET',
      path: '/broken',
      role: 'viewer',
      handle: async () => {
        throw new Error('the page fell over');
      },
    },
    {
      method: 'GET',
      path: '/elsewhere',
      role: 'viewer',
      handle: async () => ({ kind: 'redirect', to: '//evil.example/' }),
    },
  ];
}

export interface Harness {
  base: string;
  store: SqliteStore;
  config: Config;
  things: Things;
  /** Move the console's clock on. */
  advance(ms: number): void;
  now(): Date;
  addUser(username: string, role: ConsoleRole, options?: { password?: string | null; displayName?: string }): Promise<void>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  console?: Record<string, unknown>;
  routes?: (things: Things) => ConsoleRoute[];
  deps?: Partial<Pick<ConsoleDeps, 'env' | 'oidc' | 'rateLimit'>>;
  /** Mount the console (default true); false to see the HTTP server without it. */
  mount?: boolean;
  /** The port to listen on (default: any free one). */
  port?: number;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const dir = mkdtempSync(path.join(tmpdir(), 'wardwatch-console-'));
  const store = new SqliteStore(path.join(dir, 'state.sqlite'));
  const config = ConfigSchema.parse({ ...councilConfigInput, console: options.console ?? {} });
  const engine = new Engine(config);
  let current = new Date('2027-03-01T10:00:00.000Z');
  const now = (): Date => new Date(current.getTime());
  const things: Things = { names: [] };
  const actions = new ClerkActions({ store, planning: planningContextFrom(config, engine.directory), clock: now });
  const handler = createConsole({
    config,
    store,
    engine,
    actions,
    preview: async () => undefined,
    health: async () => await buildHealth(store, [], { now: now() }),
    logger: silentLogger(),
    routes: (options.routes ?? testRoutes)(things),
    now,
    ...options.deps,
  });
  const server: RunningHttpServer = await startHttpServer({
    host: '127.0.0.1',
    port: options.port ?? 0,
    health: async () => await buildHealth(store, []),
    metrics: async () => ({ contentType: 'text/plain', body: 'up 1\n' }),
    logger: silentLogger(),
    ...(options.mount === false ? {} : { console: handler }),
  });
  return {
    base: `http://127.0.0.1:${server.port}`,
    store,
    config,
    things,
    advance: (ms) => {
      current = new Date(current.getTime() + ms);
    },
    now,
    addUser: async (username, role, opts = {}) => {
      const password = opts.password === undefined ? PASSWORD : opts.password;
      await store.putUser({
        username,
        displayName: opts.displayName ?? username,
        role,
        ...(password !== null ? { passwordHash: await hashPassword(password) } : {}),
        createdAt: now().toISOString(),
      });
    },
    close: async () => {
      await server.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface Cookie {
  value: string;
  attributes: string;
}

/** A client that keeps cookies (name → value) as a browser would, and shows each redirect instead of following it. */
export class Browser {
  readonly cookies = new Map<string, Cookie>();

  constructor(private readonly base: string) {}

  private remember(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const attrs = attributes.map((a) => a.trim()).join('; ');
      if (/Max-Age=0(;|$)/.test(attrs)) this.cookies.delete(name);
      else this.cookies.set(name, { value, attributes: attrs });
    }
  }

  cookie(name: string): string | undefined {
    return this.cookies.get(name)?.value;
  }

  private cookieHeader(): Record<string, string> {
    if (this.cookies.size === 0) return {};
    return { cookie: [...this.cookies].map(([n, c]) => `${n}=${c.value}`).join('; ') };
  }

  async get(pathname: string, headers: Record<string, string> = {}): Promise<Response> {
    const res = await fetch(`${this.base}${pathname}`, { redirect: 'manual', headers: { ...this.cookieHeader(), ...headers } });
    this.remember(res);
    return res;
  }

  async post(pathname: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
    const res = await fetch(`${this.base}${pathname}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...this.cookieHeader(), ...headers },
      body: new URLSearchParams(fields).toString(),
    });
    this.remember(res);
    return res;
  }

  async signIn(username: string, password = PASSWORD): Promise<Response> {
    return await this.post('/sign-in', { username, password });
  }

  /** The CSRF token the current page's forms carry. */
  async csrf(pathname = '/'): Promise<string> {
    const page = await (await this.get(pathname)).text();
    const token = /name="csrf" value="([^"]+)"/.exec(page)?.[1];
    if (token === undefined) throw new Error(`no CSRF field on ${pathname}`);
    return token;
  }
}
