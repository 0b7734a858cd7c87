/**
 * One record of Wardwatch's first start: the store's identity. The digest reads its first-start
 * date from there (no digest for a day before it; the day of install gets one), and a state file
 * that kept the digest's own note of it (a cursor) has that note folded into the identity.
 */
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DigestScheduler, firstStart, sendDigestIfDue } from '../../src/digest/scheduler.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { council } from '../support/council.js';
import { StoreBench } from '../outbox/fixtures.js';
import { engine, RecordingSender } from './fixtures.js';

const at = (day: string, time: string): Date => new Date(`${day}T${time}:00.000Z`);
/** The digest's own first-start note before there was one record (source, key). */
const LEGACY = ['wardwatch:digest', 'first-start'] as const;

let bench: StoreBench;
beforeEach(() => {
  bench = new StoreBench();
});
afterEach(() => bench.dispose());

function digestNotes(path: string): unknown[] {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare("SELECT key, value FROM cursors WHERE source = 'wardwatch:digest'").all();
  } finally {
    db.close();
  }
}

/** A state file as the version before this one left it: schema 9, the digest's note in the cursors. */
async function legacyStore(setup: (store: SqliteStore) => Promise<unknown> | void): Promise<void> {
  const store = new SqliteStore(bench.dbPath, { migrations: MIGRATIONS.filter((m) => m.version <= 9) });
  try {
    await setup(store);
  } finally {
    await store.close();
  }
}

describe('the digest’s first start', () => {
  it('is the store identity’s: the digest keeps no record of its own', async () => {
    const store = bench.store();
    const sender = new RecordingSender();
    const scheduler = new DigestScheduler({ store, engine, config: council, sender }, { clock: () => at('2026-11-18', '10:00') });
    // Made before `wardwatch run` has checked the state file: nothing is recorded yet.
    expect(await store.isFresh()).toBe(true);
    try {
      await scheduler.start();
    } finally {
      await scheduler.stop();
    }
    expect((await store.identity()).firstStart).toBe(at('2026-11-18', '10:00').toISOString());
    expect(digestNotes(bench.dbPath)).toEqual([]);
    // Installed at 10:00, after the 07:30 digest time: the day of install still gets its digest.
    expect(await store.digestSent('2026-11-18')).toBe(true);
  });

  it('is read from the identity `wardwatch run` recorded: no digest for a day before it', async () => {
    const store = bench.store();
    await store.recordStart(at('2026-11-18', '10:00').toISOString());
    const sender = new RecordingSender();
    // The clock of a machine set back a day: Tuesday's digest would be for a day before the first start.
    const report = await sendDigestIfDue({ store, engine, config: council, sender }, at('2026-11-17', '09:00'));
    expect(report.sent).toEqual([]);
    expect(await firstStart(store, at('2026-11-19', '09:00'))).toBe(at('2026-11-18', '10:00').toISOString());
  });
});

describe('a state file with the digest’s own note of the first start', () => {
  it('has the note folded into its identity when opened, the earlier of the two kept', async () => {
    await legacyStore(async (store) => {
      await store.recordStart(at('2026-11-18', '10:00').toISOString());
      await store.setCursor(...LEGACY, at('2026-11-16', '09:00').toISOString());
    });
    const store = bench.store();
    expect((await store.identity()).firstStart).toBe(at('2026-11-16', '09:00').toISOString());
    expect(digestNotes(bench.dbPath)).toEqual([]);
  });

  it('keeps the identity’s first start when it is the earlier', async () => {
    await legacyStore(async (store) => {
      await store.recordStart(at('2026-11-16', '09:00').toISOString());
      await store.setCursor(...LEGACY, at('2026-11-18', '10:00').toISOString());
    });
    expect((await bench.store().identity()).firstStart).toBe(at('2026-11-16', '09:00').toISOString());
  });

  it('takes the note as the first start of a store in use that never recorded one, so no back-dated digest is sent', async () => {
    await legacyStore(async (store) => {
      await store.setCursor(...LEGACY, at('2026-11-18', '10:00').toISOString());
      await store.markSeen('<hedge-1@millbrook-tc.gov.uk>', 'h1', at('2026-11-18', '10:01').toISOString());
    });
    const store = bench.store();
    expect((await store.identity()).firstStart).toBe(at('2026-11-18', '10:00').toISOString());
    expect(await store.isFresh()).toBe(false);
    const report = await sendDigestIfDue({ store, engine, config: council, sender: new RecordingSender() }, at('2026-11-17', '09:00'));
    expect(report.sent).toEqual([]);
  });

  it('drops a note alone on an otherwise empty store (written before a refused start): it stays fresh', async () => {
    await legacyStore((store) => store.setCursor(...LEGACY, at('2026-11-18', '10:00').toISOString()));
    const store = bench.store();
    expect((await store.identity()).firstStart).toBeUndefined();
    expect(await store.isFresh()).toBe(true);
    expect(digestNotes(bench.dbPath)).toEqual([]);
  });
});
