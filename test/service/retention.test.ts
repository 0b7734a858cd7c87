import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigSchema, RetentionSchema } from '../../src/config/schema.js';
import { silentLogger } from '../../src/service/logger.js';
import { RetentionJob, retentionCutoffs } from '../../src/service/retention.js';
import type { AssembledService } from '../../src/service/assemble.js';
import { openSqliteStore, SqliteStore } from '../../src/store/sqlite-store.js';
import { councilConfigInput } from '../support/council.js';
import { A } from '../support/council.js';
import { assembleForTest, makeCouncil, readOutbox, waitFor, type TestCouncil } from './helpers.js';

let council: TestCouncil | undefined;
let running: AssembledService | undefined;

afterEach(async () => {
  vi.useRealTimers();
  await running?.service.stop();
  running = undefined;
  council?.remove();
  council = undefined;
});

describe('the retention settings', () => {
  it('default to originals 30 days, items 90 days, findings, effects, audit and digests two years', () => {
    // A config written before there was a retention section stays valid.
    const config = ConfigSchema.parse(councilConfigInput);
    expect(config.retention).toEqual({ originals: 30, items: 90, findings: 730, effects: 730, audit: 730, digests: 730 });
  });

  it('read days, weeks and years, or a number of days', () => {
    expect(RetentionSchema.parse({ originals: 7, items: '12w', findings: '3y', audit: '400d' })).toMatchObject({ originals: 7, items: 84, findings: 1095, audit: 400 });
  });

  it('say how to write a period when one cannot be read', () => {
    const result = RetentionSchema.safeParse({ originals: '3 months' });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.message).join(' ')).toMatch(/30d \(days\), 12w \(weeks\) or 2y \(years\)/);
    expect(RetentionSchema.safeParse({ originals: 0 }).success).toBe(false);
  });

  it('give each kind of record its own cutoff', () => {
    const cutoffs = retentionCutoffs(RetentionSchema.parse({}), new Date('2026-12-07T03:00:00.000Z'));
    expect(cutoffs.originals).toBe('2026-11-07T03:00:00.000Z');
    expect(cutoffs.items).toBe('2026-09-08T03:00:00.000Z');
    expect(cutoffs.findings).toBe('2024-12-07T03:00:00.000Z');
  });
});

describe('the retention job', () => {
  it('prunes at start and then once a day, until stopped', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    vi.setSystemTime(new Date('2026-12-07T03:00:00.000Z'));
    const store = new SqliteStore(':memory:');
    try {
      const prune = vi.spyOn(store, 'prune');
      const job = new RetentionJob(store, RetentionSchema.parse({}), { logger: silentLogger() });
      await job.start();
      expect(prune).toHaveBeenCalledTimes(1);
      expect(prune.mock.calls[0]?.[0].originals).toBe('2026-11-07T03:00:00.000Z');
      vi.advanceTimersByTime(23 * 3_600_000);
      expect(prune).toHaveBeenCalledTimes(1);
      vi.advanceTimersByTime(3_600_000);
      expect(prune).toHaveBeenCalledTimes(2);
      expect(prune.mock.calls[1]?.[0].originals).toBe('2026-11-08T03:00:00.000Z');
      job.stop();
      vi.advanceTimersByTime(3 * 86_400_000);
      expect(prune).toHaveBeenCalledTimes(2);
    } finally {
      await store.close();
    }
  });

  it('logs a failure and tries again the next day instead of stopping the service', async () => {
    const store = new SqliteStore(':memory:');
    const logger = silentLogger();
    const logged = vi.spyOn(logger, 'error');
    try {
      vi.spyOn(store, 'prune').mockImplementation(() => {
        throw new Error('disk I/O error');
      });
      const job = new RetentionJob(store, RetentionSchema.parse({}), { logger });
      expect(await job.runOnce()).toBeUndefined();
      expect(logged).toHaveBeenCalledWith({ error: 'disk I/O error' }, 'pruning the state store for retention failed; it is tried again in an hour');
    } finally {
      await store.close();
    }
  });
});

describe('the service', () => {
  it('prunes its state file by the configured periods when it starts', async () => {
    council = makeCouncil({ retention: { items: '30d' } });
    const key = '<allotments-7@millbrook-tc.gov.uk>';
    const old = new Date(Date.now() - 40 * 86_400_000).toISOString();
    const recent = new Date(Date.now() - 20 * 86_400_000).toISOString();
    const seeded = openSqliteStore(council.storePath);
    await seeded.markSeen(key, 'h1', old);
    await seeded.markSeen('<recent-1@millbrook-tc.gov.uk>', 'h2', recent);
    await seeded.close();

    running = await assembleForTest(council);
    await running.service.start();
    const db = new Database(council.storePath, { readonly: true });
    try {
      expect(db.prepare('SELECT item_key FROM seen_items ORDER BY item_key').pluck().all()).toEqual(['<recent-1@millbrook-tc.gov.uk>']);
    } finally {
      db.close();
    }
  });
});

describe('a prune that fails', () => {
  it('makes /healthz answer 503 with the reason and is in the digest, until a later prune works', async () => {
    // A digest due every minute, so that one goes out as soon as the service has started.
    council = makeCouncil({ digest: { to: [A.clerk], cron: '* * * * *' } });
    running = await assembleForTest(council, { tuning: { retentionRetryMs: 100 } });
    const { service, store } = running;
    let locked = true;
    const prune = store.prune.bind(store);
    const attempts = vi.spyOn(store, 'prune').mockImplementation(async (...args) => {
      // What SQLite says when another program (a backup, a second Wardwatch) holds the file's write lock.
      if (locked) throw new Database.SqliteError('database is locked', 'SQLITE_BUSY');
      return await prune(...args);
    });
    const started = await service.start();

    const res = await fetch(`http://127.0.0.1:${started.port}/healthz`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as { error: string; problems: { what: string; reason: string }[] };
    const reason = 'records past their retention period could not be pruned: the state file is locked by another program (database is locked)';
    expect(body.problems).toEqual([expect.objectContaining({ what: 'store', reason: expect.stringContaining(reason) })]);
    expect(body.error).toContain('Please check that nothing else');

    const [digest] = await waitFor('the digest', async () => {
      const sent = (await readOutbox(council?.outboxDir ?? '')).filter((m) => m.key.startsWith('digest;'));
      return sent.length > 0 ? sent : undefined;
    });
    expect(digest?.text.replace(/\s+/g, ' ')).toContain(reason);

    // Tried again within the hour (here 100 ms), not only tomorrow; once a prune works, it clears.
    const failedSoFar = attempts.mock.calls.length;
    expect(failedSoFar).toBeGreaterThan(1);
    locked = false;
    await waitFor('/healthz to recover', async () => (await fetch(`http://127.0.0.1:${started.port}/healthz`)).status === 200);
    expect(service.alarms.problems()).toEqual([]);
  });
});
