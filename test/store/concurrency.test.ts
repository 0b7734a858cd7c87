/**
 * Two users of one state file: the service and, say, a `wardwatch digest` run. WAL lets readers
 * and a writer proceed together; busy_timeout makes a writer wait for another's lock instead of
 * failing; guarded transitions mean an effect is claimed by one of them only.
 */
import { spawn } from 'node:child_process';
import { enqueue } from '../../src/outbox/enqueue.js';
import { createRequire } from 'node:module';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { effectKey, effectMessageId } from '../../src/outbox/idempotency.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { NewEffect } from '../../src/store/types.js';
import { StoreBench } from '../outbox/fixtures.js';

const T0 = '2026-01-14T10:00:00.000Z';
const require = createRequire(import.meta.url);
const betterSqlite3 = require.resolve('better-sqlite3');

function effect(n: number): NewEffect {
  const key = effectKey({ rule: 'no-blind-copies', itemKey: `<m${n}@x>`, recipient: 'sam.patel@millbrook-tc.gov.uk', kind: 'nudge' });
  return {
    key,
    kind: 'nudge',
    rule: 'no-blind-copies',
    itemKey: `<m${n}@x>`,
    recipient: 'sam.patel@millbrook-tc.gov.uk',
    payload: { summary: `nudge ${n}`, clauses: ['12.1'] },
    messageId: effectMessageId(key, 'millbrook-tc.gov.uk'),
    notBefore: T0,
  };
}

/**
 * A separate process that takes the write lock, says so on stdout, holds it for a moment and
 * then writes a cursor and commits. Plain JavaScript run by `node -e`, using the same driver.
 */
const LOCK_HOLDER = `
const Database = require(process.argv[1]);
const db = new Database(process.argv[2], { timeout: 5000 });
db.exec('BEGIN IMMEDIATE');
db.prepare("INSERT INTO cursors (source, key, value, updated_at) VALUES ('other-process', 'k', 'v', '2026-01-14T10:00:00.000Z')").run();
process.stdout.write('locked\\n');
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 400);
db.exec('COMMIT');
db.close();
`;

describe('two users of one state file', () => {
  let bench: StoreBench;
  beforeEach(() => {
    bench = new StoreBench();
  });
  afterEach(async () => await bench.dispose());

  /** Start the lock holder; resolves once it holds the lock, with a promise of its exit code. */
  async function holdWriteLock(): Promise<{ exited: Promise<number | null> }> {
    const child = spawn(process.execPath, ['-e', LOCK_HOLDER, betterSqlite3, bench.dbPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        if (d.toString().includes('locked')) resolve();
      });
      child.on('exit', () => reject(new Error(`the lock holder stopped early: ${stderr}`)));
    });
    return { exited };
  }

  it('waits for another process’s write lock instead of failing, and loses neither write', async () => {
    const store = bench.store();
    const { exited } = await holdWriteLock();
    // The other process holds the write lock now: this write waits for it, then succeeds.
    expect(await enqueue(store, [effect(1)], T0)).toEqual([{ key: effect(1).key, outcome: 'enqueued' }]);
    expect(await exited).toBe(0);
    expect(await store.getCursor('other-process', 'k')).toBe('v');
    expect(await store.listEffects()).toHaveLength(1);
  });

  it('would fail on that lock without a busy timeout (the control for the test above)', async () => {
    const impatient = new SqliteStore(bench.dbPath, { busyTimeoutMs: 0 });
    try {
      const { exited } = await holdWriteLock();
      await expect(enqueue(impatient, [effect(1)], T0)).rejects.toThrow(/locked|busy/i);
      expect(await exited).toBe(0);
      expect(await impatient.listEffects()).toEqual([]);
    } finally {
      await impatient.close();
    }
  });

  it('never lets two instances enqueue the same effect twice or claim the same effect twice', async () => {
    const service = bench.store();
    const other = bench.store();
    const effects = Array.from({ length: 6 }, (_, i) => effect(i + 1));
    await enqueue(service, effects.slice(0, 4), T0);
    expect((await enqueue(other, effects, T0)).map((r) => r.outcome)).toEqual(['duplicate', 'duplicate', 'duplicate', 'duplicate', 'enqueued', 'enqueued']);

    const claimedByService = await service.claimDue(T0, 3);
    const claimedByOther = await other.claimDue(T0, 10);
    const keys = [...claimedByService, ...claimedByOther].map((e) => e.key);
    expect(new Set(keys).size).toBe(6);
    expect(keys).toHaveLength(6);
    expect(await service.claimDue(T0, 10)).toEqual([]);
    // A transition made through one instance is seen by the other.
    const first = claimedByService[0];
    expect(await other.markDone(first?.id ?? -1, T0, 'Done.')).toBe(true);
    expect(await service.markDone(first?.id ?? -1, T0, 'Done.')).toBe(false);
  });

  it('lets one instance read while the other writes (WAL)', async () => {
    const writer = bench.store();
    const reader = bench.store();
    expect(await writer.journalMode()).toBe('wal');
    await enqueue(writer, [effect(1)], T0);
    expect((await reader.getEffect(effect(1).key))?.state).toBe('pending');
  });
});
