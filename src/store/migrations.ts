/**
 * Schema migrations for the SQLite store, tracked with `PRAGMA user_version`.
 * Each migration runs in its own transaction together with the version bump, so a crash part-way
 * leaves the file at the previous version, never half-migrated. Migrations are only ever appended.
 */
import type Database from 'better-sqlite3';

export interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'seen items, findings, outbox, cursors, digests, audit log, problems, source health',
    sql: `
      CREATE TABLE seen_items (
        item_key      TEXT PRIMARY KEY,
        content_hash  TEXT NOT NULL,
        first_seen    TEXT NOT NULL,
        last_seen     TEXT NOT NULL,
        changes       INTEGER NOT NULL DEFAULT 0
      );

      CREATE TABLE findings (
        rule        TEXT NOT NULL,
        item_key    TEXT NOT NULL,
        seq         INTEGER NOT NULL,
        finding     TEXT NOT NULL,
        first_seen  TEXT NOT NULL,
        updated_at  TEXT NOT NULL,
        PRIMARY KEY (rule, item_key, seq)
      );
      CREATE INDEX findings_updated ON findings (updated_at);
      CREATE INDEX findings_item ON findings (item_key);

      CREATE TABLE effects (
        id               INTEGER PRIMARY KEY AUTOINCREMENT,
        key              TEXT NOT NULL UNIQUE,
        kind             TEXT NOT NULL,
        rule             TEXT NOT NULL,
        item_key         TEXT NOT NULL,
        recipient        TEXT NOT NULL,
        payload          TEXT NOT NULL,
        state            TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'done', 'failed', 'folded', 'skipped-dry-run')),
        attempts         INTEGER NOT NULL DEFAULT 0,
        next_attempt_at  TEXT NOT NULL,
        last_attempt_at  TEXT,
        last_error       TEXT,
        message_id       TEXT NOT NULL,
        created_at       TEXT NOT NULL,
        done_at          TEXT,
        person           TEXT,
        cap_day          TEXT,
        folded_into      TEXT
      );
      CREATE INDEX effects_due ON effects (state, next_attempt_at);
      CREATE INDEX effects_cap ON effects (person, cap_day);
      CREATE INDEX effects_item ON effects (item_key);
      CREATE INDEX effects_folded_into ON effects (folded_into);

      CREATE TABLE cursors (
        source      TEXT NOT NULL,
        key         TEXT NOT NULL,
        value       TEXT NOT NULL,
        updated_at  TEXT NOT NULL,
        PRIMARY KEY (source, key)
      );

      CREATE TABLE digests (
        date        TEXT NOT NULL UNIQUE,
        message_id  TEXT NOT NULL,
        sent_at     TEXT NOT NULL
      );

      CREATE TABLE audit (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        at          TEXT NOT NULL,
        effect_key  TEXT NOT NULL,
        kind        TEXT NOT NULL,
        recipient   TEXT NOT NULL,
        from_state  TEXT,
        to_state    TEXT NOT NULL,
        outcome     TEXT NOT NULL
      );
      CREATE INDEX audit_effect ON audit (effect_key);
      CREATE INDEX audit_at ON audit (at);

      CREATE TABLE problems (
        origin      TEXT PRIMARY KEY,
        kind        TEXT NOT NULL,
        reason      TEXT NOT NULL,
        first_seen  TEXT NOT NULL,
        last_seen   TEXT NOT NULL,
        count       INTEGER NOT NULL DEFAULT 1
      );

      CREATE TABLE source_health (
        source         TEXT PRIMARY KEY,
        last_success   TEXT,
        last_error_at  TEXT,
        last_error     TEXT
      );
    `,
  },
  {
    version: 2,
    description: 'events for the digest, original message sources, items that need a human, digest attempts',
    sql: `
      CREATE TABLE events (
        key          TEXT PRIMARY KEY,
        calendar_id  TEXT NOT NULL,
        summary      TEXT NOT NULL,
        start        TEXT NOT NULL,
        end          TEXT NOT NULL,
        location     TEXT NOT NULL,
        kinds        TEXT NOT NULL,
        wards        TEXT NOT NULL,
        organizer    TEXT,
        attendees    TEXT NOT NULL,
        updated_at   TEXT NOT NULL
      );
      CREATE INDEX events_start ON events (start);

      CREATE TABLE originals (
        item_key  TEXT PRIMARY KEY,
        source    BLOB NOT NULL,
        saved_at  TEXT NOT NULL
      );
      CREATE INDEX originals_saved ON originals (saved_at);

      CREATE TABLE needs_human (
        item_key    TEXT NOT NULL,
        rule        TEXT NOT NULL,
        message     TEXT NOT NULL,
        first_seen  TEXT NOT NULL,
        last_seen   TEXT NOT NULL,
        count       INTEGER NOT NULL DEFAULT 1,
        PRIMARY KEY (item_key, rule)
      );
      CREATE INDEX needs_human_last_seen ON needs_human (last_seen);

      CREATE TABLE digest_attempts (
        date        TEXT PRIMARY KEY,
        message_id  TEXT NOT NULL,
        since       TEXT,
        until       TEXT NOT NULL,
        started_at  TEXT NOT NULL
      );
    `,
  },
  {
    version: 3,
    description: "where each event lives in its source (href, ETag), its SEQUENCE, all-day flag and organiser's name",
    sql: `
      ALTER TABLE events ADD COLUMN origin TEXT;
      ALTER TABLE events ADD COLUMN etag TEXT;
      ALTER TABLE events ADD COLUMN sequence INTEGER;
      ALTER TABLE events ADD COLUMN all_day INTEGER;
      ALTER TABLE events ADD COLUMN organizer_name TEXT;
    `,
  },
  {
    version: 4,
    description: "a message's headline (subject, date, sender and recipients) beside its original, so the executor need not parse it again",
    sql: `
      ALTER TABLE originals ADD COLUMN headline TEXT;
    `,
  },
  {
    version: 5,
    description: 'whether a failed effect was given up because of a fault on this side (a broken template), so it can be retried once fixed',
    sql: `
      ALTER TABLE effects ADD COLUMN local_fault INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    version: 6,
    description: 'whether a problem is an error (could not be read) or a warning (read, with a remark)',
    sql: `
      ALTER TABLE problems ADD COLUMN severity TEXT NOT NULL DEFAULT 'error';
    `,
  },
  {
    version: 7,
    description: "effects held in doubt after a crash (and dropped by the Clerk), released effects, digests in doubt, and the store's identity",
    // SQLite cannot change a CHECK constraint in place: the effects table is rebuilt with the new states.
    sql: `
      CREATE TABLE effects_v7 (
        id               INTEGER PRIMARY KEY AUTOINCREMENT,
        key              TEXT NOT NULL UNIQUE,
        kind             TEXT NOT NULL,
        rule             TEXT NOT NULL,
        item_key         TEXT NOT NULL,
        recipient        TEXT NOT NULL,
        payload          TEXT NOT NULL,
        state            TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'done', 'failed', 'folded', 'skipped-dry-run', 'in-doubt', 'dropped')),
        attempts         INTEGER NOT NULL DEFAULT 0,
        next_attempt_at  TEXT NOT NULL,
        last_attempt_at  TEXT,
        last_error       TEXT,
        message_id       TEXT NOT NULL,
        created_at       TEXT NOT NULL,
        done_at          TEXT,
        person           TEXT,
        cap_day          TEXT,
        folded_into      TEXT,
        released         INTEGER NOT NULL DEFAULT 0,
        local_fault      INTEGER NOT NULL DEFAULT 0
      );
      INSERT INTO effects_v7 (id, key, kind, rule, item_key, recipient, payload, state, attempts, next_attempt_at,
                              last_attempt_at, last_error, message_id, created_at, done_at, person, cap_day, folded_into, local_fault)
        SELECT id, key, kind, rule, item_key, recipient, payload, state, attempts, next_attempt_at,
               last_attempt_at, last_error, message_id, created_at, done_at, person, cap_day, folded_into, local_fault FROM effects;
      DROP TABLE effects;
      ALTER TABLE effects_v7 RENAME TO effects;
      CREATE INDEX effects_due ON effects (state, next_attempt_at);
      CREATE INDEX effects_cap ON effects (person, cap_day);
      CREATE INDEX effects_item ON effects (item_key);
      CREATE INDEX effects_folded_into ON effects (folded_into);

      ALTER TABLE digest_attempts ADD COLUMN in_doubt_since TEXT;

      CREATE TABLE store_identity (
        only         INTEGER PRIMARY KEY CHECK (only = 1),
        id           TEXT NOT NULL,
        created_at   TEXT NOT NULL,
        first_start  TEXT,
        fresh_start  TEXT
      );
    `,
  },
  {
    version: 8,
    description: 'fingerprints of pruned items and effects, so that a message seen again after its retention period is not judged or acted on twice',
    sql: `
      CREATE TABLE forgotten_items (
        fingerprint   TEXT PRIMARY KEY,
        content_hash  TEXT NOT NULL,
        forgotten_at  TEXT NOT NULL
      );

      CREATE TABLE forgotten_effects (
        fingerprint   TEXT PRIMARY KEY,
        kind          TEXT NOT NULL,
        state         TEXT NOT NULL,
        forgotten_at  TEXT NOT NULL
      );
    `,
  },
  {
    version: 9,
    description: 'effects by state and kind, so /healthz and /metrics count the outbox without reading the digest backlog',
    sql: `
      CREATE INDEX effects_state_kind ON effects (state, kind, next_attempt_at);
    `,
  },
  {
    version: 10,
    description: 'item memory (body-less summaries of the messages and events seen) in a table of its own, moved out of the cursors',
    sql: `
      CREATE TABLE item_memory (
        kind        TEXT NOT NULL CHECK (kind IN ('mail', 'event')),
        key         TEXT NOT NULL,
        summary     TEXT NOT NULL,
        updated_at  TEXT NOT NULL,
        PRIMARY KEY (kind, key)
      );
      CREATE INDEX item_memory_updated ON item_memory (updated_at);

      INSERT INTO item_memory (kind, key, summary, updated_at)
        SELECT substr(source, length('wardwatch:item-memory:') + 1), key, value, updated_at FROM cursors
        WHERE source IN ('wardwatch:item-memory:mail', 'wardwatch:item-memory:event');
      DELETE FROM cursors WHERE source IN ('wardwatch:item-memory:mail', 'wardwatch:item-memory:event');
    `,
  },
  {
    version: 11,
    description: 'effects withdrawn before they were carried out, because their event or message was removed at its source',
    // SQLite cannot change a CHECK constraint in place: the effects table is rebuilt with the new state.
    sql: `
      CREATE TABLE effects_v10 (
        id               INTEGER PRIMARY KEY AUTOINCREMENT,
        key              TEXT NOT NULL UNIQUE,
        kind             TEXT NOT NULL,
        rule             TEXT NOT NULL,
        item_key         TEXT NOT NULL,
        recipient        TEXT NOT NULL,
        payload          TEXT NOT NULL,
        state            TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'done', 'failed', 'folded', 'skipped-dry-run', 'in-doubt', 'dropped', 'withdrawn')),
        attempts         INTEGER NOT NULL DEFAULT 0,
        next_attempt_at  TEXT NOT NULL,
        last_attempt_at  TEXT,
        last_error       TEXT,
        message_id       TEXT NOT NULL,
        created_at       TEXT NOT NULL,
        done_at          TEXT,
        person           TEXT,
        cap_day          TEXT,
        folded_into      TEXT,
        released         INTEGER NOT NULL DEFAULT 0,
        local_fault      INTEGER NOT NULL DEFAULT 0
      );
      INSERT INTO effects_v10 (id, key, kind, rule, item_key, recipient, payload, state, attempts, next_attempt_at,
                               last_attempt_at, last_error, message_id, created_at, done_at, person, cap_day, folded_into, released, local_fault)
        SELECT id, key, kind, rule, item_key, recipient, payload, state, attempts, next_attempt_at,
               last_attempt_at, last_error, message_id, created_at, done_at, person, cap_day, folded_into, released, local_fault FROM effects;
      DROP TABLE effects;
      ALTER TABLE effects_v10 RENAME TO effects;
      CREATE INDEX effects_due ON effects (state, next_attempt_at);
      CREATE INDEX effects_cap ON effects (person, cap_day);
      CREATE INDEX effects_item ON effects (item_key);
      CREATE INDEX effects_folded_into ON effects (folded_into);
      CREATE INDEX effects_state_kind ON effects (state, kind, next_attempt_at);
      CREATE INDEX events_origin ON events (origin);
    `,
  },
  {
    version: 12,
    description: "findings in first-seen order, for a digest read page by page; the digest's first-start record folded into the store's identity",
    // The digest kept its own note of the first start (a cursor): the earlier of that note and the
    // identity's first start is the first start. The note alone, on a store that holds nothing
    // else, says nothing (the digest wrote it before a refused start), and is dropped.
    sql: `
      CREATE INDEX findings_first_seen ON findings (first_seen, item_key, seq, rule);

      CREATE TEMP TABLE legacy_first_start AS
        SELECT value FROM cursors WHERE source = 'wardwatch:digest' AND key = 'first-start' AND julianday(value) IS NOT NULL;
      INSERT OR IGNORE INTO store_identity (only, id, created_at)
        SELECT 1,
               lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' ||
                     substr('89AB', 1 + abs(random()) % 4, 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6))),
               strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
        WHERE EXISTS (SELECT 1 FROM legacy_first_start);
      UPDATE store_identity SET first_start = (SELECT value FROM legacy_first_start)
        WHERE only = 1 AND EXISTS (SELECT 1 FROM legacy_first_start)
          AND ((first_start IS NOT NULL AND first_start > (SELECT value FROM legacy_first_start))
            OR (first_start IS NULL AND (EXISTS (SELECT 1 FROM seen_items) OR EXISTS (SELECT 1 FROM effects) OR EXISTS (SELECT 1 FROM digests) OR EXISTS (SELECT 1 FROM item_memory)
                                         OR EXISTS (SELECT 1 FROM cursors WHERE source <> 'wardwatch:digest'))));
      DROP TABLE legacy_first_start;
      DELETE FROM cursors WHERE source = 'wardwatch:digest' AND key = 'first-start';
    `,
  },
  {
    version: 13,
    description:
      "the Clerk's console: effects held for review (with the Clerk's cover text), who made each change, digests kept as sent, settled findings, standing exceptions, console accounts, sessions and their audit",
    // SQLite cannot change a CHECK constraint in place: the effects table is rebuilt with the new state.
    // A settlement's message id is '' when it covers every finding of the rule on the item, so that
    // the unique key holds (SQLite treats NULLs as distinct in a UNIQUE constraint).
    sql: `
      CREATE TABLE effects_v13 (
        id               INTEGER PRIMARY KEY AUTOINCREMENT,
        key              TEXT NOT NULL UNIQUE,
        kind             TEXT NOT NULL,
        rule             TEXT NOT NULL,
        item_key         TEXT NOT NULL,
        recipient        TEXT NOT NULL,
        payload          TEXT NOT NULL,
        state            TEXT NOT NULL CHECK (state IN ('awaiting-review', 'pending', 'sending', 'done', 'failed', 'folded', 'skipped-dry-run', 'in-doubt', 'dropped', 'withdrawn')),
        attempts         INTEGER NOT NULL DEFAULT 0,
        next_attempt_at  TEXT NOT NULL,
        last_attempt_at  TEXT,
        last_error       TEXT,
        message_id       TEXT NOT NULL,
        created_at       TEXT NOT NULL,
        done_at          TEXT,
        person           TEXT,
        cap_day          TEXT,
        folded_into      TEXT,
        released         INTEGER NOT NULL DEFAULT 0,
        local_fault      INTEGER NOT NULL DEFAULT 0,
        cover_text       TEXT
      );
      INSERT INTO effects_v13 (id, key, kind, rule, item_key, recipient, payload, state, attempts, next_attempt_at,
                               last_attempt_at, last_error, message_id, created_at, done_at, person, cap_day, folded_into, released, local_fault)
        SELECT id, key, kind, rule, item_key, recipient, payload, state, attempts, next_attempt_at,
               last_attempt_at, last_error, message_id, created_at, done_at, person, cap_day, folded_into, released, local_fault FROM effects;
      DROP TABLE effects;
      ALTER TABLE effects_v13 RENAME TO effects;
      CREATE INDEX effects_due ON effects (state, next_attempt_at);
      CREATE INDEX effects_cap ON effects (person, cap_day);
      CREATE INDEX effects_item ON effects (item_key);
      CREATE INDEX effects_folded_into ON effects (folded_into);
      CREATE INDEX effects_state_kind ON effects (state, kind, next_attempt_at);
      CREATE INDEX effects_created ON effects (created_at);

      ALTER TABLE audit ADD COLUMN actor TEXT;
      ALTER TABLE digests ADD COLUMN content TEXT;

      CREATE TABLE settlements (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        rule          TEXT NOT NULL,
        item_key      TEXT NOT NULL,
        kind          TEXT NOT NULL CHECK (kind IN ('dismissed', 'authorised', 'excepted')),
        message_id    TEXT NOT NULL DEFAULT '',
        reason        TEXT NOT NULL,
        actor         TEXT NOT NULL,
        at            TEXT NOT NULL,
        exception_id  INTEGER,
        UNIQUE (rule, item_key, kind, message_id)
      );
      CREATE INDEX settlements_item ON settlements (item_key);
      CREATE INDEX settlements_at ON settlements (at);

      CREATE TABLE standing_exceptions (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        rule        TEXT,
        match       TEXT NOT NULL CHECK (match IN ('sender', 'recipient-domain', 'phrase')),
        value       TEXT NOT NULL,
        reason      TEXT NOT NULL,
        actor       TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        expires_at  TEXT NOT NULL,
        revoked_at  TEXT,
        revoked_by  TEXT
      );
      CREATE INDEX standing_exceptions_expires ON standing_exceptions (expires_at);

      CREATE TABLE console_users (
        username       TEXT PRIMARY KEY,
        display_name   TEXT NOT NULL,
        role           TEXT NOT NULL CHECK (role IN ('clerk', 'viewer')),
        password_hash  TEXT,
        created_at     TEXT NOT NULL
      );

      CREATE TABLE console_sessions (
        id_hash              TEXT PRIMARY KEY,
        username             TEXT NOT NULL REFERENCES console_users (username) ON DELETE CASCADE,
        csrf_token           TEXT NOT NULL,
        created_at           TEXT NOT NULL,
        last_seen_at         TEXT NOT NULL,
        expires_at           TEXT NOT NULL,
        absolute_expires_at  TEXT NOT NULL
      );
      CREATE INDEX console_sessions_user ON console_sessions (username);

      CREATE TABLE console_audit (
        id       INTEGER PRIMARY KEY AUTOINCREMENT,
        at       TEXT NOT NULL,
        actor    TEXT NOT NULL,
        action   TEXT NOT NULL,
        subject  TEXT NOT NULL,
        detail   TEXT NOT NULL
      );
      CREATE INDEX console_audit_at ON console_audit (at);
    `,
  },
];

export class StoreVersionError extends Error {
  constructor(
    readonly path: string,
    readonly found: number,
    readonly supported: number,
  ) {
    super(
      `The state file ${path} was written by a newer version of Wardwatch (schema ${found}; this version understands up to ${supported}). ` +
        'Please upgrade Wardwatch, or point store.path at a different file.',
    );
    this.name = 'StoreVersionError';
  }
}

export function schemaVersion(db: Database.Database): number {
  const v: unknown = db.pragma('user_version', { simple: true });
  return typeof v === 'number' ? v : 0;
}

/**
 * Bring the database up to the newest migration. Returns the versions applied (empty when it was
 * already current). Runs under an immediate transaction per step so that two processes opening
 * the same new file do not both migrate it.
 */
export function migrate(db: Database.Database, path: string, migrations: readonly Migration[] = MIGRATIONS): number[] {
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  sorted.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`Store migrations must be numbered 1, 2, 3 … without gaps; found ${m.version} at position ${i + 1}.`);
  });
  const latest = sorted.length;
  const found = schemaVersion(db);
  if (found > latest) throw new StoreVersionError(path, found, latest);
  if (found === latest) return [];

  const applied: number[] = [];
  for (const m of sorted) {
    const step = db.transaction(() => {
      // Re-read inside the write lock: another process may have migrated meanwhile.
      if (schemaVersion(db) >= m.version) return false;
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
      return true;
    });
    if (step.immediate()) applied.push(m.version);
  }
  return applied;
}
