import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { enqueue, recordEvaluation } from '../../src/outbox/enqueue.js';
import { effectKey, effectMessageId } from '../../src/outbox/idempotency.js';
import type { SqliteStore } from '../../src/store/sqlite-store.js';
import type { EffectPayload, NewEffect } from '../../src/store/types.js';
import { action, finding, StoreBench } from '../outbox/fixtures.js';

const T0 = '2026-01-14T10:00:00.000Z';
const T1 = '2026-01-14T11:00:00.000Z';

function effect(itemKey: string, recipient: string, payload: EffectPayload = { summary: 's', clauses: ['12.1'] }): NewEffect {
  const key = effectKey({ rule: 'no-blind-copies', itemKey, recipient, kind: 'nudge' });
  return {
    key,
    kind: 'nudge',
    rule: 'no-blind-copies',
    itemKey,
    recipient,
    payload,
    messageId: effectMessageId(key, 'millbrook-tc.gov.uk'),
    notBefore: T0,
  };
}

describe('SqliteStore', () => {
  let bench: StoreBench;
  let store: SqliteStore;
  beforeEach(() => {
    bench = new StoreBench();
    store = bench.store();
  });
  afterEach(async () => await bench.dispose());

  describe('seen items', () => {
    it('tells new, unchanged and changed items apart by content hash', async () => {
      expect(await store.checkSeen('<m1@x>', 'h1')).toBe('new');
      expect(await store.markSeen('<m1@x>', 'h1', T0)).toBe('new');
      expect(await store.markSeen('<m1@x>', 'h1', T1)).toBe('unchanged');
      expect(await store.checkSeen('<m1@x>', 'h2')).toBe('changed');
      expect(await store.markSeen('<m1@x>', 'h2', T1)).toBe('changed');
      expect(await store.checkSeen('<m1@x>', 'h2')).toBe('unchanged');
    });
  });

  describe('recordEvaluation', () => {
    it('marks the item seen, stores its findings and enqueues its effects together', async () => {
      const f = finding({ itemKey: '<m1@x>', actions: [action('nudge', ['sam.patel@millbrook-tc.gov.uk'])] });
      const out = await recordEvaluation(store, { item: { key: '<m1@x>', contentHash: 'h1' }, findings: [f], effects: [effect('<m1@x>', 'sam.patel@millbrook-tc.gov.uk')], now: T0 });
      expect(out.seen).toBe('new');
      expect(out.effects.map((e) => e.outcome)).toEqual(['enqueued']);
      expect(await store.getFindings('<m1@x>')).toMatchObject([{ rule: 'no-blind-copies', seq: 0, finding: f, firstSeen: T0 }]);
      expect(await store.listEffects()).toHaveLength(1);
      expect(await store.checkSeen('<m1@x>', 'h1')).toBe('unchanged');
    });

    it('records nothing at all when any part fails', async () => {
      const circular: EffectPayload & { self?: unknown } = { summary: 's', clauses: [] };
      circular.self = circular;
      const f = finding({ itemKey: '<m1@x>', actions: [] });
      await expect(
        recordEvaluation(store, {
          item: { key: '<m1@x>', contentHash: 'h1' },
          findings: [f],
          effects: [effect('<m1@x>', 'a@x.gov.uk'), effect('<m1@x>', 'b@x.gov.uk', circular)],
          now: T0,
        }),
      ).rejects.toThrow();
      expect(await store.checkSeen('<m1@x>', 'h1')).toBe('new');
      expect(await store.getFindings('<m1@x>')).toEqual([]);
      expect(await store.listEffects()).toEqual([]);
      expect(await store.listAudit()).toEqual([]);
    });

    it('refuses a finding about another item', async () => {
      const f = finding({ itemKey: '<other@x>', actions: [] });
      await expect(recordEvaluation(store, { item: { key: '<m1@x>', contentHash: 'h' }, findings: [f], effects: [], now: T0 })).rejects.toThrow(/not about the item/);
    });

    it('replaces an item’s findings on re-evaluation, keeping first-seen and the update time of unchanged ones', async () => {
      const item = { key: '<m1@x>', contentHash: 'h1' };
      const a = finding({ itemKey: '<m1@x>', actions: [], summary: 'first' });
      const b = finding({ itemKey: '<m1@x>', actions: [], summary: 'second', rule: 'press-via-clerk' });
      await recordEvaluation(store, { item, findings: [a, b], effects: [], now: T0 });
      await recordEvaluation(store, { item: { ...item, contentHash: 'h2' }, findings: [a], effects: [], now: T1 });
      const rows = await store.getFindings('<m1@x>');
      expect(rows.map((r) => r.rule)).toEqual(['no-blind-copies']);
      expect(rows[0]).toMatchObject({ firstSeen: T0, updatedAt: T0 });
      expect(await store.listFindings({ since: T1 })).toEqual([]);

      const changed = { ...a, summary: 'first, reworded' };
      await recordEvaluation(store, { item, findings: [changed], effects: [], now: T1 });
      expect(await store.listFindings({ since: T1 })).toMatchObject([{ firstSeen: T0, updatedAt: T1, finding: { summary: 'first, reworded' } }]);
    });

    it('keeps several findings of one rule on one item', async () => {
      const item = { key: '<e1@x>', contentHash: 'h1' };
      const one = finding({ itemKey: '<e1@x>', actions: [], summary: 'castle ward' });
      const two = finding({ itemKey: '<e1@x>', actions: [], summary: 'riverside ward' });
      await recordEvaluation(store, { item, findings: [one, two], effects: [], now: T0 });
      expect((await store.getFindings('<e1@x>', 'no-blind-copies')).map((r) => [r.seq, r.finding.summary])).toEqual([
        [0, 'castle ward'],
        [1, 'riverside ward'],
      ]);
    });
  });

  describe('enqueue', () => {
    it('never records the same key twice', async () => {
      const e = effect('<m1@x>', 'a@x.gov.uk');
      expect(await enqueue(store, [e], T0)).toEqual([{ key: e.key, outcome: 'enqueued' }]);
      expect(await enqueue(store, [e, e], T1)).toEqual([
        { key: e.key, outcome: 'duplicate' },
        { key: e.key, outcome: 'duplicate' },
      ]);
      expect(await store.listEffects()).toHaveLength(1);
      expect(await store.getEffect(e.key)).toMatchObject({ state: 'pending', attempts: 0, nextAttemptAt: T0, createdAt: T0, messageId: e.messageId });
    });

    it('records effects in dry-run mode without ever making them due', async () => {
      const e = effect('<m1@x>', 'a@x.gov.uk');
      expect(await enqueue(store, [e], T0, { dryRun: true })).toEqual([{ key: e.key, outcome: 'skipped-dry-run' }]);
      expect(await store.claimDue(T1, 10)).toEqual([]);
      expect((await store.listAudit({ effectKey: e.key }))[0]?.outcome).toMatch(/dry-run mode/);
    });
  });

  describe('effect transitions', () => {
    it('claims only due pending effects, once', async () => {
      const due = effect('<m1@x>', 'a@x.gov.uk');
      const later = { ...effect('<m2@x>', 'a@x.gov.uk'), notBefore: '2026-01-15T08:00:00.000Z' };
      await enqueue(store, [due, later], T0);
      const claimed = await store.claimDue(T1, 10);
      expect(claimed.map((c) => [c.key, c.state, c.attempts, c.lastAttemptAt])).toEqual([[due.key, 'sending', 1, T1]]);
      expect(await store.claimDue(T1, 10)).toEqual([]);
    });

    it('only moves an effect from the state it is expected to be in', async () => {
      const e = effect('<m1@x>', 'a@x.gov.uk');
      await enqueue(store, [e], T0);
      const id = (await store.getEffect(e.key))?.id ?? -1;
      expect(await store.markDone(id, T1, 'Done.')).toBe(false);
      await store.claimDue(T1, 1);
      expect(await store.markDone(id, T1, 'Done.')).toBe(true);
      expect(await store.markDone(id, T1, 'Done.')).toBe(false);
      expect(await store.returnToPending(id, T1, T1, 'x')).toBe(false);
      expect(await store.getEffect(e.key)).toMatchObject({ state: 'done', doneAt: T1 });
    });

    it('writes an audit entry for every transition', async () => {
      const e = effect('<m1@x>', 'a@x.gov.uk');
      await enqueue(store, [e], T0);
      const id = (await store.getEffect(e.key))?.id ?? -1;
      await store.claimDue(T0, 1);
      await store.markAttemptFailed(id, T0, { error: 'connection refused', retryAt: T1 });
      await store.claimDue(T1, 1);
      await store.markDone(id, T1, 'Done: nudge to a@x.gov.uk.');
      const trail = (await store.listAudit({ effectKey: e.key })).map((a) => [a.fromState ?? null, a.toState]);
      expect(trail).toEqual([
        [null, 'pending'],
        ['pending', 'sending'],
        ['sending', 'pending'],
        ['pending', 'sending'],
        ['sending', 'done'],
      ]);
      expect((await store.listAudit({ effectKey: e.key }))[2]?.outcome).toContain('connection refused');
    });

    it('marks digest effects done only when a digest lists them, and never claims them', async () => {
      const key = effectKey({ rule: 'no-blind-copies', itemKey: '<m1@x>', recipient: '', kind: 'digest' });
      const digestEffect: NewEffect = { ...effect('<m1@x>', ''), key, kind: 'digest' };
      await enqueue(store, [digestEffect], T0);
      expect(await store.claimDue(T1, 10)).toEqual([]);
      const id = (await store.getEffect(key))?.id ?? -1;
      expect(await store.markDigested([id, 999], T1, '2026-01-15')).toBe(1);
      expect(await store.getEffect(key)).toMatchObject({ state: 'done', doneAt: T1 });
      expect(await store.markDigested([id], T1, '2026-01-15')).toBe(0);
    });
  });

  describe('cursors, digests, problems and source health', () => {
    it('keeps connector cursors per source and key', async () => {
      expect(await store.getCursor('imap', 'inbox')).toBeUndefined();
      await store.setCursor('imap', 'inbox', '1:100');
      await store.setCursor('imap', 'inbox', '1:120');
      await store.setCursor('imap', 'sent', '1:7');
      expect(await store.getCursor('imap', 'inbox')).toBe('1:120');
      expect(await store.getCursor('imap', 'sent')).toBe('1:7');
      expect(await store.getCursor('graph', 'inbox')).toBeUndefined();
    });

    it('records one digest per date', async () => {
      expect(await store.digestSent('2026-01-14')).toBe(false);
      expect(await store.recordDigest('2026-01-14', '<d1@x>', T0)).toBe(true);
      expect(await store.recordDigest('2026-01-14', '<d2@x>', T1)).toBe(false);
      expect(await store.digestSent('2026-01-14')).toBe(true);
      expect(await store.getDigest('2026-01-14')).toEqual({ date: '2026-01-14', messageId: '<d1@x>', sentAt: T0 });
    });

    it('quarantines unreadable items, counting repeats, until cleared', async () => {
      await store.recordProblem({ origin: 'mail/sam/inbox/1.eml', kind: 'mail', reason: 'no headers' }, T0);
      await store.recordProblem({ origin: 'mail/sam/inbox/1.eml', kind: 'mail', reason: 'no headers at all' }, T1);
      await store.recordProblem({ origin: 'calendars/x/2.ics', kind: 'calendar', reason: 'no VEVENT' }, T1);
      expect(await store.listProblems()).toEqual([
        { origin: 'mail/sam/inbox/1.eml', kind: 'mail', reason: 'no headers at all', severity: 'error', firstSeen: T0, lastSeen: T1, count: 2 },
        { origin: 'calendars/x/2.ics', kind: 'calendar', reason: 'no VEVENT', severity: 'error', firstSeen: T1, lastSeen: T1, count: 1 },
      ]);
      await store.clearProblem('mail/sam/inbox/1.eml');
      expect((await store.listProblems()).map((p) => p.origin)).toEqual(['calendars/x/2.ics']);
    });

    it('keeps whether a file could not be read or was read with a warning, and never lets a warning hide an error', async () => {
      const duplicate = 'Event "Planning Committee" (UID pc-2027-04@millbrook-tc.gov.uk) appears more than once in this calendar; both copies have SEQUENCE 0, so the later one in the file was used.';
      await store.recordProblem({ origin: 'calendars/council-events/april.ics', kind: 'calendar', reason: duplicate, severity: 'warning' }, T0);
      expect(await store.listProblems()).toMatchObject([{ origin: 'calendars/council-events/april.ics', reason: duplicate, severity: 'warning' }]);
      const notRead = 'Event "Ward surgery" (UID ws-1@millbrook-tc.gov.uk) was not read: it has no start date (DTSTART).';
      await store.recordProblem({ origin: 'calendars/council-events/april.ics', kind: 'calendar', reason: notRead }, T1);
      await store.recordProblem({ origin: 'calendars/council-events/april.ics', kind: 'calendar', reason: duplicate, severity: 'warning' }, T1);
      expect(await store.listProblems()).toEqual([
        { origin: 'calendars/council-events/april.ics', kind: 'calendar', reason: notRead, severity: 'error', firstSeen: T0, lastSeen: T1, count: 3 },
      ]);
    });

    it('keeps the last success and last error of each source', async () => {
      await store.recordSourceSuccess('imap', T0);
      await store.recordSourceError('imap', T1, 'The server refused the password.');
      await store.recordSourceError('graph', T0, 'Token expired.');
      expect(await store.listSourceHealth()).toEqual([
        { source: 'graph', lastError: { at: T0, message: 'Token expired.' } },
        { source: 'imap', lastSuccess: T0, lastError: { at: T1, message: 'The server refused the password.' } },
      ]);
    });
  });

  it('keeps everything across a re-open', async () => {
    const f = finding({ itemKey: '<m1@x>', actions: [] });
    await recordEvaluation(store, { item: { key: '<m1@x>', contentHash: 'h1' }, findings: [f], effects: [effect('<m1@x>', 'a@x.gov.uk')], now: T0 });
    await store.setCursor('folder', 'mail', 'x');
    await store.close();
    const again = bench.store();
    expect(await again.checkSeen('<m1@x>', 'h1')).toBe('unchanged');
    expect((await again.getFindings('<m1@x>'))[0]?.finding).toEqual(f);
    expect(await again.listEffects({ states: ['pending'] })).toHaveLength(1);
    expect(await again.getCursor('folder', 'mail')).toBe('x');
  });
});
