import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, type Migration } from '../../src/store/migrations.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { EventSummary } from '../../src/store/types.js';
import { A } from '../support/council.js';
import { StoreBench, tempDir } from '../outbox/fixtures.js';

const T0 = '2026-11-16T09:00:00.000Z';
const T1 = '2026-11-17T09:00:00.000Z';
const T2 = '2026-11-18T09:00:00.000Z';

function meeting(key: string, start: string, extra: Partial<EventSummary> = {}): EventSummary {
  return {
    key,
    calendarId: 'council-events',
    summary: `Public meeting ${key}`,
    start,
    end: new Date(Date.parse(start) + 2 * 3600_000).toISOString(),
    location: 'Market Square',
    kinds: ['public-meeting'],
    wards: ['castle'],
    organizer: A.sam,
    attendees: [A.tom, A.alice],
    ...extra,
  };
}

describe('store additions', () => {
  let bench: StoreBench;
  let store: SqliteStore;
  beforeEach(() => {
    bench = new StoreBench();
    store = bench.store();
  });
  afterEach(async () => await bench.dispose());

  describe('events for the digest', () => {
    it('lists events starting in [from, to), earliest first, with every field kept', async () => {
      const later = meeting('e-later', '2026-11-25T18:30:00.000Z');
      const sooner = meeting('e-sooner', '2026-11-20T18:30:00.000Z', { kinds: ['ward-surgery'], wards: [] });
      delete sooner.organizer;
      await store.upsertEvent(later, T0);
      await store.upsertEvent(sooner, T0);
      await store.upsertEvent(meeting('e-past', '2026-11-10T18:30:00.000Z'), T0);
      await store.upsertEvent(meeting('e-at-end', '2026-12-01T00:00:00.000Z'), T0);

      const listed = await store.listUpcomingEvents('2026-11-18T00:00:00.000Z', '2026-12-01T00:00:00.000Z');
      expect(listed).toEqual([sooner, later]);
      expect(listed[0]).not.toHaveProperty('organizer');
    });

    it('replaces an event when it is recorded again (moved, re-invited)', async () => {
      await store.upsertEvent(meeting('e1', '2026-11-20T18:30:00.000Z'), T0);
      const moved = meeting('e1', '2026-11-27T18:30:00.000Z', { attendees: [A.tom, A.alice, A.clerk], summary: 'Moved meeting' });
      await store.upsertEvent(moved, T1);
      expect(await store.listUpcomingEvents('2026-11-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z')).toEqual([moved]);
    });

    it('finds one event by its key', async () => {
      const e = meeting('uid-1#2026-11-20T18:30:00.000Z', '2026-11-20T18:30:00.000Z');
      await store.upsertEvent(e, T0);
      expect(await store.getEvent(e.key)).toEqual(e);
      expect(await store.getEvent('uid-1')).toBeUndefined();
    });

    it('keeps events across a restart (a new store on the same file)', async () => {
      const e = meeting('e1', '2026-11-20T18:30:00.000Z');
      await store.upsertEvent(e, T0);
      await store.close();
      const reopened = bench.store();
      expect(await reopened.listUpcomingEvents('2026-11-19T00:00:00.000Z', '2026-11-21T00:00:00.000Z')).toEqual([e]);
    });
  });

  describe('original message sources', () => {
    it('saves, returns byte for byte and replaces a message source', async () => {
      const bytes = Buffer.from('From: tom.brown@millbrook-tc.gov.uk\r\nSubject: Caf\xe9\r\n\r\nBody\x00\xff', 'latin1');
      await store.saveOriginal('<m1@x>', bytes, T0);
      expect((await store.getOriginal('<m1@x>'))?.equals(bytes)).toBe(true);
      expect(await store.getOriginal('<other@x>')).toBeUndefined();

      await store.saveOriginal('<m1@x>', Buffer.from('second copy'), T1);
      expect((await store.getOriginal('<m1@x>'))?.toString()).toBe('second copy');
    });

    it('prunes the sources saved before a given time and says how many', async () => {
      await store.saveOriginal('<old@x>', Buffer.from('old'), T0);
      await store.saveOriginal('<mid@x>', Buffer.from('mid'), T1);
      await store.saveOriginal('<new@x>', Buffer.from('new'), T2);
      expect(await store.pruneOriginals(T1)).toBe(1);
      expect(await store.getOriginal('<old@x>')).toBeUndefined();
      expect((await store.getOriginal('<mid@x>'))?.toString()).toBe('mid');
      expect(await store.pruneOriginals(T1)).toBe(0);
    });
  });

  describe('items that need a human', () => {
    it('records notices, counts repeats and filters by when they were last reported', async () => {
      await store.recordNeedsHuman('uid-1', 'invite-ward-members', 'The ward of "Coffee morning" could not be worked out.', T0);
      await store.recordNeedsHuman('<m1@x>', undefined, 'The sender could not be identified.', T1);
      await store.recordNeedsHuman('uid-1', 'invite-ward-members', 'The ward of "Coffee morning" is ambiguous.', T2);

      expect(await store.listNeedsHuman()).toEqual([
        { itemKey: 'uid-1', rule: 'invite-ward-members', message: 'The ward of "Coffee morning" is ambiguous.', firstSeen: T0, lastSeen: T2, count: 2 },
        { itemKey: '<m1@x>', message: 'The sender could not be identified.', firstSeen: T1, lastSeen: T1, count: 1 },
      ]);
      expect((await store.listNeedsHuman(T2)).map((n) => n.itemKey)).toEqual(['uid-1']);
    });

    it('clears one rule’s notice or all of an item’s', async () => {
      await store.recordNeedsHuman('uid-1', 'invite-ward-members', 'ward unknown', T0);
      await store.recordNeedsHuman('uid-1', 'notify-ward-members-of-visits', 'ward unknown', T0);
      await store.recordNeedsHuman('uid-2', 'invite-ward-members', 'ward unknown', T0);
      await store.clearNeedsHuman('uid-1', 'invite-ward-members');
      expect((await store.listNeedsHuman()).map((n) => `${n.itemKey} ${n.rule ?? ''}`)).toEqual(['uid-1 notify-ward-members-of-visits', 'uid-2 invite-ward-members']);
      await store.clearNeedsHuman('uid-1');
      expect((await store.listNeedsHuman()).map((n) => n.itemKey)).toEqual(['uid-2']);
    });
  });
});

describe('digest bookkeeping', () => {
  let bench: StoreBench;
  let store: SqliteStore;
  beforeEach(() => {
    bench = new StoreBench();
    store = bench.store();
  });
  afterEach(async () => await bench.dispose());

  it('returns the digest with the latest date', async () => {
    expect(await store.lastDigest()).toBeUndefined();
    await store.recordDigest('2026-11-17', '<d17@x>', T1);
    await store.recordDigest('2026-11-16', '<d16@x>', T2);
    expect(await store.lastDigest()).toEqual({ date: '2026-11-17', messageId: '<d17@x>', sentAt: T1 });
    expect(await store.lastDigest('2026-11-17')).toEqual({ date: '2026-11-16', messageId: '<d16@x>', sentAt: T2 });
    expect(await store.lastDigest('2026-11-16')).toBeUndefined();
  });

  it('remembers the latest attempt at a date’s digest, with or without a start', async () => {
    expect(await store.getDigestAttempt('2026-11-17')).toBeUndefined();
    await store.recordDigestAttempt({ date: '2026-11-17', messageId: '<d17@x>', until: T0, startedAt: T0 });
    expect(await store.getDigestAttempt('2026-11-17')).toEqual({ date: '2026-11-17', messageId: '<d17@x>', until: T0, startedAt: T0 });
    await store.recordDigestAttempt({ date: '2026-11-17', messageId: '<d17@x>', since: T0, until: T1, startedAt: T1 });
    expect(await store.getDigestAttempt('2026-11-17')).toEqual({ date: '2026-11-17', messageId: '<d17@x>', since: T0, until: T1, startedAt: T1 });
  });
});

describe('migration 2', () => {
  it('upgrades a version-1 file in place, keeping its data', async () => {
    const dir = tempDir();
    try {
      const path = dir.file('wardwatch.sqlite');
      const v1: readonly Migration[] = MIGRATIONS.filter((m) => m.version === 1);
      const old = new SqliteStore(path, { migrations: v1 });
      await old.recordDigest('2026-11-16', '<d@millbrook-tc.gov.uk>', T0);
      await old.close();

      const upgraded = new SqliteStore(path);
      expect(await upgraded.digestSent('2026-11-16')).toBe(true);
      await upgraded.saveOriginal('<m1@x>', Buffer.from('kept'), T1);
      expect((await upgraded.getOriginal('<m1@x>'))?.toString()).toBe('kept');
      await upgraded.close();

      const db = new Database(path, { readonly: true });
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all().map(String);
      db.close();
      expect(tables).toEqual(expect.arrayContaining(['events', 'originals', 'needs_human', 'digest_attempts']));
    } finally {
      dir.remove();
    }
  });
});
