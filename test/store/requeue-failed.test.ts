/** A failed effect remembers whether the fault was on this side; only such a one is put back, and only from `failed`. */
import Database from 'better-sqlite3';
import { enqueue } from '../../src/outbox/enqueue.js';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite-store.js';
import type { NewEffect } from '../../src/store/types.js';
import { A } from '../support/council.js';
import { tempDir } from '../outbox/fixtures.js';

const T0 = '2026-11-16T09:00:00.000Z';
const T1 = '2026-11-16T09:05:00.000Z';

function nudge(key: string): NewEffect {
  return {
    key,
    kind: 'nudge',
    rule: 'state-capacity',
    itemKey: `<${key}@millbrook-tc.gov.uk>`,
    recipient: A.tom,
    payload: { summary: 'Cllr Tom Brown wrote to a resident without saying in what capacity.', clauses: ['12.5'] },
    messageId: `<${key}.ww@millbrook-tc.gov.uk>`,
    notBefore: T0,
  };
}

let store: SqliteStore | undefined;
const dirs: ReturnType<typeof tempDir>[] = [];
function tempFile(name: string): string {
  const dir = tempDir();
  dirs.push(dir);
  return dir.file(name);
}
afterEach(async () => {
  await store?.close();
  store = undefined;
  for (const d of dirs.splice(0)) d.remove();
});

describe('requeueFailed and local faults', () => {
  it('records a local fault, puts the effect back due when asked, counts attempts afresh, and audits it', async () => {
    store = openSqliteStore(tempFile('state.sqlite'));
    await enqueue(store, [nudge('local'), nudge('remote')], T0);
    const [local, remote] = await store.claimDue(T0, 2);
    await store.markAttemptFailed(local?.id ?? -1, T0, { error: 'The message template could not be used.', local: true });
    await store.markAttemptFailed(remote?.id ?? -1, T0, { error: 'The mail server refused the message for good.' });
    expect(await store.getEffect('local')).toMatchObject({ state: 'failed', localFault: true, attempts: 1 });
    expect((await store.getEffect('remote'))?.localFault).toBeUndefined();

    expect(await store.requeueFailed(local?.id ?? -1, T1, T1, 'Put back after the template was fixed.')).toBe(true);
    expect(await store.getEffect('local')).toMatchObject({ state: 'pending', attempts: 0, nextAttemptAt: T1 });
    expect((await store.getEffect('local'))?.localFault).toBeUndefined();
    expect((await store.listAudit({ effectKey: 'local' })).at(-1)).toMatchObject({ fromState: 'failed', toState: 'pending', outcome: 'Put back after the template was fixed.' });
    // Pending now: a second request changes nothing; once claimed and done, nothing either.
    expect(await store.requeueFailed(local?.id ?? -1, T1, T1, 'again')).toBe(false);
    const [again] = await store.claimDue(T1, 5);
    expect(again?.key).toBe('local');
    await store.markDone(again?.id ?? -1, T1, 'Done.');
    expect(await store.requeueFailed(local?.id ?? -1, T1, T1, 'again')).toBe(false);
    expect((await store.getEffect('local'))?.state).toBe('done');
  });

  it('upgrades a state file of schema 4: its failed effects count as not local', async () => {
    const file = tempFile('old.sqlite');
    await openSqliteStore(file, { migrations: MIGRATIONS.filter((m) => m.version <= 4) }).close();
    // Written as a version of schema 4 wrote it (today's store code expects today's tables).
    const e = nudge('before');
    const db = new Database(file);
    db.prepare(
      `INSERT INTO effects (key, kind, rule, item_key, recipient, payload, state, attempts, next_attempt_at, last_attempt_at, last_error, message_id, created_at)
       VALUES (?, ?, ?, ?, ?, ?, 'failed', 1, ?, ?, 'refused', ?, ?)`,
    ).run(e.key, e.kind, e.rule, e.itemKey, e.recipient, JSON.stringify(e.payload), T0, T0, e.messageId, T0);
    db.close();
    store = openSqliteStore(file);
    expect(await store.getEffect('before')).toMatchObject({ state: 'failed' });
    expect((await store.getEffect('before'))?.localFault).toBeUndefined();
  });
});
