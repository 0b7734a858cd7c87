/**
 * The console's pages as their tests use them: the executor bench (a real SQLite store, the real
 * Engine, outbox, templates and file sender) with review switched on, the Clerk's real actions,
 * a ConsoleContext like the server's, and requests routed to the pages' handlers by path, as the
 * server routes them (no HTTP: sessions, CSRF and roles are the server's, tested there).
 */
import { expect } from 'vitest';
import { createExecutor } from '../../src/actions/executor.js';
import { consolePages } from '../../src/console/pages/index.js';
import type { ConsoleContext, ConsoleRequest, ConsoleResponse, ConsoleRoute } from '../../src/console/types.js';
import type { EventItem } from '../../src/items/types.js';
import { planningContextFrom } from '../../src/outbox/outbox.js';
import { ClerkActions } from '../../src/review/clerk-actions.js';
import { buildHealth } from '../../src/service/health.js';
import { StoredItemMemory } from '../../src/service/item-memory.js';
import type { ConsoleRole } from '../../src/store/types.js';
import { formatWhen } from '../../src/wording/dates.js';
import { A } from '../support/council.js';
import { ActionBench, rawMail, type RawMailSpec } from '../actions/harness.js';

/** Friday 20 November 2026, 10:00 in Millbrook: a working day. */
export const NOW = '2026-11-20T10:00:00.000Z';

/** A sentence only message bodies hold: it must never be shown for a private matter. */
export const BODY_MARKER = 'The heron by the weir ate seventeen marigolds at dawn';

export const USERS: Record<ConsoleRole, { username: string; displayName: string; role: ConsoleRole; createdAt: string }> = {
  clerk: { username: 'helen', displayName: 'Helen Ashworth', role: 'clerk', createdAt: NOW },
  viewer: { username: 'monitoring', displayName: 'Monitoring Officer', role: 'viewer', createdAt: NOW },
};

/** The route a path matches, and its named parts decoded, as the server matches them. */
export function match(routes: readonly ConsoleRoute[], method: 'GET' | 'POST', path: string): { route: ConsoleRoute; params: Record<string, string> } | undefined {
  const segments = path.split('/');
  for (const route of routes) {
    if (route.method !== method) continue;
    const pattern = route.path.split('/');
    if (pattern.length !== segments.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < pattern.length; i++) {
      const p = pattern[i] ?? '';
      const s = segments[i] ?? '';
      if (p.startsWith(':')) {
        if (s === '') ok = false;
        else params[p.slice(1)] = decodeURIComponent(s);
      } else if (p !== s) ok = false;
      if (!ok) break;
    }
    if (ok) return { route, params };
  }
  return undefined;
}

/** The text of a page's body (or an error page's). */
export function bodyOf(response: ConsoleResponse): string {
  if (response.kind === 'page' || response.kind === 'error') return response.body.value;
  throw new Error(`expected a page, got ${response.kind}: ${JSON.stringify(response)}`);
}

export class PagesBench extends ActionBench {
  readonly actions: ClerkActions;
  readonly ctx: ConsoleContext;
  readonly memory: StoredItemMemory;

  constructor(opts: { now?: string; config?: Record<string, unknown> } = {}) {
    super({ now: opts.now ?? NOW, config: { review: true, ...opts.config } });
    this.actions = new ClerkActions({ store: this.store, planning: planningContextFrom(this.config, this.engine.directory), clock: this.now });
    this.memory = new StoredItemMemory(this.store);
    const executor = createExecutor(this.executorDeps());
    const tz = this.config.council.timezone;
    this.ctx = {
      store: this.store,
      config: this.config,
      engine: this.engine,
      actions: this.actions,
      now: this.now,
      formatWhen: (iso) => formatWhen(iso, tz),
      preview: (effect) => executor.preview(effect),
      health: () => buildHealth(this.store, ['folder'], { now: this.now() }),
    };
  }

  async request(method: 'GET' | 'POST', target: string, form: Record<string, string> = {}, role: ConsoleRole = 'clerk'): Promise<ConsoleResponse> {
    const url = new URL(target, 'http://127.0.0.1');
    const found = match(consolePages, method, url.pathname);
    if (found === undefined) throw new Error(`no route for ${method} ${url.pathname}`);
    const req: ConsoleRequest = {
      method,
      path: url.pathname,
      params: found.params,
      query: url.searchParams,
      form: new URLSearchParams(form),
      user: USERS[role],
      csrfToken: 'test-csrf-token',
    };
    return await found.route.handle(req, this.ctx);
  }

  async get(target: string, role: ConsoleRole = 'clerk'): Promise<string> {
    const response = await this.request('GET', target, {}, role);
    expect(response.kind, `GET ${target}`).toBe('page');
    return bodyOf(response);
  }

  post(target: string, form: Record<string, string> = {}, role: ConsoleRole = 'clerk'): Promise<ConsoleResponse> {
    return this.request('POST', target, form, role);
  }

  /** Record a message as the service does (its original and headline kept, its summary remembered). */
  async mail(spec: Partial<RawMailSpec> & Pick<RawMailSpec, 'messageId' | 'from' | 'to' | 'subject' | 'body'>, mailbox: string = spec.from): Promise<string[]> {
    const { item, findings } = await this.recordMail(rawMail(spec), { mailbox, folder: 'sent' });
    await this.memory.setMail(item);
    return findings.map((f) => f.rule);
  }

  /** Record an event as the service does (its summary kept, and remembered for explaining). */
  async event(item: EventItem): Promise<string[]> {
    const { findings } = await this.recordEvent(item);
    await this.memory.setEvent(item);
    return findings.map((f) => f.rule);
  }

  /** A member copying a councillor blind on a message to an officer: a nudge to the member, held for review. */
  blindCopy(subject = 'Castle Street bins', messageId = '<bins@millbrook-tc.gov.uk>'): Promise<string[]> {
    return this.mail({
      messageId,
      from: A.alice,
      to: [A.sam],
      bcc: [A.raj],
      subject,
      body: `Hi Sam,\n\nResidents of Castle Street tell me the bins were missed again on Monday. What can be done?\n\nThanks,\nAlice`,
    });
  }

  /** An officer criticising a colleague to a member: a private matter. */
  conduct(): Promise<string[]> {
    return this.mail({
      messageId: '<invoices@millbrook-tc.gov.uk>',
      from: A.sam,
      to: [A.tom],
      subject: 'Allotment invoices',
      body: `Tom,\n\nBetween ourselves, Dan is not up to the job. He keeps making mistakes with the allotment invoices. ${BODY_MARKER}.\n\nSam`,
    });
  }
}

/** Benches made for a test, disposed of after it (`afterEach(pool.dispose)`). */
export function benchPool(): { make: (...args: ConstructorParameters<typeof PagesBench>) => PagesBench; dispose: () => Promise<void> } {
  const open: PagesBench[] = [];
  return {
    make: (...args) => {
      const made = new PagesBench(...args);
      open.push(made);
      return made;
    },
    dispose: async () => {
      for (const b of open.splice(0)) await b.dispose();
    },
  };
}
