import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate, MIGRATIONS, schemaVersion, StoreVersionError, type Migration } from '../../src/store/migrations.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { tempDir, type TempDir } from '../outbox/fixtures.js';

const TABLES = ['audit', 'cursors', 'digest_attempts', 'digests', 'effects', 'events', 'findings', 'forgotten_effects', 'forgotten_items', 'item_memory', 'needs_human', 'originals', 'problems', 'seen_items', 'source_health', 'store_identity'];

function tablesOf(path: string): string[] {
  const db = new Database(path, { readonly: true });
  try {
    return db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
      .pluck()
      .all()
      .map(String);
  } finally {
    db.close();
  }
}

function versionOf(path: string): number {
  const db = new Database(path, { readonly: true });
  try {
    return schemaVersion(db);
  } finally {
    db.close();
  }
}

describe('store migrations', () => {
  let dir: TempDir;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => dir.remove());

  it('creates every table in a new file, in WAL mode, at the newest version', async () => {
    const path = dir.file('nested/folder/wardwatch.sqlite');
    const store = new SqliteStore(path);
    expect(await store.journalMode()).toBe('wal');
    await store.close();
    expect(tablesOf(path)).toEqual(TABLES);
    expect(versionOf(path)).toBe(MIGRATIONS.length);
  });

  it('re-opens an existing file without migrating again and keeps its data', async () => {
    const path = dir.file('wardwatch.sqlite');
    const first = new SqliteStore(path);
    await first.setCursor('folder', 'mail/sam', '42');
    await first.close();

    const db = new Database(path);
    expect(migrate(db, path)).toEqual([]);
    db.close();

    const second = new SqliteStore(path);
    expect(await second.getCursor('folder', 'mail/sam')).toBe('42');
    await second.close();
  });

  it('applies a later migration to an existing file, keeping the data', async () => {
    const path = dir.file('wardwatch.sqlite');
    const v1 = new SqliteStore(path);
    await v1.recordDigest('2026-01-14', '<d1@millbrook-tc.gov.uk>', '2026-01-14T07:30:00.000Z');
    await v1.close();

    const v2: Migration = { version: MIGRATIONS.length + 1, description: 'a test column', sql: 'ALTER TABLE digests ADD COLUMN note TEXT;' };
    const upgraded = new SqliteStore(path, { migrations: [...MIGRATIONS, v2] });
    expect(await upgraded.digestSent('2026-01-14')).toBe(true);
    await upgraded.close();
    expect(versionOf(path)).toBe(MIGRATIONS.length + 1);
  });

  it('moves the item memory kept among the cursors (schema 9) into its own table, keeping every summary and its date', async () => {
    const path = dir.file('wardwatch.sqlite');
    const v9 = new SqliteStore(path, { migrations: MIGRATIONS.slice(0, 9) });
    await v9.close();
    const db = new Database(path);
    const cursor = db.prepare('INSERT INTO cursors (source, key, value, updated_at) VALUES (?, ?, ?, ?)');
    cursor.run('wardwatch:item-memory:mail', '<budget-7@millbrook-tc.gov.uk>', '{"kind":"mail"}', '2026-03-02T09:15:00.000Z');
    cursor.run('wardwatch:item-memory:event', 'surgery-4@millbrook-tc.gov.uk', '{"kind":"event"}', '2026-03-03T10:00:00.000Z');
    cursor.run('imap', 'clerk@millbrook-tc.gov.uk/inbox', '1700000000:42', '2026-03-03T10:05:00.000Z');
    db.close();

    const upgraded = new SqliteStore(path);
    expect(await upgraded.getItemMemory('mail', '<budget-7@millbrook-tc.gov.uk>')).toBe('{"kind":"mail"}');
    expect(await upgraded.getItemMemory('event', 'surgery-4@millbrook-tc.gov.uk')).toBe('{"kind":"event"}');
    expect(await upgraded.getCursor('wardwatch:item-memory:mail', '<budget-7@millbrook-tc.gov.uk>')).toBeUndefined();
    expect(await upgraded.getCursor('imap', 'clerk@millbrook-tc.gov.uk/inbox')).toBe('1700000000:42');
    await upgraded.close();

    const check = new Database(path, { readonly: true });
    try {
      expect(check.prepare('SELECT kind, key, updated_at FROM item_memory ORDER BY kind').all()).toEqual([
        { kind: 'event', key: 'surgery-4@millbrook-tc.gov.uk', updated_at: '2026-03-03T10:00:00.000Z' },
        { kind: 'mail', key: '<budget-7@millbrook-tc.gov.uk>', updated_at: '2026-03-02T09:15:00.000Z' },
      ]);
      expect(check.prepare("SELECT count(*) AS n FROM cursors WHERE source LIKE 'wardwatch:item-memory:%'").get()).toEqual({ n: 0 });
    } finally {
      check.close();
    }
  });

  it('leaves the file at the previous version when a migration fails part-way', async () => {
    const path = dir.file('wardwatch.sqlite');
    await new SqliteStore(path).close();
    const broken: Migration = {
      version: MIGRATIONS.length + 1,
      description: 'fails after its first statement',
      sql: 'CREATE TABLE extra (x TEXT); INSERT INTO no_such_table VALUES (1);',
    };
    expect(() => new SqliteStore(path, { migrations: [...MIGRATIONS, broken] })).toThrow(/no_such_table/);
    expect(versionOf(path)).toBe(MIGRATIONS.length);
    expect(tablesOf(path)).not.toContain('extra');
  });

  it('refuses, with a clear message, a file written by a newer Wardwatch', async () => {
    const path = dir.file('wardwatch.sqlite');
    await new SqliteStore(path).close();
    const db = new Database(path);
    db.pragma(`user_version = ${MIGRATIONS.length + 5}`);
    db.close();
    expect(() => new SqliteStore(path)).toThrow(StoreVersionError);
    expect(() => new SqliteStore(path)).toThrow(/newer version of Wardwatch.*Please upgrade/);
  });

  it('rejects a migration list with gaps', () => {
    const db = new Database(':memory:');
    const gap: Migration[] = [{ version: 2, description: 'x', sql: 'SELECT 1;' }];
    expect(() => migrate(db, ':memory:', gap)).toThrow(/without gaps/);
    db.close();
  });
});
