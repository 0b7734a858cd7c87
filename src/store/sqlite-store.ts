/**
 * The embedded state store: one SQLite file in WAL mode, migrated with `PRAGMA user_version`.
 * Every write that must be atomic runs in an IMMEDIATE transaction, so two processes sharing the
 * file (the service and a `wardwatch digest` run, say) queue on the write lock (busy_timeout)
 * instead of failing or interleaving.
 *
 * better-sqlite3 answers synchronously; `SqliteStore` puts the asynchronous store port over it.
 * Each call runs its SQL at once (in the same tick), unless a `transaction(fn)` is open: then
 * calls from outside that transaction wait until it has committed or rolled back, so nothing
 * another task does lands inside it (one connection has one transaction).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash, randomUUID } from 'node:crypto';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Finding } from '../engine/types.js';
import type { Address, Problem } from '../items/types.js';
import type { SourceHealth } from '../sources/types.js';
import { migrate, type Migration, MIGRATIONS } from './migrations.js';
import {
  AuditDbRowSchema,
  CountRowSchema,
  CursorDbRowSchema,
  DigestAttemptDbRowSchema,
  FindingDbRowSchema,
  FindingSchema,
  NeedsHumanDbRowSchema,
  OriginalDbRowSchema,
  HeadlineDbRowSchema,
  MailHeadlineSchema,
  parseJsonColumn,
  ProblemDbRowSchema,
  SeenDbRowSchema,
  SourceHealthDbRowSchema,
  StoreIdentityDbRowSchema,
  toConsoleAuditEntry,
  toConsoleSession,
  toConsoleUser,
  toDigestRow,
  toEffectRow,
  toEventSummary,
  toSettlement,
  toStandingException,
} from './row-schemas.js';
import {
  DAILY_SUMMARY_RULE,
  type ApprovalPlacement,
  type AttemptFailure,
  type AuditEntry,
  type AuditFilter,
  type ConsoleAuditEntry,
  type ConsoleSession,
  type ConsoleUser,
  type DigestAttempt,
  type DigestContent,
  type DigestInDoubt,
  type DigestRow,
  type EffectFilter,
  type FindingPosition,
  type WithdrawTarget,
  type EffectRow,
  type EffectState,
  type EffectPlacement,
  type EventSummary,
  type ItemMemoryKind,
  type MailHeadline,
  type NeedsHumanRow,
  type NewEffect,
  type NewSettlement,
  type NewStandingException,
  type PersonChange,
  type ProblemRow,
  type PruneReport,
  type Repositories,
  type RetentionCutoffs,
  type SeenStatus,
  type Settlement,
  type SettlementFilter,
  type StandingException,
  type Store,
  type StoreIdentity,
  type StoredFinding,
} from './types.js';

/**
 * `SELECT * FROM table WHERE … ORDER BY id [DESC] [LIMIT n]` from conditions such as
 * `['kind IN', list]` or `['at >=', value]` (the value's placeholder put after the test), or a test
 * that holds its own `?` (`['instr(wardwatch_lower(recipient), ?) > 0', text]`); a condition whose value is
 * undefined is left out.
 */
function selectWhere(
  table: string,
  conditions: readonly (readonly [string, SqlValue | readonly SqlValue[] | undefined])[],
  limit: number | undefined,
  order: 'ASC' | 'DESC' = 'ASC',
): { sql: string; params: SqlValue[] } {
  const where: string[] = [];
  const params: SqlValue[] = [];
  for (const [test, value] of conditions) {
    if (value === undefined) continue;
    if (Array.isArray(value)) {
      where.push(`${test} (${value.map(() => '?').join(', ')})`);
      params.push(...(value as readonly SqlValue[]));
    } else {
      where.push(test.includes('?') ? test : `${test} ?`);
      params.push(value as SqlValue);
    }
  }
  let sql = `SELECT * FROM ${table} ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id${order === 'DESC' ? ' DESC' : ''}`;
  if (limit !== undefined) {
    sql += ' LIMIT ?';
    params.push(Math.max(0, Math.floor(limit)));
  }
  return { sql, params };
}

/** An address as read back from JSON: the name only when there is one. */
function address(a: { address: string; name?: string | undefined }): Address {
  return a.name !== undefined ? { address: a.address, name: a.name } : { address: a.address };
}

export interface SqliteStoreOptions {
  /** How long a write waits for another process's write lock, in milliseconds (default 5000). */
  busyTimeoutMs?: number;
  /** For tests of upgrades: the migrations to apply (default: all of Wardwatch's). */
  migrations?: readonly Migration[];
}

type SqlValue = string | number | null;

/** States of an effect that may yet be carried out: neither it nor what it needs is pruned. */
const OPEN_STATES = `('awaiting-review', 'pending', 'sending', 'in-doubt')`;

/** Items with an effect still to be carried out: nothing the executor (or the Clerk reviewing it) needs about them is pruned. */
const OPEN_ITEMS = `SELECT item_key FROM effects WHERE state IN ${OPEN_STATES}`;

/** Finished effects older than the cutoff (bound twice), except folded ones whose summary has yet to go. */
const PRUNABLE_EFFECTS = `state IN ('done', 'failed', 'folded', 'skipped-dry-run', 'dropped', 'withdrawn')
  AND COALESCE(done_at, last_attempt_at, created_at) < ?
  AND NOT (state = 'folded' AND folded_into IN (SELECT key FROM effects WHERE state IN ${OPEN_STATES}))`;

/**
 * A folded reminder is withdrawn only while the summary carrying it still waits to go: once the
 * summary is claimed for sending (or sent) the reminder is in it. Tested in the UPDATE itself, so
 * a summary claimed at the same moment cannot race the withdrawal.
 */
const SUMMARY_NOT_GONE = `state <> 'folded' OR folded_into IN (SELECT summary.key FROM effects AS summary WHERE summary.state = 'pending')`;

/** A one-way fingerprint of a key: what is kept of a pruned item or effect instead of the key itself. */
export function fingerprintOf(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Thrown inside a dry-run prune's transaction so that it rolls back. */
class DryRunRollback extends Error {}

/**
 * Make the state file, when it does not exist yet, readable by its owner alone (0600, and a new
 * folder for it 0700): it holds raw messages. SQLite gives its -wal and -shm files the database
 * file's permissions, so they are private too.
 */
function createPrivately(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

/**
 * The outbox counted through the (state, kind, next_attempt_at) index in two ranges either side of
 * `digest`, so the digest backlog (thousands of entries waiting for the daily digest) is never read.
 */
export const COUNT_OUTBOX_EFFECTS_SQL = `SELECT
  (SELECT count(*) FROM effects WHERE state = @state AND kind < 'digest') +
  (SELECT count(*) FROM effects WHERE state = @state AND kind > 'digest') AS n`;
/** Named index: left to itself the planner would walk (state, next_attempt_at), digest backlog and all. */
export const OLDEST_PENDING_SQL = `SELECT min(at) AS at FROM (
  SELECT min(next_attempt_at) AS at FROM effects INDEXED BY effects_state_kind WHERE state = 'pending' AND kind < 'digest' AND next_attempt_at <= @dueBy
  UNION ALL
  SELECT min(next_attempt_at) AS at FROM effects INDEXED BY effects_state_kind WHERE state = 'pending' AND kind > 'digest' AND next_attempt_at <= @dueBy)`;
export const OLDEST_SENDING_SQL = `SELECT min(last_attempt_at) AS at FROM effects
  WHERE state = 'sending' AND kind <> 'digest' AND last_attempt_at <= @dueBy`;

/** The synchronous SQLite store under the port; every method is one atomic step. */
class SqliteConnection {
  readonly path: string;
  private readonly db: Database.Database;
  private readonly effectQueries = new Map<string, Database.Statement>();

  constructor(path: string, options: SqliteStoreOptions = {}) {
    this.path = path;
    if (path !== ':memory:') createPrivately(path);
    this.db = new Database(path, { timeout: options.busyTimeoutMs ?? 5000 });
    try {
      this.db.pragma('journal_mode = WAL');
      // FULL: a transaction that says an effect is being sent is on disk before the send starts.
      this.db.pragma('synchronous = FULL');
      this.db.pragma('foreign_keys = ON');
      // Deleted records are overwritten with zeros, so pruned personal data does not linger in
      // free pages (a VACUUM would need the whole file locked and copied; see docs/operating.md).
      this.db.pragma('secure_delete = ON');
      this.db.function('wardwatch_fingerprint', { deterministic: true }, (key: unknown) => fingerprintOf(String(key)));
      // SQLite's own lower() folds ASCII only; a search by name or address must fold as JavaScript does.
      this.db.function('wardwatch_lower', { deterministic: true }, (text: unknown) => String(text).toLowerCase());
      migrate(this.db, path, options.migrations ?? MIGRATIONS);
      if (this.hasIdentityTable()) this.ensureIdentity();
    } catch (err) {
      this.db.close();
      throw err;
    }
  }

  private hasIdentityTable(): boolean {
    return this.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'store_identity'").get() !== undefined;
  }

  private ensureIdentity(): void {
    this.db
      .prepare('INSERT OR IGNORE INTO store_identity (only, id, created_at) VALUES (1, ?, ?)')
      .run(randomUUID(), new Date().toISOString());
  }

  identity(): StoreIdentity {
    const r = StoreIdentityDbRowSchema.parse(this.db.prepare('SELECT id, created_at, first_start, fresh_start FROM store_identity WHERE only = 1').get());
    const identity: StoreIdentity = { id: r.id, createdAt: r.created_at };
    if (r.first_start !== null) identity.firstStart = r.first_start;
    if (r.fresh_start !== null) identity.freshStart = r.fresh_start;
    return identity;
  }

  isFresh(): boolean {
    if (this.identity().firstStart !== undefined) return false;
    for (const table of ['seen_items', 'effects', 'digests', 'item_memory']) {
      if (this.db.prepare(`SELECT 1 FROM ${table} LIMIT 1`).get() !== undefined) return false;
    }
    return this.db.prepare('SELECT 1 FROM cursors LIMIT 1').get() === undefined;
  }

  recordStart(now: string, options: { freshStart?: boolean } = {}): StoreIdentity {
    this.db
      .transaction(() => {
        this.db.prepare('UPDATE store_identity SET first_start = ? WHERE only = 1 AND first_start IS NULL').run(now);
        if (options.freshStart === true) this.db.prepare('UPDATE store_identity SET fresh_start = ? WHERE only = 1').run(now);
      })
      .immediate();
    return this.identity();
  }

  /** The journal mode in force (`wal` for a file). */
  journalMode(): string {
    const mode: unknown = this.db.pragma('journal_mode', { simple: true });
    return String(mode);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** Open a transaction spanning several calls (see `SqliteStore.transaction`). */
  begin(): void {
    this.db.prepare('BEGIN IMMEDIATE').run();
  }

  commit(): void {
    this.db.prepare('COMMIT').run();
  }

  rollback(): void {
    // SQLite may already have rolled back on its own (after a full disk, say).
    if (this.db.inTransaction) this.db.prepare('ROLLBACK').run();
  }

  // ---------------------------------------------------------------- seen items and findings

  checkSeen(itemKey: string, contentHash: string): SeenStatus {
    const row =
      this.db.prepare('SELECT content_hash FROM seen_items WHERE item_key = ?').get(itemKey) ??
      // Pruned after its retention period: judged before, so the same content is not judged again.
      this.db.prepare('SELECT content_hash FROM forgotten_items WHERE fingerprint = ?').get(fingerprintOf(itemKey));
    if (row === undefined) return 'new';
    return SeenDbRowSchema.parse(row).content_hash === contentHash ? 'unchanged' : 'changed';
  }

  markSeen(itemKey: string, contentHash: string, now: string): SeenStatus {
    return this.db.transaction(() => this.markSeenInTx(itemKey, contentHash, now)).immediate();
  }

  private markSeenInTx(itemKey: string, contentHash: string, now: string): SeenStatus {
    const status = this.checkSeen(itemKey, contentHash);
    const present = this.db.prepare('SELECT 1 FROM seen_items WHERE item_key = ?').get(itemKey) !== undefined;
    if (!present) {
      this.db
        .prepare('INSERT INTO seen_items (item_key, content_hash, first_seen, last_seen, changes) VALUES (?, ?, ?, ?, ?)')
        .run(itemKey, contentHash, now, now, status === 'changed' ? 1 : 0);
    } else if (status === 'changed') {
      this.db
        .prepare('UPDATE seen_items SET content_hash = ?, last_seen = ?, changes = changes + 1 WHERE item_key = ?')
        .run(contentHash, now, itemKey);
    } else {
      this.db.prepare('UPDATE seen_items SET last_seen = ? WHERE item_key = ?').run(now, itemKey);
    }
    return status;
  }

  replaceFindings(itemKey: string, findings: readonly Finding[], now: string): void {
    this.db.transaction(() => this.replaceFindingsInTx(itemKey, findings, now)).immediate();
  }

  private replaceFindingsInTx(itemKey: string, findings: readonly Finding[], now: string): void {
    const seqByRule = new Map<string, number>();
    const kept = new Set<string>();
    const upsert = this.db.prepare(
      `INSERT INTO findings (rule, item_key, seq, finding, first_seen, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (rule, item_key, seq) DO UPDATE SET finding = excluded.finding, updated_at = excluded.updated_at
       WHERE findings.finding <> excluded.finding`,
    );
    for (const f of findings) {
      const seq = seqByRule.get(f.rule) ?? 0;
      seqByRule.set(f.rule, seq + 1);
      kept.add(`${f.rule}\u0000${seq}`);
      upsert.run(f.rule, itemKey, seq, JSON.stringify(f), now, now);
    }
    const existing = this.db.prepare('SELECT rule, seq FROM findings WHERE item_key = ?').all(itemKey);
    const remove = this.db.prepare('DELETE FROM findings WHERE rule = ? AND item_key = ? AND seq = ?');
    for (const raw of existing) {
      const { rule, seq } = FindingDbRowSchema.pick({ rule: true, seq: true }).parse(raw);
      if (!kept.has(`${rule}\u0000${seq}`)) remove.run(rule, itemKey, seq);
    }
  }

  private toStoredFinding(raw: unknown): StoredFinding {
    const r = FindingDbRowSchema.parse(raw);
    return {
      rule: r.rule,
      itemKey: r.item_key,
      seq: r.seq,
      finding: parseJsonColumn(FindingSchema, r.finding, `the findings (${r.rule} on ${r.item_key})`),
      firstSeen: r.first_seen,
      updatedAt: r.updated_at,
    };
  }

  getFindings(itemKey: string, rule?: string): StoredFinding[] {
    const rows =
      rule === undefined
        ? this.db.prepare('SELECT * FROM findings WHERE item_key = ? ORDER BY rule, seq').all(itemKey)
        : this.db.prepare('SELECT * FROM findings WHERE item_key = ? AND rule = ? ORDER BY seq').all(itemKey, rule);
    return rows.map((r) => this.toStoredFinding(r));
  }

  listFindings(filter: { since?: string; itemKey?: string; rule?: string } = {}): StoredFinding[] {
    const where: string[] = [];
    const params: SqlValue[] = [];
    if (filter.rule !== undefined) {
      where.push('rule = ?');
      params.push(filter.rule);
    }
    if (filter.since !== undefined) {
      where.push('updated_at >= ?');
      params.push(filter.since);
    }
    if (filter.itemKey !== undefined) {
      where.push('item_key = ?');
      params.push(filter.itemKey);
    }
    const sql = `SELECT * FROM findings ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY updated_at, item_key, rule, seq`;
    return this.db
      .prepare(sql)
      .all(...params)
      .map((r) => this.toStoredFinding(r));
  }

  listFindingsByFirstSeen(filter: { since?: string; before?: string; after?: FindingPosition }, limit: number): StoredFinding[] {
    const where: string[] = [];
    const params: SqlValue[] = [];
    if (filter.since !== undefined) {
      where.push('first_seen >= ?');
      params.push(filter.since);
    }
    if (filter.before !== undefined) {
      where.push('first_seen < ?');
      params.push(filter.before);
    }
    if (filter.after !== undefined) {
      where.push('(first_seen, item_key, seq, rule) > (?, ?, ?, ?)');
      params.push(filter.after.firstSeen, filter.after.itemKey, filter.after.seq, filter.after.rule);
    }
    const sql = `SELECT * FROM findings ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY first_seen, item_key, seq, rule LIMIT ?`;
    return this.db
      .prepare(sql)
      .all(...params, Math.max(0, Math.floor(limit)))
      .map((r) => this.toStoredFinding(r));
  }

  // ---------------------------------------------------------------- the outbox

  insertEffect(e: NewEffect, now: string, placement: EffectPlacement): EffectRow {
    return this.db
      .transaction((): EffectRow => {
        const row = this.insertEffectRow(e, placement.state, now, placement);
        this.audit(row, undefined, placement.state, now, placement.outcome);
        return row;
      })
      .immediate();
  }

  private insertEffectRow(e: NewEffect, state: EffectState, now: string, group: { person?: string; day?: string; foldedInto?: string }): EffectRow {
    this.db
      .prepare(
        `INSERT INTO effects (key, kind, rule, item_key, recipient, payload, state, next_attempt_at, message_id, created_at, person, cap_day, folded_into)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        e.key,
        e.kind,
        e.rule,
        e.itemKey,
        e.recipient,
        JSON.stringify(e.payload),
        state,
        e.notBefore,
        e.messageId,
        now,
        group.person ?? e.cap?.person ?? null,
        group.day ?? e.cap?.day ?? null,
        group.foldedInto ?? null,
      );
    const row = this.getEffect(e.key);
    if (!row) throw new Error(`The outbox could not read back the effect it has just recorded (${e.key}).`);
    return row;
  }

  effectKnown(key: string): boolean {
    // Pruned after its retention period: it existed, so it must not happen again.
    return (
      this.getEffect(key) !== undefined ||
      this.db.prepare('SELECT 1 FROM forgotten_effects WHERE fingerprint = ?').get(fingerprintOf(key)) !== undefined
    );
  }

  countCapped(person: string, day: string, states: readonly EffectState[]): number {
    if (states.length === 0) return 0;
    const placeholders = states.map(() => '?').join(', ');
    return CountRowSchema.parse(
      this.db
        .prepare(`SELECT COUNT(*) AS n FROM effects WHERE person = ? AND cap_day = ? AND rule <> ? AND state IN (${placeholders})`)
        .get(person, day, DAILY_SUMMARY_RULE, ...states),
    ).n;
  }

  claimDue(now: string, limit: number): EffectRow[] {
    return this.db
      .transaction((): EffectRow[] => {
        const due = this.db
          .prepare(
            `SELECT * FROM effects WHERE state = 'pending' AND kind <> 'digest' AND next_attempt_at <= ?
             ORDER BY next_attempt_at, id LIMIT ?`,
          )
          .all(now, Math.max(0, Math.floor(limit)))
          .map(toEffectRow);
        const claim = this.db.prepare(
          `UPDATE effects SET state = 'sending', attempts = attempts + 1, last_attempt_at = ? WHERE id = ? AND state = 'pending'`,
        );
        const claimed: EffectRow[] = [];
        for (const row of due) {
          if (claim.run(now, row.id).changes !== 1) continue;
          const updated: EffectRow = { ...row, state: 'sending', attempts: row.attempts + 1, lastAttemptAt: now };
          this.audit(updated, 'pending', 'sending', now, `Attempt ${updated.attempts} started.`);
          claimed.push(updated);
        }
        return claimed;
      })
      .immediate();
  }

  /**
   * Move an effect between states if it is in one of `from`, and record the audit entry (with who
   * did it, when a person did). The UPDATE itself tests the state, so of two callers racing for the
   * same change (two approvals, an approval and a withdrawal) exactly one makes it. `also`, when
   * given, is a further SQL condition on the row that the same UPDATE tests.
   */
  private transition(
    id: number,
    from: readonly EffectState[],
    to: EffectState,
    now: string,
    set: Record<string, SqlValue>,
    outcome: string,
    actor?: string,
    also?: string,
  ): boolean {
    return this.db
      .transaction((): boolean => {
        const row = this.getEffectById(id);
        if (!row || !from.includes(row.state)) return false;
        const columns = Object.keys(set);
        const assignments = ['state = ?', ...columns.map((c) => `${c} = ?`)].join(', ');
        const changed = this.db
          .prepare(`UPDATE effects SET ${assignments} WHERE id = ? AND state = ?${also !== undefined ? ` AND (${also})` : ''}`)
          .run(to, ...columns.map((c) => set[c] ?? null), id, row.state).changes;
        if (changed !== 1) return false;
        this.audit(row, row.state, to, now, outcome, actor);
        return true;
      })
      .immediate();
  }

  approveEffect(id: number, now: string, dueAt: string, change: PersonChange & { coverText?: string; placement?: ApprovalPlacement }): boolean {
    const set: Record<string, SqlValue> = { next_attempt_at: dueAt };
    if (change.coverText !== undefined) set['cover_text'] = change.coverText;
    const placement = change.placement;
    if (placement !== undefined) {
      set['person'] = placement.person;
      set['cap_day'] = placement.day;
      set['folded_into'] = placement.state === 'folded' ? placement.foldedInto : null;
    }
    return this.transition(id, ['awaiting-review'], placement?.state ?? 'pending', now, set, change.outcome, change.actor);
  }

  setCoverText(id: number, now: string, coverText: string | undefined, change: PersonChange): boolean {
    return this.transition(id, ['awaiting-review'], 'awaiting-review', now, { cover_text: coverText ?? null }, change.outcome, change.actor);
  }

  withdrawEffect(id: number, now: string, change: PersonChange & { reason?: string }): boolean {
    // The digest words a withdrawn effect as "… withdrawn <lastError>": here, who withdrew it and why.
    const reason = change.reason?.trim();
    return this.transition(
      id,
      ['awaiting-review', 'pending', 'folded'],
      'withdrawn',
      now,
      { done_at: now, last_error: reason !== undefined && reason !== '' ? `by ${change.actor}: ${reason}` : `by ${change.actor}` },
      change.outcome,
      change.actor,
      SUMMARY_NOT_GONE,
    );
  }

  markDone(id: number, now: string, outcome: string): boolean {
    return this.transition(id, ['sending'], 'done', now, { done_at: now, last_error: null }, outcome);
  }

  markAttemptFailed(id: number, now: string, failure: AttemptFailure): boolean {
    if (failure.retryAt !== undefined) {
      return this.transition(
        id,
        ['sending'],
        'pending',
        now,
        { next_attempt_at: failure.retryAt, last_error: failure.error },
        `Attempt failed (${failure.error}); it will be tried again at ${failure.retryAt}.`,
      );
    }
    return this.transition(
      id,
      ['sending'],
      'failed',
      now,
      { last_error: failure.error, local_fault: failure.local === true ? 1 : 0 },
      `Gave up (${failure.error}); it will be listed in the digest for a person to follow up.`,
    );
  }

  requeueFailed(id: number, now: string, dueAt: string, outcome: string, actor?: string): boolean {
    return this.transition(id, ['failed'], 'pending', now, { next_attempt_at: dueAt, attempts: 0, local_fault: 0 }, outcome, actor);
  }

  returnToPending(id: number, now: string, dueAt: string, outcome: string): boolean {
    return this.transition(id, ['sending'], 'pending', now, { next_attempt_at: dueAt }, outcome);
  }

  markInDoubt(id: number, now: string, outcome: string): boolean {
    return this.transition(id, ['sending'], 'in-doubt', now, {}, outcome);
  }

  releaseInDoubt(id: number, now: string, outcome: string, actor?: string): boolean {
    return this.transition(id, ['in-doubt'], 'pending', now, { next_attempt_at: now, released: 1 }, outcome, actor);
  }

  dropInDoubt(id: number, now: string, outcome: string, actor?: string): boolean {
    return this.transition(id, ['in-doubt'], 'dropped', now, { done_at: now }, outcome, actor);
  }

  withdrawEffects(target: WithdrawTarget, now: string, reason: string): EffectRow[] {
    // An event's key is its UID, and `UID#RECURRENCE-ID` for an occurrence: '#' sorts just before '$'.
    const [where, params]: [string, string[]] =
      'itemKey' in target
        ? ['item_key = ?', [target.itemKey]]
        : 'uid' in target
          ? ['(item_key = ? OR (item_key > ? AND item_key < ?))', [target.uid, `${target.uid}#`, `${target.uid}$`]]
          : ['item_key IN (SELECT key FROM events WHERE origin = ?)', [target.origin]];
    return this.db
      .transaction((): EffectRow[] => {
        const rows = this.db
          .prepare(`SELECT * FROM effects WHERE state IN ('awaiting-review', 'pending') AND ${where} ORDER BY id`)
          .all(...params)
          .map(toEffectRow);
        const update = this.db.prepare(`UPDATE effects SET state = 'withdrawn', done_at = ?, last_error = ? WHERE id = ? AND state = ?`);
        const withdrawn: EffectRow[] = [];
        for (const row of rows) {
          if (update.run(now, reason, row.id, row.state).changes === 0) continue;
          this.audit(row, row.state, 'withdrawn', now, `Withdrawn ${reason}.`);
          withdrawn.push({ ...row, state: 'withdrawn', doneAt: now, lastError: reason });
        }
        return withdrawn;
      })
      .immediate();
  }

  markDigested(ids: readonly number[], now: string, digestDate: string): number {
    return this.db
      .transaction((): number => {
        let n = 0;
        for (const id of ids) {
          const row = this.getEffectById(id);
          if (!row || row.kind !== 'digest' || row.state !== 'pending') continue;
          this.db.prepare(`UPDATE effects SET state = 'done', done_at = ? WHERE id = ?`).run(now, id);
          this.audit(row, 'pending', 'done', now, `Listed in the digest for ${digestDate}.`);
          n += 1;
        }
        return n;
      })
      .immediate();
  }

  noteEffect(id: number, now: string, outcome: string): void {
    const row = this.getEffectById(id);
    if (!row) throw new Error(`There is no effect number ${id} in the outbox.`);
    this.audit(row, row.state, row.state, now, outcome);
  }

  private getEffectById(id: number): EffectRow | undefined {
    const raw = this.db.prepare('SELECT * FROM effects WHERE id = ?').get(id);
    return raw === undefined ? undefined : toEffectRow(raw);
  }

  getEffect(key: string): EffectRow | undefined {
    const raw = this.db.prepare('SELECT * FROM effects WHERE key = ?').get(key);
    return raw === undefined ? undefined : toEffectRow(raw);
  }

  listEffects(filter: EffectFilter = {}): EffectRow[] {
    if (filter.states?.length === 0 || filter.kinds?.length === 0 || filter.itemKeys?.length === 0) return [];
    const { sql, params } = selectWhere(
      'effects',
      [
        ['state IN', filter.states],
        ['kind IN', filter.kinds],
        ['item_key =', filter.itemKey],
        ['item_key IN', filter.itemKeys],
        ['folded_into =', filter.foldedInto],
        ['created_at >=', filter.createdSince],
        ['created_at <', filter.createdBefore],
        ['id >', filter.afterId],
        ['id <', filter.beforeId],
        ['rule =', filter.rule],
        ['instr(wardwatch_lower(recipient), ?) > 0', filter.recipientContains?.toLowerCase()],
      ],
      filter.limit,
      filter.newestFirst === true ? 'DESC' : 'ASC',
    );
    // The digest asks once per item: a statement prepared once per shape of query saves most of the time.
    let statement = this.effectQueries.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.effectQueries.set(sql, statement);
    }
    return statement.all(...params).map(toEffectRow);
  }

  countOutboxEffects(states: readonly EffectState[]): number {
    const count = this.db.prepare(COUNT_OUTBOX_EFFECTS_SQL);
    let total = 0;
    for (const state of states) total += CountRowSchema.parse(count.get({ state })).n;
    return total;
  }

  oldestOutboxEffectDue(state: 'pending' | 'sending', dueBy: string): string | undefined {
    const sql = state === 'pending' ? OLDEST_PENDING_SQL : OLDEST_SENDING_SQL;
    const row: unknown = this.db.prepare(sql).get({ dueBy });
    const at = typeof row === 'object' && row !== null && 'at' in row ? row.at : null;
    return typeof at === 'string' ? at : undefined;
  }

  checkIntegrity(maxErrors = 20): string[] {
    const rows: unknown[] = this.db.prepare(`PRAGMA integrity_check(${Math.max(1, Math.floor(maxErrors))})`).all();
    const lines = rows.map((r) => (typeof r === 'object' && r !== null ? String(Object.values(r)[0]) : String(r)));
    return lines.length === 1 && lines[0] === 'ok' ? [] : lines;
  }

  private audit(row: EffectRow, from: EffectState | undefined, to: EffectState, now: string, outcome: string, actor?: string): void {
    this.db
      .prepare('INSERT INTO audit (at, effect_key, kind, recipient, from_state, to_state, outcome, actor) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(now, row.key, row.kind, row.recipient, from ?? null, to, outcome, actor ?? null);
  }

  listAudit(filter: AuditFilter = {}): AuditEntry[] {
    const { sql, params } = selectWhere(
      'audit',
      [
        ['effect_key =', filter.effectKey],
        ['at >=', filter.since],
        ['id <', filter.beforeId],
      ],
      filter.limit,
      filter.newestFirst === true ? 'DESC' : 'ASC',
    );
    return this.db
      .prepare(sql)
      .all(...params)
      .map((raw) => {
        const r = AuditDbRowSchema.parse(raw);
        const entry: AuditEntry = {
          id: r.id,
          at: r.at,
          effectKey: r.effect_key,
          kind: r.kind,
          recipient: r.recipient,
          toState: r.to_state,
          outcome: r.outcome,
        };
        if (r.from_state !== null) entry.fromState = r.from_state;
        if (r.actor !== undefined) entry.actor = r.actor;
        return entry;
      });
  }

  // ---------------------------------------------------------------- cursors

  getCursor(source: string, key: string): string | undefined {
    const raw = this.db.prepare('SELECT value FROM cursors WHERE source = ? AND key = ?').get(source, key);
    return raw === undefined ? undefined : CursorDbRowSchema.parse(raw).value;
  }

  setCursor(source: string, key: string, value: string): void {
    this.db
      .prepare(
        `INSERT INTO cursors (source, key, value, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (source, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      )
      .run(source, key, value, new Date().toISOString());
  }

  // ---------------------------------------------------------------- item memory

  getItemMemory(kind: ItemMemoryKind, key: string): string | undefined {
    const raw = this.db.prepare('SELECT summary AS value FROM item_memory WHERE kind = ? AND key = ?').get(kind, key);
    return raw === undefined ? undefined : CursorDbRowSchema.parse(raw).value;
  }

  setItemMemory(kind: ItemMemoryKind, key: string, summary: string, now: string): void {
    this.db
      .prepare(
        `INSERT INTO item_memory (kind, key, summary, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (kind, key) DO UPDATE SET summary = excluded.summary, updated_at = excluded.updated_at`,
      )
      .run(kind, key, summary, now);
  }

  // ---------------------------------------------------------------- digests

  digestSent(date: string): boolean {
    return this.getDigest(date) !== undefined;
  }

  recordDigest(date: string, messageId: string, now: string, content?: DigestContent): boolean {
    if (content === undefined) {
      return this.db.prepare('INSERT OR IGNORE INTO digests (date, message_id, sent_at) VALUES (?, ?, ?)').run(date, messageId, now).changes === 1;
    }
    const kept = JSON.stringify({ subject: content.subject, text: content.text, html: content.html, recipients: content.recipients });
    const info = this.db
      .prepare('INSERT OR IGNORE INTO digests (date, message_id, sent_at, content) VALUES (?, ?, ?, ?)')
      .run(date, messageId, now, kept);
    return info.changes === 1;
  }

  getDigest(date: string): DigestRow | undefined {
    const raw = this.db.prepare('SELECT date, message_id, sent_at, content FROM digests WHERE date = ?').get(date);
    return raw === undefined ? undefined : toDigestRow(raw);
  }

  lastDigest(before?: string): DigestRow | undefined {
    const raw =
      before === undefined
        ? this.db.prepare('SELECT date, message_id, sent_at, content FROM digests ORDER BY date DESC LIMIT 1').get()
        : this.db.prepare('SELECT date, message_id, sent_at, content FROM digests WHERE date < ? ORDER BY date DESC LIMIT 1').get(before);
    return raw === undefined ? undefined : toDigestRow(raw);
  }

  listDigests(filter: { before?: string; limit?: number } = {}): DigestRow[] {
    const params: SqlValue[] = [];
    let sql = 'SELECT date, message_id, sent_at, content FROM digests';
    if (filter.before !== undefined) {
      sql += ' WHERE date < ?';
      params.push(filter.before);
    }
    sql += ' ORDER BY date DESC';
    if (filter.limit !== undefined) {
      sql += ' LIMIT ?';
      params.push(Math.max(0, Math.floor(filter.limit)));
    }
    return this.db
      .prepare(sql)
      .all(...params)
      .map(toDigestRow);
  }

  recordDigestAttempt(attempt: DigestAttempt): void {
    this.db
      .prepare(
        `INSERT INTO digest_attempts (date, message_id, since, until, started_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (date) DO UPDATE SET message_id = excluded.message_id, since = excluded.since,
           until = excluded.until, started_at = excluded.started_at`,
      )
      .run(attempt.date, attempt.messageId, attempt.since ?? null, attempt.until, attempt.startedAt);
    this.db.prepare('UPDATE digest_attempts SET in_doubt_since = NULL WHERE date = ?').run(attempt.date);
  }

  clearDigestAttempt(date: string): void {
    this.db.prepare('DELETE FROM digest_attempts WHERE date = ?').run(date);
  }

  markDigestInDoubt(date: string, now: string): void {
    this.db.prepare('UPDATE digest_attempts SET in_doubt_since = ? WHERE date = ? AND in_doubt_since IS NULL').run(now, date);
  }

  listDigestsInDoubt(): DigestInDoubt[] {
    return this.db
      .prepare('SELECT * FROM digest_attempts WHERE in_doubt_since IS NOT NULL ORDER BY date')
      .all()
      .map((raw) => {
        const r = DigestAttemptDbRowSchema.parse(raw);
        return { date: r.date, messageId: r.message_id, since: r.in_doubt_since ?? r.started_at };
      });
  }

  getDigestAttempt(date: string): DigestAttempt | undefined {
    const raw = this.db.prepare('SELECT * FROM digest_attempts WHERE date = ?').get(date);
    if (raw === undefined) return undefined;
    const r = DigestAttemptDbRowSchema.parse(raw);
    const attempt: DigestAttempt = { date: r.date, messageId: r.message_id, until: r.until, startedAt: r.started_at };
    if (r.since !== null) attempt.since = r.since;
    return attempt;
  }

  // ---------------------------------------------------------------- problems and source health

  recordProblem(problem: Problem, now: string): void {
    // One row per file: a warning about a file never hides that something in it could not be read.
    this.db
      .prepare(
        `INSERT INTO problems (origin, kind, reason, first_seen, last_seen, count, severity) VALUES (?, ?, ?, ?, ?, 1, ?)
         ON CONFLICT (origin) DO UPDATE SET
           kind = CASE WHEN problems.severity = 'error' AND excluded.severity = 'warning' THEN problems.kind ELSE excluded.kind END,
           reason = CASE WHEN problems.severity = 'error' AND excluded.severity = 'warning' THEN problems.reason ELSE excluded.reason END,
           severity = CASE WHEN problems.severity = 'error' THEN 'error' ELSE excluded.severity END,
           last_seen = excluded.last_seen, count = problems.count + 1`,
      )
      .run(problem.origin, problem.kind, problem.reason, now, now, problem.severity ?? 'error');
  }

  clearProblem(origin: string): void {
    this.db.prepare('DELETE FROM problems WHERE origin = ?').run(origin);
  }

  listProblems(): ProblemRow[] {
    return this.db
      .prepare('SELECT * FROM problems ORDER BY first_seen, origin')
      .all()
      .map((raw) => {
        const r = ProblemDbRowSchema.parse(raw);
        return { origin: r.origin, kind: r.kind, reason: r.reason, severity: r.severity, firstSeen: r.first_seen, lastSeen: r.last_seen, count: r.count };
      });
  }

  recordSourceSuccess(source: string, now: string): void {
    this.db
      .prepare(
        `INSERT INTO source_health (source, last_success) VALUES (?, ?)
         ON CONFLICT (source) DO UPDATE SET last_success = excluded.last_success`,
      )
      .run(source, now);
  }

  recordSourceError(source: string, now: string, message: string): void {
    this.db
      .prepare(
        `INSERT INTO source_health (source, last_error_at, last_error) VALUES (?, ?, ?)
         ON CONFLICT (source) DO UPDATE SET last_error_at = excluded.last_error_at, last_error = excluded.last_error`,
      )
      .run(source, now, message);
  }

  listSourceHealth(): SourceHealth[] {
    return this.db
      .prepare('SELECT * FROM source_health ORDER BY source')
      .all()
      .map((raw) => {
        const r = SourceHealthDbRowSchema.parse(raw);
        const health: SourceHealth = { source: r.source };
        if (r.last_success !== null) health.lastSuccess = r.last_success;
        if (r.last_error_at !== null && r.last_error !== null) health.lastError = { at: r.last_error_at, message: r.last_error };
        return health;
      });
  }

  // ---------------------------------------------------------------- events for the digest

  upsertEvent(summary: EventSummary, now: string): void {
    this.db
      .prepare(
        `INSERT INTO events (key, calendar_id, summary, start, end, location, kinds, wards, organizer, attendees, updated_at,
                             organizer_name, origin, etag, sequence, all_day)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET calendar_id = excluded.calendar_id, summary = excluded.summary,
           start = excluded.start, end = excluded.end, location = excluded.location, kinds = excluded.kinds,
           wards = excluded.wards, organizer = excluded.organizer, attendees = excluded.attendees,
           updated_at = excluded.updated_at, organizer_name = excluded.organizer_name, origin = excluded.origin,
           etag = excluded.etag, sequence = excluded.sequence, all_day = excluded.all_day`,
      )
      .run(
        summary.key,
        summary.calendarId,
        summary.summary,
        summary.start,
        summary.end,
        summary.location,
        JSON.stringify(summary.kinds),
        JSON.stringify(summary.wards),
        summary.organizer ?? null,
        JSON.stringify(summary.attendees),
        now,
        summary.organizerName ?? null,
        summary.origin ?? null,
        summary.etag ?? null,
        summary.sequence ?? null,
        summary.allDay === undefined ? null : summary.allDay ? 1 : 0,
      );
  }

  listUpcomingEvents(from: string, to: string): EventSummary[] {
    return this.db
      .prepare('SELECT * FROM events WHERE start >= ? AND start < ? ORDER BY start, key')
      .all(from, to)
      .map(toEventSummary);
  }

  getEvent(key: string): EventSummary | undefined {
    const raw = this.db.prepare('SELECT * FROM events WHERE key = ?').get(key);
    return raw === undefined ? undefined : toEventSummary(raw);
  }

  // ---------------------------------------------------------------- original message sources

  saveOriginal(itemKey: string, source: Buffer, now: string, headline?: MailHeadline): void {
    this.db
      .prepare(
        `INSERT INTO originals (item_key, source, saved_at, headline) VALUES (?, ?, ?, ?)
         ON CONFLICT (item_key) DO UPDATE SET source = excluded.source, saved_at = excluded.saved_at, headline = excluded.headline`,
      )
      .run(itemKey, source, now, headline === undefined ? null : JSON.stringify(headline));
  }

  getMailHeadline(itemKey: string): MailHeadline | undefined {
    const raw = this.db.prepare('SELECT headline FROM originals WHERE item_key = ?').get(itemKey);
    if (raw === undefined) return undefined;
    const { headline } = HeadlineDbRowSchema.parse(raw);
    if (headline === null) return undefined;
    const parsed = parseJsonColumn(MailHeadlineSchema, headline, `the saved originals (${itemKey})`);
    return {
      subject: parsed.subject,
      ...(parsed.date !== undefined ? { date: parsed.date } : {}),
      from: parsed.from.map(address),
      to: parsed.to.map(address),
      cc: parsed.cc.map(address),
      ...(parsed.references !== undefined ? { references: parsed.references } : {}),
    };
  }

  getOriginal(itemKey: string): Buffer | undefined {
    const raw = this.db.prepare('SELECT source FROM originals WHERE item_key = ?').get(itemKey);
    return raw === undefined ? undefined : OriginalDbRowSchema.parse(raw).source;
  }

  pruneOriginals(olderThan: string): number {
    return this.db.prepare('DELETE FROM originals WHERE saved_at < ?').run(olderThan).changes;
  }

  // ---------------------------------------------------------------- retention

  prune(cutoffs: RetentionCutoffs, now: string, options: { dryRun?: boolean } = {}): PruneReport {
    const run = (): PruneReport => this.pruneInTx(cutoffs, now);
    if (options.dryRun === true) {
      let counted: PruneReport | undefined;
      try {
        this.db
          .transaction(() => {
            counted = run();
            throw new DryRunRollback();
          })
          .immediate();
      } catch (err) {
        if (!(err instanceof DryRunRollback)) throw err;
      }
      if (!counted) throw new Error('The dry run of the prune counted nothing.');
      return counted;
    }
    const report = this.db.transaction(run).immediate();
    if (Object.values(report).some((n) => n > 0)) {
      // The write-ahead log still holds copies of the pages as they were before the deletes:
      // fold it into the file and empty it (when another process is reading, the next prune does).
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    }
    return report;
  }

  private pruneInTx(c: RetentionCutoffs, now: string): PruneReport {
    const del = (sql: string, ...params: SqlValue[]): number => this.db.prepare(sql).run(...params).changes;
    const originals = del(`DELETE FROM originals WHERE saved_at < ? AND item_key NOT IN (${OPEN_ITEMS})`, c.originals);
    const findings = del(`DELETE FROM findings WHERE updated_at < ? AND item_key NOT IN (${OPEN_ITEMS})`, c.findings);

    this.db
      .prepare(
        `INSERT OR REPLACE INTO forgotten_items (fingerprint, content_hash, forgotten_at)
         SELECT wardwatch_fingerprint(item_key), content_hash, ? FROM seen_items WHERE last_seen < ? AND item_key NOT IN (${OPEN_ITEMS})`,
      )
      .run(now, c.items);
    const seenItems = del(`DELETE FROM seen_items WHERE last_seen < ? AND item_key NOT IN (${OPEN_ITEMS})`, c.items);
    const itemMemory = del(`DELETE FROM item_memory WHERE updated_at < ? AND key NOT IN (${OPEN_ITEMS})`, c.items);
    // An event still to come stays for the digest's list of upcoming meetings, however long ago it was judged.
    const events = del(`DELETE FROM events WHERE updated_at < ? AND "end" < ? AND key NOT IN (${OPEN_ITEMS})`, c.items, c.items);
    const needsHuman = del('DELETE FROM needs_human WHERE last_seen < ?', c.items);
    const problems = del('DELETE FROM problems WHERE last_seen < ?', c.items);

    this.db
      .prepare(
        `INSERT OR REPLACE INTO forgotten_effects (fingerprint, kind, state, forgotten_at)
         SELECT wardwatch_fingerprint(key), kind, state, ? FROM effects WHERE ${PRUNABLE_EFFECTS}`,
      )
      .run(now, c.effects);
    const effects = del(`DELETE FROM effects WHERE ${PRUNABLE_EFFECTS}`, c.effects);
    // What people did (the console's audit, the findings they settled, the standing exceptions that
    // ended) is kept as long as the effects' audit, and counted with it. A settlement stays while a
    // finding it settles does (the findings were pruned above, in this transaction): without it the
    // finding would be acted on again, and come back to the digest.
    const audit =
      del('DELETE FROM audit WHERE at < ?', c.audit) +
      del('DELETE FROM console_audit WHERE at < ?', c.audit) +
      del(
        `DELETE FROM settlements WHERE at < ?
           AND NOT EXISTS (SELECT 1 FROM findings WHERE findings.item_key = settlements.item_key AND findings.rule = settlements.rule)`,
        c.audit,
      ) +
      del('DELETE FROM standing_exceptions WHERE expires_at < ? OR revoked_at < ?', c.audit, c.audit);
    // A session past its end opens nothing: it goes whatever the periods (and is not a record of anyone's doing).
    del('DELETE FROM console_sessions WHERE expires_at <= ? OR absolute_expires_at <= ?', now, now);

    // The latest digest stays: the next one covers what happened since it.
    const day = c.digests.slice(0, 10);
    const latest = `(SELECT COALESCE(MAX(date), '') FROM digests)`;
    const digests = del(`DELETE FROM digests WHERE date < ? AND date <> ${latest}`, day);
    del(`DELETE FROM digest_attempts WHERE date < ? AND date <> ${latest}`, day);

    return { originals, seenItems, itemMemory, events, needsHuman, problems, findings, effects, audit, digests };
  }

  // ---------------------------------------------------------------- items that need a human

  recordNeedsHuman(itemKey: string, rule: string | undefined, message: string, now: string): void {
    this.db
      .prepare(
        `INSERT INTO needs_human (item_key, rule, message, first_seen, last_seen, count) VALUES (?, ?, ?, ?, ?, 1)
         ON CONFLICT (item_key, rule) DO UPDATE SET message = excluded.message, last_seen = excluded.last_seen,
           count = needs_human.count + 1`,
      )
      .run(itemKey, rule ?? '', message, now, now);
  }

  clearNeedsHuman(itemKey: string, rule?: string): void {
    if (rule === undefined) {
      this.db.prepare('DELETE FROM needs_human WHERE item_key = ?').run(itemKey);
    } else {
      this.db.prepare('DELETE FROM needs_human WHERE item_key = ? AND rule = ?').run(itemKey, rule);
    }
  }

  listNeedsHuman(since?: string): NeedsHumanRow[] {
    const rows =
      since === undefined
        ? this.db.prepare('SELECT * FROM needs_human ORDER BY first_seen, item_key, rule').all()
        : this.db.prepare('SELECT * FROM needs_human WHERE last_seen >= ? ORDER BY first_seen, item_key, rule').all(since);
    return rows.map((raw) => {
      const r = NeedsHumanDbRowSchema.parse(raw);
      const row: NeedsHumanRow = { itemKey: r.item_key, message: r.message, firstSeen: r.first_seen, lastSeen: r.last_seen, count: r.count };
      if (r.rule !== '') row.rule = r.rule;
      return row;
    });
  }

  // ---------------------------------------------------------------- settled findings and standing exceptions

  settleFinding(settlement: NewSettlement): Settlement {
    const messageId = settlement.messageId ?? '';
    return this.db
      .transaction((): Settlement => {
        this.db
          .prepare(
            `INSERT INTO settlements (rule, item_key, kind, message_id, reason, actor, at, exception_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (rule, item_key, kind, message_id) DO NOTHING`,
          )
          .run(settlement.rule, settlement.itemKey, settlement.kind, messageId, settlement.reason, settlement.actor, settlement.at, settlement.exceptionId ?? null);
        const raw = this.db
          .prepare('SELECT * FROM settlements WHERE rule = ? AND item_key = ? AND kind = ? AND message_id = ?')
          .get(settlement.rule, settlement.itemKey, settlement.kind, messageId);
        if (raw === undefined) throw new Error(`The store could not read back the settlement it has just recorded (${settlement.rule} on ${settlement.itemKey}).`);
        return toSettlement(raw);
      })
      .immediate();
  }

  listSettlements(filter: SettlementFilter = {}): Settlement[] {
    const where: string[] = [];
    const params: SqlValue[] = [];
    const add = (test: string, value: SqlValue | undefined): void => {
      if (value === undefined) return;
      where.push(test);
      params.push(value);
    };
    add('item_key = ?', filter.itemKey);
    add('rule = ?', filter.rule);
    add('kind = ?', filter.kind);
    add('at >= ?', filter.since);
    let sql = `SELECT * FROM settlements ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY at DESC, id DESC`;
    if (filter.limit !== undefined) {
      sql += ' LIMIT ?';
      params.push(Math.max(0, Math.floor(filter.limit)));
    }
    return this.db
      .prepare(sql)
      .all(...params)
      .map(toSettlement);
  }

  addException(exception: NewStandingException): StandingException {
    const info = this.db
      .prepare(
        `INSERT INTO standing_exceptions (rule, match, value, reason, actor, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        exception.rule ?? null,
        exception.match,
        exception.value.toLowerCase(),
        exception.reason,
        exception.actor,
        exception.createdAt,
        exception.expiresAt,
      );
    const added = this.getException(Number(info.lastInsertRowid));
    if (!added) throw new Error('The store could not read back the standing exception it has just recorded.');
    return added;
  }

  revokeException(id: number, actor: string, now: string): boolean {
    return (
      this.db
        .prepare('UPDATE standing_exceptions SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL')
        .run(now, actor, id).changes === 1
    );
  }

  getException(id: number): StandingException | undefined {
    const raw = this.db.prepare('SELECT * FROM standing_exceptions WHERE id = ?').get(id);
    return raw === undefined ? undefined : toStandingException(raw);
  }

  listExceptions(filter: { activeAt?: string } = {}): StandingException[] {
    const rows =
      filter.activeAt === undefined
        ? this.db.prepare('SELECT * FROM standing_exceptions ORDER BY created_at DESC, id DESC').all()
        : this.db
            .prepare('SELECT * FROM standing_exceptions WHERE revoked_at IS NULL AND expires_at > ? ORDER BY created_at DESC, id DESC')
            .all(filter.activeAt);
    return rows.map(toStandingException);
  }

  // ---------------------------------------------------------------- console accounts and sessions

  putUser(user: ConsoleUser): void {
    // An upsert, not INSERT OR REPLACE: a replaced row would end the user's sessions (ON DELETE CASCADE).
    this.db
      .prepare(
        `INSERT INTO console_users (username, display_name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (username) DO UPDATE SET display_name = excluded.display_name, role = excluded.role,
           password_hash = excluded.password_hash, created_at = excluded.created_at`,
      )
      .run(user.username.toLowerCase(), user.displayName, user.role, user.passwordHash ?? null, user.createdAt);
  }

  getUser(username: string): ConsoleUser | undefined {
    const raw = this.db.prepare('SELECT * FROM console_users WHERE username = ?').get(username.toLowerCase());
    return raw === undefined ? undefined : toConsoleUser(raw);
  }

  listUsers(): ConsoleUser[] {
    return this.db.prepare('SELECT * FROM console_users ORDER BY username').all().map(toConsoleUser);
  }

  removeUser(username: string): boolean {
    const name = username.toLowerCase();
    return this.db
      .transaction((): boolean => {
        this.db.prepare('DELETE FROM console_sessions WHERE username = ?').run(name);
        return this.db.prepare('DELETE FROM console_users WHERE username = ?').run(name).changes === 1;
      })
      .immediate();
  }

  createSession(session: ConsoleSession): void {
    this.db
      .prepare(
        `INSERT INTO console_sessions (id_hash, username, csrf_token, created_at, last_seen_at, expires_at, absolute_expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        session.idHash,
        session.username.toLowerCase(),
        session.csrfToken,
        session.createdAt,
        session.lastSeenAt,
        session.expiresAt,
        session.absoluteExpiresAt,
      );
  }

  getSession(idHash: string): ConsoleSession | undefined {
    const raw = this.db.prepare('SELECT * FROM console_sessions WHERE id_hash = ?').get(idHash);
    return raw === undefined ? undefined : toConsoleSession(raw);
  }

  touchSession(idHash: string, lastSeenAt: string, expiresAt: string): void {
    this.db.prepare('UPDATE console_sessions SET last_seen_at = ?, expires_at = ? WHERE id_hash = ?').run(lastSeenAt, expiresAt, idHash);
  }

  deleteSession(idHash: string): void {
    this.db.prepare('DELETE FROM console_sessions WHERE id_hash = ?').run(idHash);
  }

  deleteExpiredSessions(now: string): number {
    return this.db.prepare('DELETE FROM console_sessions WHERE expires_at <= ? OR absolute_expires_at <= ?').run(now, now).changes;
  }

  // ---------------------------------------------------------------- what people did in the console

  recordConsoleAction(entry: Omit<ConsoleAuditEntry, 'id'>): void {
    this.db
      .prepare('INSERT INTO console_audit (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)')
      .run(entry.at, entry.actor, entry.action, entry.subject, entry.detail);
  }

  listConsoleActions(filter: { since?: string; actor?: string; limit?: number } = {}): ConsoleAuditEntry[] {
    const where: string[] = [];
    const params: SqlValue[] = [];
    if (filter.since !== undefined) {
      where.push('at >= ?');
      params.push(filter.since);
    }
    if (filter.actor !== undefined) {
      where.push('actor = ?');
      params.push(filter.actor);
    }
    let sql = `SELECT * FROM console_audit ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY at DESC, id DESC`;
    if (filter.limit !== undefined) {
      sql += ' LIMIT ?';
      params.push(Math.max(0, Math.floor(filter.limit)));
    }
    return this.db
      .prepare(sql)
      .all(...params)
      .map(toConsoleAuditEntry);
  }
}


/** The transaction (if any) the current asynchronous call chain belongs to. */
const transactionContext = new AsyncLocalStorage<object>();

/** Run `op` now, as a promise of its result (a throw becomes a rejection). */
function settle<T>(op: () => T): Promise<T> {
  try {
    return Promise.resolve(op());
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}

/** The embedded default store: SQLite through better-sqlite3, under the asynchronous store port. */
export class SqliteStore implements Store {
  readonly path: string;
  private readonly db: SqliteConnection;
  /** The transaction open on this connection: its token, and a promise settled when it ends. */
  private open: { token: object; ended: Promise<void> } | undefined;

  constructor(path: string, options: SqliteStoreOptions = {}) {
    this.db = new SqliteConnection(path, options);
    this.path = path;
  }

  /** True when the caller is inside the transaction open on this connection. */
  private joins(): boolean {
    return this.open !== undefined && transactionContext.getStore() === this.open.token;
  }

  /** Run `op` at once, or, while a transaction of someone else's is open, as soon as it has ended. */
  private run<T>(op: () => T): Promise<T> {
    const open = this.open;
    if (open === undefined || this.joins()) return settle(op);
    return open.ended.then(() => this.run(op));
  }

  async transaction<T>(fn: (tx: Repositories) => Promise<T>): Promise<T> {
    if (this.joins()) return fn(this);
    while (this.open !== undefined) await this.open.ended;
    const token = {};
    let end!: () => void;
    this.open = { token, ended: new Promise<void>((resolve) => (end = resolve)) };
    try {
      this.db.begin();
      let result: T;
      try {
        result = await transactionContext.run(token, () => fn(this));
      } catch (err) {
        this.db.rollback();
        throw err;
      }
      this.db.commit();
      return result;
    } finally {
      this.open = undefined;
      end();
    }
  }

  /** The journal mode in force (`wal` for a file). */
  journalMode(): Promise<string> {
    return this.run(() => this.db.journalMode());
  }

  close(): Promise<void> {
    return this.run(() => this.db.close());
  }

  identity(): Promise<StoreIdentity> {
    return this.run(() => this.db.identity());
  }
  isFresh(): Promise<boolean> {
    return this.run(() => this.db.isFresh());
  }
  recordStart(now: string, options?: { freshStart?: boolean }): Promise<StoreIdentity> {
    return this.run(() => this.db.recordStart(now, options));
  }
  checkIntegrity(maxErrors?: number): Promise<string[]> {
    return this.run(() => this.db.checkIntegrity(maxErrors));
  }
  prune(cutoffs: RetentionCutoffs, now: string, options?: { dryRun?: boolean }): Promise<PruneReport> {
    return this.run(() => this.db.prune(cutoffs, now, options));
  }

  checkSeen(itemKey: string, contentHash: string): Promise<SeenStatus> {
    return this.run(() => this.db.checkSeen(itemKey, contentHash));
  }
  markSeen(itemKey: string, contentHash: string, now: string): Promise<SeenStatus> {
    return this.run(() => this.db.markSeen(itemKey, contentHash, now));
  }
  saveOriginal(itemKey: string, source: Buffer, now: string, headline?: MailHeadline): Promise<void> {
    return this.run(() => this.db.saveOriginal(itemKey, source, now, headline));
  }
  getOriginal(itemKey: string): Promise<Buffer | undefined> {
    return this.run(() => this.db.getOriginal(itemKey));
  }
  getMailHeadline(itemKey: string): Promise<MailHeadline | undefined> {
    return this.run(() => this.db.getMailHeadline(itemKey));
  }
  pruneOriginals(olderThan: string): Promise<number> {
    return this.run(() => this.db.pruneOriginals(olderThan));
  }
  upsertEvent(summary: EventSummary, now: string): Promise<void> {
    return this.run(() => this.db.upsertEvent(summary, now));
  }
  listUpcomingEvents(from: string, to: string): Promise<EventSummary[]> {
    return this.run(() => this.db.listUpcomingEvents(from, to));
  }
  getEvent(key: string): Promise<EventSummary | undefined> {
    return this.run(() => this.db.getEvent(key));
  }

  replaceFindings(itemKey: string, findings: readonly Finding[], now: string): Promise<void> {
    return this.run(() => this.db.replaceFindings(itemKey, findings, now));
  }
  getFindings(itemKey: string, rule?: string): Promise<StoredFinding[]> {
    return this.run(() => this.db.getFindings(itemKey, rule));
  }
  listFindings(filter?: { since?: string; itemKey?: string; rule?: string }): Promise<StoredFinding[]> {
    return this.run(() => this.db.listFindings(filter));
  }
  listFindingsByFirstSeen(filter: { since?: string; before?: string; after?: FindingPosition }, limit: number): Promise<StoredFinding[]> {
    return this.run(() => this.db.listFindingsByFirstSeen(filter, limit));
  }

  insertEffect(effect: NewEffect, now: string, placement: EffectPlacement): Promise<EffectRow> {
    return this.run(() => this.db.insertEffect(effect, now, placement));
  }
  effectKnown(key: string): Promise<boolean> {
    return this.run(() => this.db.effectKnown(key));
  }
  countCapped(person: string, day: string, states: readonly EffectState[]): Promise<number> {
    return this.run(() => this.db.countCapped(person, day, states));
  }
  approveEffect(id: number, now: string, dueAt: string, change: PersonChange & { coverText?: string; placement?: ApprovalPlacement }): Promise<boolean> {
    return this.run(() => this.db.approveEffect(id, now, dueAt, change));
  }
  setCoverText(id: number, now: string, coverText: string | undefined, change: PersonChange): Promise<boolean> {
    return this.run(() => this.db.setCoverText(id, now, coverText, change));
  }
  withdrawEffect(id: number, now: string, change: PersonChange & { reason?: string }): Promise<boolean> {
    return this.run(() => this.db.withdrawEffect(id, now, change));
  }
  claimDue(now: string, limit: number): Promise<EffectRow[]> {
    return this.run(() => this.db.claimDue(now, limit));
  }
  markDone(id: number, now: string, outcome: string): Promise<boolean> {
    return this.run(() => this.db.markDone(id, now, outcome));
  }
  markAttemptFailed(id: number, now: string, failure: AttemptFailure): Promise<boolean> {
    return this.run(() => this.db.markAttemptFailed(id, now, failure));
  }
  returnToPending(id: number, now: string, dueAt: string, outcome: string): Promise<boolean> {
    return this.run(() => this.db.returnToPending(id, now, dueAt, outcome));
  }
  requeueFailed(id: number, now: string, dueAt: string, outcome: string, actor?: string): Promise<boolean> {
    return this.run(() => this.db.requeueFailed(id, now, dueAt, outcome, actor));
  }
  markInDoubt(id: number, now: string, outcome: string): Promise<boolean> {
    return this.run(() => this.db.markInDoubt(id, now, outcome));
  }
  releaseInDoubt(id: number, now: string, outcome: string, actor?: string): Promise<boolean> {
    return this.run(() => this.db.releaseInDoubt(id, now, outcome, actor));
  }
  dropInDoubt(id: number, now: string, outcome: string, actor?: string): Promise<boolean> {
    return this.run(() => this.db.dropInDoubt(id, now, outcome, actor));
  }
  withdrawEffects(target: WithdrawTarget, now: string, reason: string): Promise<EffectRow[]> {
    return this.run(() => this.db.withdrawEffects(target, now, reason));
  }
  markDigested(ids: readonly number[], now: string, digestDate: string): Promise<number> {
    return this.run(() => this.db.markDigested(ids, now, digestDate));
  }
  noteEffect(id: number, now: string, outcome: string): Promise<void> {
    return this.run(() => this.db.noteEffect(id, now, outcome));
  }
  getEffect(key: string): Promise<EffectRow | undefined> {
    return this.run(() => this.db.getEffect(key));
  }
  listEffects(filter?: EffectFilter): Promise<EffectRow[]> {
    return this.run(() => this.db.listEffects(filter));
  }
  countOutboxEffects(states: readonly EffectState[]): Promise<number> {
    return this.run(() => this.db.countOutboxEffects(states));
  }
  oldestOutboxEffectDue(state: 'pending' | 'sending', dueBy: string): Promise<string | undefined> {
    return this.run(() => this.db.oldestOutboxEffectDue(state, dueBy));
  }

  listAudit(filter?: AuditFilter): Promise<AuditEntry[]> {
    return this.run(() => this.db.listAudit(filter));
  }

  getCursor(source: string, key: string): Promise<string | undefined> {
    return this.run(() => this.db.getCursor(source, key));
  }
  setCursor(source: string, key: string, value: string): Promise<void> {
    return this.run(() => this.db.setCursor(source, key, value));
  }

  getItemMemory(kind: ItemMemoryKind, key: string): Promise<string | undefined> {
    return this.run(() => this.db.getItemMemory(kind, key));
  }
  setItemMemory(kind: ItemMemoryKind, key: string, summary: string, now: string): Promise<void> {
    return this.run(() => this.db.setItemMemory(kind, key, summary, now));
  }

  digestSent(date: string): Promise<boolean> {
    return this.run(() => this.db.digestSent(date));
  }
  recordDigest(date: string, messageId: string, now: string, content?: DigestContent): Promise<boolean> {
    return this.run(() => this.db.recordDigest(date, messageId, now, content));
  }
  listDigests(filter?: { before?: string; limit?: number }): Promise<DigestRow[]> {
    return this.run(() => this.db.listDigests(filter));
  }
  getDigest(date: string): Promise<DigestRow | undefined> {
    return this.run(() => this.db.getDigest(date));
  }
  lastDigest(before?: string): Promise<DigestRow | undefined> {
    return this.run(() => this.db.lastDigest(before));
  }
  recordDigestAttempt(attempt: DigestAttempt): Promise<void> {
    return this.run(() => this.db.recordDigestAttempt(attempt));
  }
  getDigestAttempt(date: string): Promise<DigestAttempt | undefined> {
    return this.run(() => this.db.getDigestAttempt(date));
  }
  clearDigestAttempt(date: string): Promise<void> {
    return this.run(() => this.db.clearDigestAttempt(date));
  }
  markDigestInDoubt(date: string, now: string): Promise<void> {
    return this.run(() => this.db.markDigestInDoubt(date, now));
  }
  listDigestsInDoubt(): Promise<DigestInDoubt[]> {
    return this.run(() => this.db.listDigestsInDoubt());
  }

  recordProblem(problem: Problem, now: string): Promise<void> {
    return this.run(() => this.db.recordProblem(problem, now));
  }
  clearProblem(origin: string): Promise<void> {
    return this.run(() => this.db.clearProblem(origin));
  }
  listProblems(): Promise<ProblemRow[]> {
    return this.run(() => this.db.listProblems());
  }
  recordSourceSuccess(source: string, now: string): Promise<void> {
    return this.run(() => this.db.recordSourceSuccess(source, now));
  }
  recordSourceError(source: string, now: string, message: string): Promise<void> {
    return this.run(() => this.db.recordSourceError(source, now, message));
  }
  listSourceHealth(): Promise<SourceHealth[]> {
    return this.run(() => this.db.listSourceHealth());
  }
  recordNeedsHuman(itemKey: string, rule: string | undefined, message: string, now: string): Promise<void> {
    return this.run(() => this.db.recordNeedsHuman(itemKey, rule, message, now));
  }
  clearNeedsHuman(itemKey: string, rule?: string): Promise<void> {
    return this.run(() => this.db.clearNeedsHuman(itemKey, rule));
  }
  listNeedsHuman(since?: string): Promise<NeedsHumanRow[]> {
    return this.run(() => this.db.listNeedsHuman(since));
  }

  settleFinding(settlement: NewSettlement): Promise<Settlement> {
    return this.run(() => this.db.settleFinding(settlement));
  }
  listSettlements(filter?: SettlementFilter): Promise<Settlement[]> {
    return this.run(() => this.db.listSettlements(filter));
  }
  addException(exception: NewStandingException): Promise<StandingException> {
    return this.run(() => this.db.addException(exception));
  }
  revokeException(id: number, actor: string, now: string): Promise<boolean> {
    return this.run(() => this.db.revokeException(id, actor, now));
  }
  getException(id: number): Promise<StandingException | undefined> {
    return this.run(() => this.db.getException(id));
  }
  listExceptions(filter?: { activeAt?: string }): Promise<StandingException[]> {
    return this.run(() => this.db.listExceptions(filter));
  }

  putUser(user: ConsoleUser): Promise<void> {
    return this.run(() => this.db.putUser(user));
  }
  getUser(username: string): Promise<ConsoleUser | undefined> {
    return this.run(() => this.db.getUser(username));
  }
  listUsers(): Promise<ConsoleUser[]> {
    return this.run(() => this.db.listUsers());
  }
  removeUser(username: string): Promise<boolean> {
    return this.run(() => this.db.removeUser(username));
  }
  createSession(session: ConsoleSession): Promise<void> {
    return this.run(() => this.db.createSession(session));
  }
  getSession(idHash: string): Promise<ConsoleSession | undefined> {
    return this.run(() => this.db.getSession(idHash));
  }
  touchSession(idHash: string, lastSeenAt: string, expiresAt: string): Promise<void> {
    return this.run(() => this.db.touchSession(idHash, lastSeenAt, expiresAt));
  }
  deleteSession(idHash: string): Promise<void> {
    return this.run(() => this.db.deleteSession(idHash));
  }
  deleteExpiredSessions(now: string): Promise<number> {
    return this.run(() => this.db.deleteExpiredSessions(now));
  }

  recordConsoleAction(entry: Omit<ConsoleAuditEntry, 'id'>): Promise<void> {
    return this.run(() => this.db.recordConsoleAction(entry));
  }
  listConsoleActions(filter?: { since?: string; actor?: string; limit?: number }): Promise<ConsoleAuditEntry[]> {
    return this.run(() => this.db.listConsoleActions(filter));
  }
}

/** Open (creating and migrating as needed) the store at `path`. */
export function openSqliteStore(path: string, options: SqliteStoreOptions = {}): SqliteStore {
  return new SqliteStore(path, options);
}
