import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate, MIGRATIONS, schemaVersion, StoreVersionError, type Migration } from '../../src/store/migrations.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { tempDir, type TempDir } from '../outbox/fixtures.js';

const TABLES = [
  'audit',
  'console_audit',
  'console_sessions',
  'console_users',
  'cursors',
  'digest_attempts',
  'digests',
  'effects',
  'events',
  'findings',
  'forgotten_effects',
  'forgotten_items',
  'item_memory',
  'needs_human',
  'originals',
  'problems',
  'seen_items',
  'settlements',
  'source_health',
  'standing_exceptions',
  'store_identity',
];

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

/** A row as better-sqlite3 reads it: an object of its columns. */
function row(raw: unknown): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null) throw new Error(`not a row: ${String(raw)}`);
  return { ...raw };
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

  it('upgrades a schema-12 file in place for the console: every effect, its audit and the digests kept whole, effects may now await review', async () => {
    const path = dir.file('wardwatch.sqlite');
    const v12 = new SqliteStore(path, { migrations: MIGRATIONS.slice(0, 12) });
    await v12.close();
    // Written as the previous version wrote them, over its own connection: one effect in each state
    // it knew, every column set wherever that state sets it.
    const db = new Database(path);
    const effect = db.prepare(
      `INSERT INTO effects (key, kind, rule, item_key, recipient, payload, state, attempts, next_attempt_at, last_attempt_at, last_error, message_id,
                            created_at, done_at, person, cap_day, folded_into, released, local_fault)
       VALUES (@key, @kind, @rule, @item, @recipient, @payload, @state, @attempts, @next, @last, @error, @messageId, @created, @done, @person, @day, @folded, @released, @local)`,
    );
    const base = {
      kind: 'nudge',
      rule: 'no-blind-copies',
      recipient: 'sam.patel@millbrook-tc.gov.uk',
      payload: '{"summary":"s","clauses":["12.1"],"private":true}',
      next: '2026-03-02T09:00:00.000Z',
      created: '2026-03-02T08:00:00.000Z',
      person: 'sam.patel@millbrook-tc.gov.uk',
      day: '2026-03-02',
      last: null,
      error: null,
      done: null,
      folded: null,
      released: 0,
      local: 0,
      attempts: 0,
    };
    const rows = [
      { key: 'k-pending', state: 'pending', attempts: 1, last: '2026-03-02T08:30:00.000Z', error: '421 try later', released: 1 },
      { key: 'k-sending', state: 'sending', attempts: 2, last: '2026-03-02T09:00:00.000Z' },
      { key: 'k-done', state: 'done', attempts: 1, last: '2026-03-02T09:00:00.000Z', done: '2026-03-02T09:01:00.000Z' },
      { key: 'k-failed', state: 'failed', attempts: 3, last: '2026-03-02T09:02:00.000Z', error: 'template broken', local: 1 },
      { key: 'k-summary', rule: 'daily-summary', state: 'pending', next: '2026-03-03T08:00:00.000Z', payload: '{"summary":"A summary","clauses":[],"day":"2026-03-02"}' },
      { key: 'k-folded', state: 'folded', folded: 'k-summary' },
      { key: 'k-in-doubt', state: 'in-doubt', attempts: 1, last: '2026-03-02T09:03:00.000Z' },
      { key: 'k-dropped', state: 'dropped', attempts: 1, last: '2026-03-02T09:03:00.000Z', done: '2026-03-02T10:00:00.000Z' },
      { key: 'k-withdrawn', kind: 'invite', state: 'withdrawn', error: 'because the meeting was cancelled', done: '2026-03-02T09:30:00.000Z', person: null, day: null },
      { key: 'k-dry-run', kind: 'block', recipient: '', state: 'skipped-dry-run', person: null, day: null },
    ];
    for (const [n, row] of rows.entries()) effect.run({ ...base, item: `<item-${n}@millbrook-tc.gov.uk>`, messageId: `<${row.key}@millbrook-tc.gov.uk>`, ...row });
    const audit = db.prepare(`INSERT INTO audit (at, effect_key, kind, recipient, from_state, to_state, outcome) VALUES (?, ?, 'nudge', 'sam.patel@millbrook-tc.gov.uk', ?, ?, ?)`);
    audit.run('2026-03-02T08:00:00.000Z', 'k-done', null, 'pending', 'Queued.');
    audit.run('2026-03-02T09:01:00.000Z', 'k-done', 'sending', 'done', 'Sent.');
    db.prepare(`INSERT INTO digests (date, message_id, sent_at) VALUES ('2026-03-01', '<d1@millbrook-tc.gov.uk>', '2026-03-01T07:30:00.000Z')`).run();
    const before = {
      effects: db.prepare('SELECT * FROM effects ORDER BY id').all(),
      audit: db.prepare('SELECT * FROM audit ORDER BY id').all(),
      digests: db.prepare('SELECT * FROM digests').all(),
    };
    db.close();
    expect(before.effects).toHaveLength(rows.length);

    const upgraded = new SqliteStore(path);
    try {
      expect((await upgraded.listEffects()).map((e) => e.state)).toEqual(rows.map((r) => r.state));
      expect(await upgraded.getEffect('k-folded')).toMatchObject({ state: 'folded', foldedInto: 'k-summary', payload: { private: true } });
      const [entry] = await upgraded.listAudit({ effectKey: 'k-done' });
      expect(entry).not.toHaveProperty('actor');
      expect(await upgraded.getDigest('2026-03-01')).toEqual({ date: '2026-03-01', messageId: '<d1@millbrook-tc.gov.uk>', sentAt: '2026-03-01T07:30:00.000Z' });

      // The new state, and ids carrying on after the old ones.
      const held = await upgraded.insertEffect(
        {
          key: 'k-held',
          kind: 'nudge',
          rule: 'no-blind-copies',
          itemKey: '<d@millbrook-tc.gov.uk>',
          recipient: 'sam.patel@millbrook-tc.gov.uk',
          payload: { summary: 's', clauses: [] },
          messageId: '<k-held@millbrook-tc.gov.uk>',
          notBefore: '2026-03-02T09:00:00.000Z',
          review: true,
        },
        '2026-03-02T10:00:00.000Z',
        { state: 'awaiting-review', outcome: 'Held for the Clerk’s approval.' },
      );
      expect(held.state).toBe('awaiting-review');
      expect(held.id).toBeGreaterThan(rows.length);
      expect(await upgraded.countOutboxEffects(['awaiting-review'])).toBe(1);
    } finally {
      await upgraded.close();
    }
    expect(versionOf(path)).toBe(MIGRATIONS.length);

    const fresh = dir.file('fresh.sqlite');
    await new SqliteStore(fresh).close();
    const indexesOf = (file: string): unknown[] => {
      const check = new Database(file, { readonly: true });
      try {
        return check.prepare("SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY tbl_name, name").all();
      } finally {
        check.close();
      }
    };
    const check = new Database(path, { readonly: true });
    try {
      // Every column of every row as it was, the new ones empty.
      expect(check.prepare("SELECT * FROM effects WHERE key <> 'k-held' ORDER BY id").all()).toEqual(before.effects.map((r) => ({ ...row(r), cover_text: null })));
      expect(check.prepare('SELECT * FROM audit WHERE effect_key = ? ORDER BY id').all('k-done')).toEqual(before.audit.map((r) => ({ ...row(r), actor: null })));
      expect(check.prepare('SELECT * FROM digests').all()).toEqual(before.digests.map((r) => ({ ...row(r), content: null })));
      expect(check.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'effects' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all()).toEqual([
        'effects_cap',
        'effects_created',
        'effects_due',
        'effects_folded_into',
        'effects_item',
        'effects_state_kind',
      ]);
    } finally {
      check.close();
    }
    // Every index of the upgraded file is the one a new file has, with the same definition.
    expect(indexesOf(path)).toEqual(indexesOf(fresh));
    const raw = new Database(path);
    try {
      expect(() => raw.prepare("UPDATE effects SET state = 'no-such-state' WHERE key = 'k-held'").run()).toThrow(/CHECK constraint/);
    } finally {
      raw.close();
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
