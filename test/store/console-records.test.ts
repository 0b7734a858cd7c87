/**
 * What the SQLite store keeps for the Clerk's console beyond the store contract: rows read back
 * are checked, accounts and sessions hang together, searches fold case as a person expects, the
 * retention of what people did, and effects held for review surviving a restart.
 */
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { NewEffect, RetentionCutoffs } from '../../src/store/types.js';
import { StoreBench } from '../outbox/fixtures.js';

const T0 = '2026-03-02T09:00:00.000Z';
const T1 = '2026-03-02T10:00:00.000Z';
const T2 = '2026-03-02T11:00:00.000Z';
const LATER = '2026-09-01T00:00:00.000Z';

function nudge(itemKey: string, recipient: string): NewEffect {
  return {
    key: `nudge:${itemKey}:${recipient}`,
    kind: 'nudge',
    rule: 'no-blind-copies',
    itemKey,
    recipient,
    payload: { summary: `A member was copied blind on ${itemKey}.`, clauses: ['12.1'] },
    messageId: `<nudge.${itemKey.replace(/[<>@]/g, '')}@millbrook-tc.gov.uk>`,
    notBefore: T0,
    review: true,
  };
}

/** Change the state file as another program (or a hand at the sqlite3 prompt) might. */
function tamper(path: string, sql: string, ...params: (string | number)[]): void {
  const db = new Database(path);
  try {
    db.prepare(sql).run(...params);
  } finally {
    db.close();
  }
}

describe('the console’s records in the SQLite store', () => {
  let bench: StoreBench;
  let store: SqliteStore;
  beforeEach(() => {
    bench = new StoreBench();
    store = bench.store();
  });
  afterEach(async () => await bench.dispose());

  it('refuses, naming the digest, an archived digest whose words are not what was kept', async () => {
    await store.recordDigest('2026-03-01', '<d1@millbrook-tc.gov.uk>', T0, { subject: 'Digest', text: 't', html: '<p>t</p>', recipients: ['clerk@millbrook-tc.gov.uk'] });
    tamper(bench.dbPath, `UPDATE digests SET content = '{"subject":"Digest","text":"t"}' WHERE date = '2026-03-01'`);
    await expect(store.getDigest('2026-03-01')).rejects.toThrow(/unexpected data in the digests \(2026-03-01\)/);
    tamper(bench.dbPath, `UPDATE digests SET content = 'not json' WHERE date = '2026-03-01'`);
    await expect(store.listDigests()).rejects.toThrow(/not valid JSON/);
  });

  it('refuses a console account or settlement the schema does not know, and a session for no account', async () => {
    expect(() => tamper(bench.dbPath, `INSERT INTO console_users (username, display_name, role, created_at) VALUES ('eve', 'Eve', 'admin', ?)`, T0)).toThrow(/CHECK constraint/);
    expect(() =>
      tamper(bench.dbPath, `INSERT INTO settlements (rule, item_key, kind, reason, actor, at) VALUES ('no-blind-copies', '<x@y>', 'ignored', 'r', 'eve', ?)`, T0),
    ).toThrow(/CHECK constraint/);
    await expect(
      store.createSession({ idHash: 'h', username: 'nobody', csrfToken: 'c', createdAt: T0, lastSeenAt: T0, expiresAt: T2, absoluteExpiresAt: T2 }),
    ).rejects.toThrow(/FOREIGN KEY/);
  });

  it('checks a session read back: a row with a missing expiry is refused, not taken as open', async () => {
    await store.putUser({ username: 'alice', displayName: 'Alice Green', role: 'clerk', createdAt: T0 });
    await store.createSession({ idHash: 'h1', username: 'alice', csrfToken: 'c', createdAt: T0, lastSeenAt: T0, expiresAt: T2, absoluteExpiresAt: T2 });
    // The schema says NOT NULL, so only a file rebuilt by hand could hold this: drop the constraint the SQLite way.
    const db = new Database(bench.dbPath);
    try {
      db.exec(`
        PRAGMA foreign_keys = OFF;
        CREATE TABLE s2 (id_hash TEXT PRIMARY KEY, username TEXT, csrf_token TEXT, created_at TEXT, last_seen_at TEXT, expires_at TEXT, absolute_expires_at TEXT);
        INSERT INTO s2 SELECT id_hash, username, csrf_token, created_at, last_seen_at, NULL, absolute_expires_at FROM console_sessions;
        DROP TABLE console_sessions;
        ALTER TABLE s2 RENAME TO console_sessions;
      `);
    } finally {
      db.close();
    }
    await expect(store.getSession('h1')).rejects.toThrow();
  });

  it('keeps a user’s sessions when the account is put again (a new role or password), and ends them only on removal', async () => {
    await store.putUser({ username: 'alice', displayName: 'Alice Green', role: 'clerk', passwordHash: 'scrypt$16384$8$1$YQ==$Yg==', createdAt: T0 });
    await store.createSession({ idHash: 'h1', username: 'alice', csrfToken: 'c', createdAt: T0, lastSeenAt: T0, expiresAt: T2, absoluteExpiresAt: T2 });
    await store.putUser({ username: 'ALICE', displayName: 'Alice Green', role: 'viewer', passwordHash: 'scrypt$16384$8$1$Yw==$ZA==', createdAt: T0 });
    expect(await store.getSession('h1')).toMatchObject({ username: 'alice' });
    expect((await store.getUser('alice'))?.role).toBe('viewer');
    expect(await store.listUsers()).toHaveLength(1);
  });

  it('searches recipients with case folded beyond ASCII, and takes % and _ as themselves', async () => {
    await store.insertEffect(nudge('<a@millbrook-tc.gov.uk>', 'Élodie.Durand@millbrook-tc.gov.uk'), T0, { state: 'awaiting-review', outcome: 'Held.' });
    await store.insertEffect(nudge('<b@millbrook-tc.gov.uk>', 'tom_baker@millbrook-tc.gov.uk'), T0, { state: 'awaiting-review', outcome: 'Held.' });
    await store.insertEffect(nudge('<c@millbrook-tc.gov.uk>', 'tomxbaker@millbrook-tc.gov.uk'), T0, { state: 'awaiting-review', outcome: 'Held.' });
    expect((await store.listEffects({ recipientContains: 'élodie' })).map((e) => e.recipient)).toEqual(['Élodie.Durand@millbrook-tc.gov.uk']);
    expect((await store.listEffects({ recipientContains: 'tom_' })).map((e) => e.recipient)).toEqual(['tom_baker@millbrook-tc.gov.uk']);
    expect(await store.listEffects({ recipientContains: '%' })).toEqual([]);
  });

  it('prunes standing exceptions that ended before the audit cutoff, counting them, settlements and the console’s audit with the audit log', async () => {
    const expired = await store.addException({ match: 'phrase', value: 'newsletter', reason: 'r', actor: 'alice', createdAt: T0, expiresAt: T1 });
    const revoked = await store.addException({ match: 'sender', value: 'a@b.c', reason: 'r', actor: 'alice', createdAt: T0, expiresAt: LATER });
    await store.revokeException(revoked.id, 'bob', T1);
    const running = await store.addException({ match: 'recipient-domain', value: 'example.org', reason: 'r', actor: 'alice', createdAt: T0, expiresAt: LATER });
    await store.settleFinding({ rule: 'no-blind-copies', itemKey: '<x@millbrook-tc.gov.uk>', kind: 'excepted', reason: 'r', actor: 'alice', at: T0, exceptionId: expired.id });
    await store.recordConsoleAction({ at: T0, actor: 'alice', action: 'exception-added', subject: `exception ${expired.id}`, detail: 'Added.' });

    const cutoffs: RetentionCutoffs = { originals: T0, items: T0, findings: T0, effects: T0, audit: T2, digests: '2026-03-01' };
    const report = await store.prune(cutoffs, T2);
    // Two exceptions, one settlement and one console entry; no effect audit to prune.
    expect(report.audit).toBe(4);
    expect((await store.listExceptions()).map((x) => x.id)).toEqual([running.id]);
    expect(await store.listSettlements()).toEqual([]);
    expect(await store.listConsoleActions()).toEqual([]);
  });

  it('keeps an effect held for review, with its cover text, across a restart, and approves it after', async () => {
    const held = await store.insertEffect(nudge('<restart@millbrook-tc.gov.uk>', 'sam.patel@millbrook-tc.gov.uk'), T0, { state: 'awaiting-review', outcome: 'Held.' });
    expect(await store.setCoverText(held.id, T1, 'A word from the Clerk.', { actor: 'alice', outcome: 'Cover text set by alice.' })).toBe(true);
    await store.close();

    const reopened = bench.store();
    expect(await reopened.getEffect(held.key)).toMatchObject({ state: 'awaiting-review', coverText: 'A word from the Clerk.' });
    expect(await reopened.approveEffect(held.id, T2, T2, { actor: 'alice', outcome: 'Approved by alice.' })).toBe(true);
    expect(await reopened.approveEffect(held.id, T2, T2, { actor: 'alice', outcome: 'Approved by alice.' })).toBe(false);
    expect(await reopened.getEffect(held.key)).toMatchObject({ state: 'pending', nextAttemptAt: T2, coverText: 'A word from the Clerk.' });
    expect((await reopened.listAudit({ effectKey: held.key })).map((a) => a.actor ?? null)).toEqual([null, 'alice', 'alice']);
  });

  it('undoes an approval, and its audit entry, when the transaction around it rolls back', async () => {
    const held = await store.insertEffect(nudge('<rollback@millbrook-tc.gov.uk>', 'sam.patel@millbrook-tc.gov.uk'), T0, { state: 'awaiting-review', outcome: 'Held.' });
    await expect(
      store.transaction(async (tx) => {
        expect(await tx.approveEffect(held.id, T1, T1, { actor: 'alice', outcome: 'Approved by alice.' })).toBe(true);
        throw new Error('the console could not record the rest');
      }),
    ).rejects.toThrow(/could not record/);
    expect(await store.getEffect(held.key)).toMatchObject({ state: 'awaiting-review' });
    expect(await store.listAudit({ effectKey: held.key })).toHaveLength(1);
  });
});
