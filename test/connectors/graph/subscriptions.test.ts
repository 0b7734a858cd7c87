/**
 * Change notifications against the Graph simulator, answered by the service's own HTTP server
 * (startHttpServer, the routes mounted under /hooks/graph/ as the service mounts them): the
 * validation handshake, the expiry Graph chooses, renewal before it, notifications routed to their
 * target and answered at once, forged clientStates refused, lifecycle events, a slow handshake
 * leaving only its target to polling, and stored subscriptions reused after a restart.
 *
 * The simulator posts to a loopback http address (real Graph wants https, which the config insists
 * on), so the settings are built here directly rather than through the config schema.
 */
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GraphSettings } from '../../../connectors/graph/config.js';
import { GraphSubscriptions, MAX_VALIDATION_TOKEN, RETRY_CREATE_MS, watchTargetKey, type ChangeReason, type WatchTarget } from '../../../connectors/graph/subscriptions.js';
import { GraphTransport } from '../../../connectors/graph/transport.js';
import { startHttpServer, type RunningHttpServer } from '../../../src/service/http.js';
import { createLogger } from '../../../src/service/logger.js';
import type { ConnectorLog, WebhookRequest, WebhookRoute } from '../../../src/sources/connector-module.js';
import type { CursorStore } from '../../../src/sources/types.js';
import { Gate } from '../../graph-sim/index.js';
import { MB, startTenant, type Tenant } from './sim-setup.js';

const STATE = 'millbrook-client-state-7f3a9c21e4b8';
const MINUTE = 60_000;

const TARGETS: WatchTarget[] = [
  { kind: 'mail', mailbox: MB.clerk, folder: 'inbox' },
  { kind: 'mail', mailbox: MB.clerk, folder: 'sent' },
  { kind: 'mail', mailbox: MB.sue, folder: 'inbox' },
  { kind: 'calendar', calendarId: 'council-events' },
  { kind: 'calendar', calendarId: 'council-chamber' },
];
const CLERK_INBOX = 'mail:clerk@millbrook-tc.gov.uk:inbox';

class MemoryCursors implements CursorStore {
  readonly values = new Map<string, string>();
  async getCursor(source: string, key: string): Promise<string | undefined> {
    return this.values.get(`${source}|${key}`);
  }
  async setCursor(source: string, key: string, value: string): Promise<void> {
    this.values.set(`${source}|${key}`, value);
  }
  stored(key: string): { id: string; resource: string; expirationDateTime: string } | undefined {
    const text = this.values.get(`graph|subscription:${key}`);
    return text ? (JSON.parse(text) as { id: string; resource: string; expirationDateTime: string }) : undefined;
  }
}

interface Line {
  level: string;
  fields: Record<string, unknown>;
  message: string;
}

function memoryLog(lines: Line[]): ConnectorLog {
  const at = (level: string) => (fields: Record<string, unknown>, message = ''): void => {
    lines.push({ level, fields, message });
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

let t: Tenant;
let server: RunningHttpServer;
let base = '';
/** The instance whose routes the mounted routes hand to: replaced by a "restart". */
let current: GraphSubscriptions | undefined;
/** Validation requests still to be answered late (beyond the simulator's limit). */
let slowValidations = 0;
let httpLogs: Record<string, unknown>[];
let logs: Line[];
let changes: { key: string; why: ChangeReason }[];
let cursors: MemoryCursors;

/**
 * The service mounts routes once at start; a restarted connector brings new ones. So the mounted
 * routes hand each request to the current instance's route of the same path (the secret value is
 * the same clientState throughout).
 */
function mounted(path: 'notifications' | 'lifecycle'): WebhookRoute {
  const routeOf = (): WebhookRoute => {
    const r = current?.routes().find((x) => x.path === path);
    if (!r) throw new Error(`no ${path} route`);
    return r;
  };
  return {
    path,
    method: 'POST',
    maxBodyBytes: 1024 * 1024,
    secret: { value: STATE, presented: (request: WebhookRequest) => routeOf().secret.presented(request) },
    handle: async (request) => {
      if (slowValidations > 0 && request.query.has('validationToken')) {
        slowValidations--;
        await new Promise((r) => setTimeout(r, 600));
      }
      return routeOf().handle(request);
    },
  };
}

async function serve(hooks: WebhookRoute[], port = 0): Promise<void> {
  const logger = createLogger({
    destination: new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n')) if (line.trim() !== '') httpLogs.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    }),
  });
  server = await startHttpServer({
    host: '127.0.0.1',
    port,
    health: () => {
      throw new Error('not used');
    },
    metrics: async () => ({ contentType: 'text/plain', body: '' }),
    logger,
    hooks: hooks.map((route) => ({ connector: 'graph', route })),
  });
  base = `http://127.0.0.1:${server.port}`;
}

beforeEach(async () => {
  t = await startTenant();
  httpLogs = [];
  logs = [];
  changes = [];
  cursors = new MemoryCursors();
  slowValidations = 0;
  await serve([mounted('notifications'), mounted('lifecycle')]);
});

afterEach(async () => {
  await current?.close();
  current = undefined;
  await t.close();
  await server.close();
});

function settingsWith(notifications: Partial<NonNullable<GraphSettings['notifications']>> = {}): GraphSettings {
  return {
    ...t.settings(),
    notifications: { url: `${base}/hooks/graph/notifications`, lifecycleUrl: `${base}/hooks/graph/lifecycle`, clientState: STATE, lifetimeMinutes: 4230, ...notifications },
  };
}

function start(settings: GraphSettings = settingsWith()): GraphSubscriptions {
  const subs = new GraphSubscriptions({
    transport: new GraphTransport(settings, t.transportOptions()),
    settings,
    cursors,
    logger: memoryLog(logs),
    now: () => new Date(t.clock.now()),
    onChange: (target, why) => changes.push({ key: watchTargetKey(target), why }),
  });
  current = subs;
  return subs;
}

const keys = (targets: Iterable<WatchTarget>): string[] => [...targets].map(watchTargetKey).sort();
const posts = (): number => t.sim.requests((r) => r.method === 'POST' && r.path.endsWith('/subscriptions')).length;

async function until<T>(what: string, check: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function job(subs: GraphSubscriptions): () => Promise<void> {
  const [renewal] = subs.jobs();
  if (!renewal) throw new Error('no renewal job');
  return () => renewal.run(new AbortController().signal);
}

describe('subscribing', () => {
  it('subscribes each target after answering the handshake, and stores the expiry Graph chose', async () => {
    t.sim.subscriptions.lifetimeCapMinutes = 120;
    const subs = start();
    const covered = await subs.ensure(TARGETS);
    expect(keys(covered)).toEqual(keys(TARGETS));
    expect(t.sim.subscriptions.subscriptions.size).toBe(5);
    // Both URLs were validated for each subscription, and each echo was accepted.
    const validations = t.sim.subscriptions.deliveries.filter((d) => d.kind === 'validation');
    expect(validations).toHaveLength(10);
    expect(validations.every((d) => d.status === 200)).toBe(true);

    const inbox = cursors.stored(CLERK_INBOX);
    const sim = t.sim.subscriptions.subscriptions.get(inbox?.id ?? '');
    expect(sim?.resource).toBe(`/users/${MB.clerk}/mailFolders('inbox')/messages`);
    expect(sim?.changeType).toBe('created,updated,deleted');
    expect(sim?.clientState).toBe(STATE);
    expect(sim?.lifecycleNotificationUrl).toBe(`${base}/hooks/graph/lifecycle`);
    // 4,230 minutes were asked for; the server granted 120, and that is what is kept.
    expect(inbox?.expirationDateTime).toBe(sim?.expirationDateTime);
    expect(Date.parse(inbox?.expirationDateTime ?? '')).toBeLessThanOrEqual(t.clock.now() + 120 * MINUTE);
    expect(cursors.stored('mail:clerk@millbrook-tc.gov.uk:sent')?.resource).toBe(`/users/${MB.clerk}/mailFolders('sentitems')/messages`);
    expect(cursors.stored('calendar:council-chamber')?.resource).toBe(`/users/${MB.chamber}/events`);
    expect(subs.isCovered(TARGETS[0] as WatchTarget)).toBe(true);
    expect(JSON.stringify(logs)).not.toContain(STATE);
    expect([...cursors.values.values()].join('\n')).not.toContain(STATE);
  });

  it('does nothing without notification settings', async () => {
    const subs = start(t.settings());
    expect(subs.routes()).toEqual([]);
    expect(subs.jobs()).toEqual([]);
    expect(await subs.ensure(TARGETS)).toEqual([]);
    expect(posts()).toBe(0);
  });

  it('leaves a target whose handshake is too slow to polling, and covers the others', async () => {
    t.sim.subscriptions.validationTimeoutMs = 300;
    slowValidations = 1;
    const subs = start();
    const covered = await subs.ensure(TARGETS);
    expect(covered).toHaveLength(4);
    const missing = TARGETS.find((target) => !keys(covered).includes(watchTargetKey(target)));
    expect(missing).toBeDefined();
    const missingKey = watchTargetKey(missing as WatchTarget);
    expect(cursors.stored(missingKey)).toBeUndefined();
    expect(subs.isCovered(missing as WatchTarget)).toBe(false);
    const warning = logs.find((l) => l.level === 'warn' && l.message.includes('/hooks/graph/notifications'));
    expect(warning?.message).toContain('reverse proxy');
    expect(warning?.fields['url']).toBe(`${base}/hooks/graph/notifications`);

    // The job tries again once the retry time has come, and announces the new subscription.
    const run = job(subs);
    await run();
    expect(subs.isCovered(missing as WatchTarget)).toBe(false);
    t.clock.advance(RETRY_CREATE_MS);
    await run();
    expect(keys(subs.covered())).toEqual(keys(TARGETS));
    expect(changes).toEqual([{ key: missingKey, why: 'resubscribed' }]);
  });

  it('reuses stored subscriptions after a restart, and replaces only those Graph no longer has', async () => {
    const first = start();
    await first.ensure(TARGETS);
    expect(posts()).toBe(5);
    await first.close();
    const gone = cursors.stored('calendar:council-events')?.id ?? '';
    t.sim.subscriptions.subscriptions.delete(gone);

    const second = start();
    const covered = await second.ensure(TARGETS);
    expect(keys(covered)).toEqual(keys(TARGETS));
    expect(posts()).toBe(6);
    expect(t.sim.requests((r) => r.method === 'GET' && r.path.startsWith('/subscriptions/')).length).toBe(5);
    expect(cursors.stored('calendar:council-events')?.id).not.toBe(gone);

    // The restarted instance routes the stored subscriptions' notifications.
    await t.sim.deliver(MB.clerk, 'inbox', 'From: raj.mehta@millbrook-tc.gov.uk\r\nTo: clerk@millbrook-tc.gov.uk\r\nSubject: Weir Road\r\nMessage-ID: <a1@millbrook-tc.gov.uk>\r\n\r\nHello\r\n');
    await t.sim.subscriptions.flush();
    await until('the change', () => changes.length > 0);
    expect(changes).toEqual([{ key: CLERK_INBOX, why: 'notification' }]);
  });

  it('replaces stored subscriptions made with another clientState', async () => {
    await start().ensure(TARGETS);
    const before = cursors.stored(CLERK_INBOX)?.id ?? '';
    await current?.close();
    // The service restarts with the new clientState: its routes are mounted with it, at the same address.
    const port = server.port;
    await server.close();
    const subs = start(settingsWith({ clientState: 'a-new-client-state-for-millbrook-9d2' }));
    await serve(subs.routes(), port);
    expect(keys(await subs.ensure(TARGETS))).toEqual(keys(TARGETS));
    expect(posts()).toBe(10);
    expect(t.sim.requests((r) => r.method === 'DELETE').length).toBe(5);
    expect(t.sim.subscriptions.subscriptions.has(before)).toBe(false);
    expect(t.sim.subscriptions.subscriptions.get(cursors.stored(CLERK_INBOX)?.id ?? '')?.clientState).toBe('a-new-client-state-for-millbrook-9d2');
  });
});

describe('renewal', () => {
  it('renews each subscription well before the expiry Graph returned, and never lets one lapse', async () => {
    t.sim.subscriptions.lifetimeCapMinutes = 60;
    const subs = start();
    await subs.ensure(TARGETS);
    const run = job(subs);
    // Counted when answered: past the simulator's token lifetime a first attempt meets 401 and is signed in again.
    const patches = (): number => t.sim.requests((r) => r.method === 'PATCH' && r.status === 200).length;

    t.clock.advance(20 * MINUTE);
    await run();
    expect(patches()).toBe(0);

    t.clock.advance(15 * MINUTE);
    await run();
    expect(patches()).toBe(5);
    const inbox = cursors.stored(CLERK_INBOX);
    expect(Date.parse(inbox?.expirationDateTime ?? '')).toBe(Math.floor((t.clock.now() + 60 * MINUTE) / 1000) * 1000);

    // Past the first expiry: still alive in Graph, and still the same subscription.
    t.clock.advance(30 * MINUTE);
    const sim = t.sim.subscriptions.subscriptions.get(inbox?.id ?? '');
    expect(Date.parse(sim?.expirationDateTime ?? '')).toBeGreaterThan(t.clock.now());
    await run();
    expect(patches()).toBe(10);
    expect(posts()).toBe(5);
    expect(changes).toEqual([]);
  });

  it('makes a new subscription when renewal finds it gone, and says so', async () => {
    t.sim.subscriptions.lifetimeCapMinutes = 60;
    const subs = start();
    await subs.ensure(TARGETS);
    const old = cursors.stored(CLERK_INBOX)?.id ?? '';
    t.sim.subscriptions.subscriptions.delete(old);
    t.clock.advance(40 * MINUTE);
    await job(subs)();
    const now = cursors.stored(CLERK_INBOX)?.id ?? '';
    expect(now).not.toBe(old);
    expect(t.sim.subscriptions.subscriptions.has(now)).toBe(true);
    expect(changes).toEqual([{ key: CLERK_INBOX, why: 'resubscribed' }]);
  });
});

describe('the routes', () => {
  it('echo a validation token as text/plain, and refuse what is not a handshake', async () => {
    start();
    const token = 'Validation: Testing client application reachability for subscription Request-Id: 5ae0 & +co';
    const res = await fetch(`${base}/hooks/graph/notifications?validationToken=${encodeURIComponent(token)}`, { method: 'POST', body: '' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await res.text()).toBe(token);
    const lifecycle = await fetch(`${base}/hooks/graph/lifecycle?validationToken=abc`, { method: 'POST', body: '' });
    expect(await lifecycle.text()).toBe('abc');

    const long = await fetch(`${base}/hooks/graph/notifications?validationToken=${'a'.repeat(MAX_VALIDATION_TOKEN + 1)}`, { method: 'POST', body: '' });
    expect(long.status).toBe(401);
    const control = await fetch(`${base}/hooks/graph/notifications?validationToken=${encodeURIComponent('a\r\nSet-Cookie: x')}`, { method: 'POST', body: '' });
    expect(control.status).toBe(401);
    const withBody = await fetch(`${base}/hooks/graph/notifications?validationToken=abc`, { method: 'POST', body: '{"value":[]}' });
    expect(withBody.status).toBe(401);
    expect(changes).toEqual([]);
  });

  it('route a change with the right clientState to its target and answer 202 at once', async () => {
    const subs = start();
    await subs.ensure(TARGETS);
    const began = Date.now();
    await t.sim.deliver(MB.clerk, 'inbox', 'From: raj.mehta@millbrook-tc.gov.uk\r\nTo: clerk@millbrook-tc.gov.uk\r\nSubject: Weir Road\r\nMessage-ID: <a2@millbrook-tc.gov.uk>\r\n\r\nHello\r\n');
    t.sim.state.addEvent(MB.chamber, {
      subject: 'Planning committee',
      start: { dateTime: '2027-04-20T18:00:00', timeZone: 'Europe/London' },
      end: { dateTime: '2027-04-20T19:00:00', timeZone: 'Europe/London' },
    });
    await t.sim.subscriptions.flush();
    expect(Date.now() - began).toBeLessThan(3000);
    const answers = t.sim.subscriptions.deliveries.filter((d) => d.kind === 'change');
    expect(answers.map((d) => d.status)).toEqual([202, 202]);
    await until('both changes', () => changes.length >= 2);
    expect(changes.sort((a, b) => a.key.localeCompare(b.key))).toEqual([
      { key: 'calendar:council-chamber', why: 'notification' },
      { key: CLERK_INBOX, why: 'notification' },
    ]);
  });

  it('refuse a forged clientState, log it, and run nothing', async () => {
    const subs = start();
    await subs.ensure(TARGETS);
    const id = cursors.stored(CLERK_INBOX)?.id ?? '';
    t.sim.subscriptions.forge(id, 'not-the-millbrook-client-state');
    await t.sim.subscriptions.flush();
    expect(t.sim.subscriptions.deliveries.filter((d) => d.kind === 'change').map((d) => d.status)).toEqual([401]);
    await new Promise((r) => setTimeout(r, 50));
    expect(changes).toEqual([]);
    expect(httpLogs.some((l) => l['msg'] === 'a webhook request was refused: its secret is wrong' && l['connector'] === 'graph')).toBe(true);
    const line = logs.find((l) => l.message.includes('clientState does not match'));
    expect(line?.fields['subscriptionIds']).toEqual([id]);
    expect(line?.fields['known']).toBe(true);
    expect(JSON.stringify([logs, httpLogs])).not.toContain(STATE);
  });

  it('answer 400 to a notification that does not parse, log it, and run nothing', async () => {
    const subs = start();
    await subs.ensure(TARGETS);
    const res = await fetch(`${base}/hooks/graph/notifications`, { method: 'POST', body: JSON.stringify({ value: [{ clientState: STATE, changeType: 'created' }] }) });
    expect(res.status).toBe(400);
    const garbage = await fetch(`${base}/hooks/graph/notifications`, { method: 'POST', body: 'not json' });
    expect(garbage.status).toBe(401);
    await new Promise((r) => setTimeout(r, 50));
    expect(changes).toEqual([]);
    expect(logs.some((l) => l.level === 'warn' && l.message.includes('could not be read') && String(l.fields['problems']).includes('subscriptionId'))).toBe(true);
  });

  it('ignore, with a log line, notifications of subscriptions the instance does not hold', async () => {
    await start().ensure(TARGETS);
    await current?.close();
    const subs = start();
    await subs.ensure([TARGETS[0] as WatchTarget]);
    await t.sim.deliver(MB.sue, 'inbox', 'From: raj.mehta@millbrook-tc.gov.uk\r\nTo: sue.taylor@millbrook-tc.gov.uk\r\nSubject: Bins\r\nMessage-ID: <a3@millbrook-tc.gov.uk>\r\n\r\nHello\r\n');
    await t.sim.subscriptions.flush();
    expect(t.sim.subscriptions.deliveries.filter((d) => d.kind === 'change').map((d) => d.status)).toEqual([202]);
    await until('the log line', () => logs.find((l) => l.message.includes('does not hold')));
    expect(changes).toEqual([]);
  });
});

describe('lifecycle events', () => {
  it('reauthorise on reauthorizationRequired, after answering 202', async () => {
    const subs = start();
    await subs.ensure(TARGETS);
    const id = cursors.stored(CLERK_INBOX)?.id ?? '';
    const gate = new Gate();
    t.sim.inject({ kind: 'hold', gate }, { path: '/reauthorize' });
    t.sim.subscriptions.lifecycle(id, 'reauthorizationRequired');
    await t.sim.subscriptions.flush();
    await gate.waiting(1);
    // Answered while the reauthorisation it started is still held.
    expect(t.sim.subscriptions.deliveries.filter((d) => d.kind === 'lifecycle').map((d) => d.status)).toEqual([202]);
    gate.open();
    await until('the reauthorisation', () => t.sim.requests((r) => r.method === 'POST' && r.path === `/subscriptions/${id}/reauthorize` && r.status === 204).length === 1);
    expect(posts()).toBe(5);
    expect(changes).toEqual([]);
  });

  it('subscribe again on subscriptionRemoved, and announce it', async () => {
    const subs = start();
    await subs.ensure(TARGETS);
    const id = cursors.stored(CLERK_INBOX)?.id ?? '';
    t.sim.subscriptions.lifecycle(id, 'subscriptionRemoved');
    await t.sim.subscriptions.flush();
    await until('the announcement', () => changes.length > 0);
    expect(changes).toEqual([{ key: CLERK_INBOX, why: 'resubscribed' }]);
    expect(posts()).toBe(6);
    const now = cursors.stored(CLERK_INBOX)?.id ?? '';
    expect(now).not.toBe(id);
    expect(t.sim.subscriptions.subscriptions.get(now)?.resource).toBe(`/users/${MB.clerk}/mailFolders('inbox')/messages`);
    expect(subs.isCovered(TARGETS[0] as WatchTarget)).toBe(true);
  });

  it('announce missed notifications', async () => {
    const subs = start();
    await subs.ensure(TARGETS);
    t.sim.subscriptions.lifecycle(cursors.stored('calendar:council-events')?.id ?? '', 'missed');
    await t.sim.subscriptions.flush();
    await until('the announcement', () => changes.length > 0);
    expect(changes).toEqual([{ key: 'calendar:council-events', why: 'missed' }]);
    expect(posts()).toBe(5);
  });

  it('refuse a lifecycle event with a wrong clientState', async () => {
    const subs = start();
    await subs.ensure(TARGETS);
    const res = await fetch(`${base}/hooks/graph/lifecycle`, {
      method: 'POST',
      body: JSON.stringify({ value: [{ subscriptionId: cursors.stored(CLERK_INBOX)?.id, clientState: 'guess-guess-guess-guess', lifecycleEvent: 'subscriptionRemoved' }] }),
    });
    expect(res.status).toBe(401);
    await new Promise((r) => setTimeout(r, 50));
    expect(posts()).toBe(5);
    expect(changes).toEqual([]);
  });
});
