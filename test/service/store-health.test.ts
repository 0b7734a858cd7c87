/**
 * A failing state store (damaged pages, a full disk) loses nothing and is reported: a record whose
 * item could not be stored is not marked read, /healthz answers 503 with the reason, and the
 * health endpoints cost the same whatever the digest backlog.
 */
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { enqueue } from '../../src/outbox/enqueue.js';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createFolderConnector } from '../../connectors/folder/index.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { Engine } from '../../src/engine/engine.js';
import { effectKey, effectMessageId } from '../../src/outbox/idempotency.js';
import { Outbox, PermanentEffectError, planningContextFrom } from '../../src/outbox/outbox.js';
import { ServiceAlarms } from '../../src/service/alarms.js';
import { buildHealth } from '../../src/service/health.js';
import { silentLogger } from '../../src/service/logger.js';
import { ServiceMetrics } from '../../src/service/metrics.js';
import { OutboxLoop } from '../../src/service/outbox-loop.js';
import { LivePipeline } from '../../src/service/pipeline.js';
import { COUNT_OUTBOX_EFFECTS_SQL, OLDEST_PENDING_SQL, SqliteStore } from '../../src/store/sqlite-store.js';
import type { NewEffect } from '../../src/store/types.js';
import { A, councilConfigInput } from '../support/council.js';
import { assembleForTest, capacityMailFrom, dropMail, makeCouncil, readOutbox, waitFor, type TestCouncil } from './helpers.js';

const config = ConfigSchema.parse({
  ...councilConfigInput,
  limits: { nudgesPerPersonPerDay: 100, quietHours: { roles: [], weekends: false } },
});

let dir: string | undefined;
let council: TestCouncil | undefined;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
  council?.remove();
  council = undefined;
});

function tempStore(): SqliteStore {
  dir ??= mkdtempSync(path.join(tmpdir(), 'wardwatch-store-health-'));
  const store = new SqliteStore(path.join(dir, 'state.sqlite'));
  cleanups.push(async () => await store.close());
  return store;
}

/** The connection behind a store, to make it full the way a full disk does. */
function connectionOf(store: object): Database.Database {
  // The asynchronous store holds the synchronous SQLite connection, which holds better-sqlite3's.
  const connection: unknown = Reflect.get(store, 'db');
  const db: unknown = typeof connection === 'object' && connection !== null ? Reflect.get(connection, 'db') : undefined;
  if (!(db instanceof Database)) throw new Error('the store has no database connection');
  return db;
}

function malformed(): Error {
  return new Database.SqliteError('database disk image is malformed', 'SQLITE_CORRUPT');
}

/** Written long enough ago that the folder source takes it as complete. */
function writeSettled(file: string, content: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
  const past = new Date(Date.now() - 60_000);
  utimesSync(file, past, past);
}

function effectFor(n: number, kind: 'digest' | 'nudge', notBefore: string): NewEffect {
  const itemKey = `<backlog-${n}@millbrook-tc.gov.uk>`;
  const recipient = kind === 'digest' ? '' : A.sue;
  const key = effectKey({ rule: 'state-capacity', itemKey, recipient, kind });
  return {
    key,
    kind,
    rule: 'state-capacity',
    itemKey,
    recipient,
    payload: { summary: `Backlog item ${n}`, clauses: ['4.2'] },
    messageId: effectMessageId(key, 'millbrook-tc.gov.uk'),
    notBefore,
  };
}

/**
 * The outbox without the Clerk's digest: these services keep real time, and after the digest's
 * hour (07:30) a first start sends the day's digest too.
 */
async function nudgesIn(dir: string): Promise<Awaited<ReturnType<typeof readOutbox>>> {
  return (await readOutbox(dir)).filter((m) => !m.key.startsWith('digest;'));
}

describe('a store failure while items are stored', () => {
  it('leaves the file unread, records no "malformed" problem, and reads it again once the store works', async () => {
    const store = tempStore();
    let failing = true;
    // The store as a damaged page shows it: every evaluation written to it fails.
    const damaged = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop === 'transaction' && failing) return () => Promise.reject(malformed());
        const value: unknown = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const engine = new Engine(config);
    const alarms = new ServiceAlarms();
    const pipeline = new LivePipeline({
      store: damaged,
      engine,
      outbox: new Outbox(damaged, { planning: planningContextFrom(config, engine.directory) }),
      logger: silentLogger(),
      alarms,
    });
    dir ??= mkdtempSync(path.join(tmpdir(), 'wardwatch-store-health-'));
    const source = path.join(dir, 'source');
    const mails = [1, 2, 3].map((n) => capacityMailFrom(n, A.sue));
    const files = mails.map((m, i) => path.join(source, 'mail', A.sue, 'Sent Items', `hedge-${i + 1}.eml`));
    mails.forEach((m, i) => writeSettled(files[i] ?? '', m.content));
    const connector = createFolderConnector(source, { cursors: store });

    await expect(connector.sync(pipeline)).rejects.toThrow(/malformed/);
    for (const file of files) expect(await store.getCursor('folder', file)).toBeUndefined();
    expect(await store.listProblems()).toEqual([]);
    expect(alarms.problems()).toEqual([expect.objectContaining({ what: 'store', reason: expect.stringMatching(/damaged/) })]);

    failing = false;
    await connector.sync(pipeline);
    for (const file of files) expect(await store.getCursor('folder', file)).toBeDefined();
    expect((await store.listEffects({ kinds: ['nudge'] })).map((e) => e.itemKey).sort()).toEqual(mails.map((m) => m.messageId).sort());
  });
});

describe('a damaged state file', () => {
  it('fails the integrity check at start: /healthz answers 503 with what to do, and nothing is read or sent', async () => {
    council = makeCouncil();
    // A real state file with enough in it to span many pages.
    const seeded = new SqliteStore(council.storePath);
    for (let n = 0; n < 800; n += 1) await seeded.setCursor('folder', `/council/mail/file-${n}.eml`, `1765000000000:${4000 + n}`);
    await seeded.close();
    const size = statSync(council.storePath).size;
    const pageSize = 4096;
    // Three quarters in: among the cursors' own pages, past the small tables' roots at the front
    // (whose places move whenever a migration adds a table), so what /healthz reads stays readable.
    const middle = Math.floor(((size / pageSize) * 3) / 4) * pageSize;
    expect(middle).toBeGreaterThan(pageSize * 50);
    const fd = openSync(council.storePath, 'r+');
    writeSync(fd, Buffer.alloc(pageSize * 2, 0xa5), 0, pageSize * 2, middle);
    closeSync(fd);

    const m = capacityMailFrom(1, A.sue);
    const file = dropMail(council, A.sue, 'Sent Items', 'hedge.eml', m.content);
    const past = new Date(Date.now() - 60_000);
    utimesSync(file, past, past);

    const { service } = await assembleForTest(council);
    const started = await service.start();
    cleanups.push(() => service.stop());
    expect(started.sources).toEqual([]);
    const res = await fetch(`http://127.0.0.1:${started.port}/healthz`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as { status: string; error: string };
    expect(body.status).toBe('unavailable');
    expect(body.error).toMatch(/the state file is damaged/);
    expect(body.error).toMatch(/docs\/operating\.md/);
    await new Promise((r) => setTimeout(r, 500));
    expect(await readOutbox(council.outboxDir)).toEqual([]);
  });
});

describe('damage found while the service runs', () => {
  it('by the scheduled integrity check: /healthz answers 503 and nothing more is read or sent', async () => {
    council = makeCouncil();
    const { service, store } = await assembleForTest(council, { tuning: { integrityCheckMs: 100 } });
    const started = await service.start();
    cleanups.push(() => service.stop());
    const first = capacityMailFrom(1, A.sue);
    dropMail(council, A.sue, 'Sent Items', 'first.eml', first.content);
    await waitFor('the first message to be sent', async () => (await nudgesIn(council?.outboxDir ?? '')).length === 1);

    // What SQLite's integrity check reports of a damaged b-tree page.
    Object.assign(store, { checkIntegrity: () => ['*** in database main ***', 'Tree 14 page 37 cell 2: invalid page number 9876'] });
    const res = await waitFor('/healthz to report the damage', async () => {
      const r = await fetch(`http://127.0.0.1:${started.port}/healthz`);
      return r.status === 503 ? r : undefined;
    });
    const body = (await res.json()) as { error: string; problems: { what: string }[] };
    expect(body.error).toMatch(/^the state file is damaged: SQLite's integrity check found 2 faults \(\*\*\* in database main \*\*\*; Tree 14 page 37/);
    expect(body.problems.map((p) => p.what)).toEqual(['store']);

    const second = capacityMailFrom(2, A.sue);
    const file = dropMail(council, A.sue, 'Sent Items', 'second.eml', second.content);
    const past = new Date(Date.now() - 60_000);
    utimesSync(file, past, past);
    await new Promise((r) => setTimeout(r, 600));
    expect(await store.getCursor('folder', file)).toBeUndefined();
    expect((await nudgesIn(council.outboxDir)).map((m) => m.to[0])).toEqual([first.member]);
  });
});

describe('a full disk', () => {
  it('makes /healthz answer 503 "disk full"; the mail waiting is judged and sent once when space is freed', async () => {
    council = makeCouncil();
    const { service, store } = await assembleForTest(council, { tuning: { sourceBackoff: { initialMs: 50, maxMs: 100 } } });
    const started = await service.start();
    cleanups.push(() => service.stop());
    const db = connectionOf(store);
    const pages = db.pragma('page_count', { simple: true });
    if (typeof pages !== 'number') throw new Error('no page count');
    db.pragma(`max_page_count = ${pages}`);

    // Enough mail to need new pages.
    const mails = [1, 2, 3, 4, 5, 6].map((n) => capacityMailFrom(n, A.sue));
    for (const [i, m] of mails.entries()) {
      const file = dropMail(council, A.sue, 'Sent Items', `hedge-${i}.eml`, m.content);
      const past = new Date(Date.now() - 60_000);
      utimesSync(file, past, past);
    }
    const unavailable = await waitFor('/healthz to say the disk is full', async () => {
      const res = await fetch(`http://127.0.0.1:${started.port}/healthz`);
      return res.status === 503 ? ((await res.json()) as { error: string }) : undefined;
    });
    expect(unavailable.error).toMatch(/^disk full/);

    db.pragma('max_page_count = 1073741823');
    await waitFor('the mail to be judged and sent', async () => (await nudgesIn(council?.outboxDir ?? '')).length === mails.length);
    const res = await waitFor('/healthz to recover', async () => {
      const r = await fetch(`http://127.0.0.1:${started.port}/healthz`);
      return r.status === 200 ? r : undefined;
    });
    expect(((await res.json()) as { status: string }).status).toBe('ok');
    await service.flushOutbox();
    const sent = await nudgesIn(council.outboxDir);
    expect(sent.map((s) => s.to[0]).sort()).toEqual(mails.map((m) => m.member).sort());
  });
});

describe('/healthz and /metrics with a digest backlog', () => {
  it('read a handful of rows, never the backlog, and count through an index', async () => {
    const store = tempStore();
    const now = '2026-11-20T10:00:00.000Z';
    const backlog = Array.from({ length: 5_000 }, (_, n) => effectFor(n, 'digest', now));
    await enqueue(store, backlog, now);
    await enqueue(store, [effectFor(1, 'nudge', '2026-11-20T11:00:00.000Z')], now);

    let rowsRead = 0;
    const counted = new Proxy(store, {
      get(target, prop, receiver) {
        const value: unknown = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          const result: unknown = Reflect.apply(value, target, args);
          rowsRead += Array.isArray(result) ? result.length : 1;
          return result;
        };
      },
    });
    const report = await buildHealth(counted, ['folder'], { now: new Date(now) });
    const metrics = await new ServiceMetrics(counted, { defaultMetrics: false }).render();
    expect(report.outbox).toEqual({ pending: 1, failed: 0, inDoubt: 0 });
    expect(report.status).toBe('ok');
    expect(metrics.body).toContain('outbox_pending 1');
    expect(rowsRead).toBeLessThan(20);

    const plan = new Database(path.join(dir ?? '', 'state.sqlite'), { readonly: true });
    cleanups.push(() => {
      plan.close();
    });
    const searchesOf = (sql: string, params: Record<string, string>): string[] =>
      (plan.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as { detail: string }[]).map((s) => s.detail).filter((d) => /SEARCH effects|SCAN effects/.test(d));
    // Each search starts and stops either side of the digest entries in the index: they are never visited.
    const counting = searchesOf(COUNT_OUTBOX_EFFECTS_SQL, { state: 'pending' });
    expect(counting).toHaveLength(2);
    for (const d of counting) expect(d).toMatch(/^SEARCH effects USING COVERING INDEX effects_state_kind \(state=\? AND kind[<>]\?\)$/);
    const oldest = searchesOf(OLDEST_PENDING_SQL, { dueBy: now });
    expect(oldest).toHaveLength(2);
    for (const d of oldest) expect(d).toMatch(/^SEARCH effects USING COVERING INDEX effects_state_kind \(state=\? AND kind[<>]\?\)$/);
  });
});

describe('a stuck outbox and a sender refusing every message', () => {
  it('are reported by /healthz as unavailable, with the reason', async () => {
    const store = tempStore();
    await enqueue(store, [effectFor(1, 'nudge', '2026-11-20T09:00:00.000Z')], '2026-11-20T09:00:00.000Z');
    expect((await buildHealth(store, [], { now: new Date('2026-11-20T09:10:00.000Z') })).status).toBe('ok');
    const stuck = await buildHealth(store, [], { now: new Date('2026-11-20T10:00:00.000Z') });
    expect(stuck.status).toBe('unavailable');
    expect(stuck.problems).toEqual([expect.objectContaining({ what: 'outbox', since: '2026-11-20T09:00:00.000Z', reason: expect.stringMatching(/^the outbox is stuck/) })]);
  });

  it('reports the sender once it has refused five messages in a row, and clears when one goes out', async () => {
    const store = tempStore();
    const engine = new Engine(config);
    let clock = new Date('2026-11-20T10:00:00.000Z');
    const outbox = new Outbox(store, { planning: planningContextFrom(config, engine.directory), clock: () => clock });
    await enqueue(store, [1, 2, 3, 4, 5, 6].map((n) => effectFor(n, 'nudge', clock.toISOString())), clock.toISOString());
    const alarms = new ServiceAlarms(() => clock);
    let refuse = true;
    const loop = new OutboxLoop(
      outbox,
      async () => {
        if (refuse) throw new PermanentEffectError('550 5.7.1 Relaying denied for millbrook-tc.gov.uk');
      },
      { logger: silentLogger(), alarms, lastError: async (key) => (await store.getEffect(key))?.lastError, intervalMs: 3_600_000 },
    );
    cleanups.push(() => loop.stop());
    await loop.start();
    await loop.idle();
    const health = await buildHealth(store, [], { problems: alarms.problems(), now: clock });
    expect(health.status).toBe('unavailable');
    expect(health.problems).toEqual([expect.objectContaining({ what: 'sender', reason: expect.stringMatching(/refused the last 6 messages.*Relaying denied/) })]);

    refuse = false;
    clock = new Date('2026-11-20T10:05:00.000Z');
    await enqueue(store, [effectFor(7, 'nudge', clock.toISOString())], clock.toISOString());
    loop.wake();
    await loop.idle();
    expect(alarms.problems()).toEqual([]);
  });

  it('stops at once when an attempt finds the sender refused: the effects after it spend no attempt', async () => {
    const store = tempStore();
    const engine = new Engine(config);
    const clock = new Date('2026-11-20T10:00:00.000Z');
    const outbox = new Outbox(store, { planning: planningContextFrom(config, engine.directory), clock: () => clock });
    await enqueue(store, [1, 2, 3, 4].map((n) => effectFor(n, 'nudge', clock.toISOString())), clock.toISOString());
    // The sender learns on the first message that its permission was withdrawn, and says so from then on.
    let refused: string | undefined;
    let tried = 0;
    const loop = new OutboxLoop(
      outbox,
      async () => {
        tried++;
        refused = 'Microsoft 365 refused sending from protocol@millbrook-tc.gov.uk (403 ErrorAccessDenied)';
        throw new Error(`Not sent: ${refused}`);
      },
      { logger: silentLogger(), intervalMs: 3_600_000, senderReadiness: async () => refused },
    );
    cleanups.push(() => loop.stop());
    await loop.start();
    await loop.idle();
    expect(tried).toBe(1);
    const attempts = (await store.listEffects({ kinds: ['nudge'] })).map((e) => e.attempts).sort();
    expect(attempts).toEqual([0, 0, 0, 1]);
  });
});
