/**
 * The store contract: what every store adapter must do, whatever keeps the records (SQLite today,
 * PostgreSQL next). An adapter's test calls `describeStoreContract` with a factory; the factory
 * opens a fresh, empty store, and — when the adapter can share one database between connections
 * — further connections to that same database, for the tests of two workers at once.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { enqueue, recordEvaluation } from '../../../src/outbox/enqueue.js';
import { effectKey, effectMessageId } from '../../../src/outbox/idempotency.js';
import { DAILY_SUMMARY_RULE, type NewEffect, type RetentionCutoffs, type Store } from '../../../src/store/types.js';
import { finding } from '../../outbox/fixtures.js';

export interface StoreFixture {
  /** The store under test: fresh and empty. */
  store: Store;
  /** Another connection to the same database, or undefined when the adapter cannot share one (SQLite's :memory:). */
  connect?: () => Store;
  /** Close everything opened and remove what the fixture made. */
  dispose: () => Promise<void>;
}

const T0 = '2026-03-02T09:00:00.000Z';
const T1 = '2026-03-02T10:00:00.000Z';
const T2 = '2026-03-02T11:00:00.000Z';
const SAM = 'sam.patel@millbrook-tc.gov.uk';
const TOM = 'tom.baker@millbrook-tc.gov.uk';

function nudge(itemKey: string, recipient: string = SAM, notBefore: string = T0): NewEffect {
  const key = effectKey({ rule: 'no-blind-copies', itemKey, recipient, kind: 'nudge' });
  return {
    key,
    kind: 'nudge',
    rule: 'no-blind-copies',
    itemKey,
    recipient,
    payload: { summary: `A member was copied blind on ${itemKey}.`, clauses: ['12.1'] },
    messageId: effectMessageId(key, 'millbrook-tc.gov.uk'),
    notBefore,
  };
}

function capped(itemKey: string, limit: number): NewEffect {
  const summaryKey = effectKey({ rule: DAILY_SUMMARY_RULE, itemKey: '2026-03-02', recipient: SAM, kind: 'nudge' });
  return {
    ...nudge(itemKey),
    cap: {
      person: SAM,
      day: '2026-03-02',
      limit,
      summary: {
        key: summaryKey,
        kind: 'nudge',
        rule: DAILY_SUMMARY_RULE,
        itemKey: '2026-03-02',
        recipient: SAM,
        payload: { summary: 'Your daily summary', clauses: [] },
        messageId: effectMessageId(summaryKey, 'millbrook-tc.gov.uk'),
        notBefore: T2,
      },
    },
  };
}

const ALL_KEPT: RetentionCutoffs = { originals: T0, items: T0, findings: T0, effects: T0, audit: T0, digests: '2026-03-01' };

/**
 * `shared`: the adapter can open a second connection to the same database (SQLite's :memory:
 * cannot), so the test of two workers claiming at once is part of its contract.
 */
export function describeStoreContract(name: string, makeStore: () => StoreFixture, options: { shared: boolean }): void {
  describe(`the store contract: ${name}`, () => {
    let fixture: StoreFixture;
    let store: Store;
    beforeEach(() => {
      fixture = makeStore();
      store = fixture.store;
    });
    afterEach(async () => await fixture.dispose());

    it('tells new, unchanged and changed items apart, and only markSeen remembers', async () => {
      expect(await store.checkSeen('<agenda-1@millbrook-tc.gov.uk>', 'h1')).toBe('new');
      expect(await store.checkSeen('<agenda-1@millbrook-tc.gov.uk>', 'h1')).toBe('new');
      expect(await store.markSeen('<agenda-1@millbrook-tc.gov.uk>', 'h1', T0)).toBe('new');
      expect(await store.markSeen('<agenda-1@millbrook-tc.gov.uk>', 'h1', T1)).toBe('unchanged');
      expect(await store.checkSeen('<agenda-1@millbrook-tc.gov.uk>', 'h2')).toBe('changed');
      expect(await store.markSeen('<agenda-1@millbrook-tc.gov.uk>', 'h2', T1)).toBe('changed');
      expect(await store.checkSeen('<agenda-1@millbrook-tc.gov.uk>', 'h2')).toBe('unchanged');
    });

    it('replaces an item’s findings: new ones added, changed ones updated, the rest removed', async () => {
      const key = '<hedge-2@millbrook-tc.gov.uk>';
      const first = finding({ itemKey: key, actions: [], summary: 'first' });
      const second = finding({ itemKey: key, actions: [], summary: 'second' });
      await store.replaceFindings(key, [first, second], T0);
      expect((await store.getFindings(key)).map((f) => [f.seq, f.finding.summary])).toEqual([
        [0, 'first'],
        [1, 'second'],
      ]);
      await store.replaceFindings(key, [{ ...first, summary: 'first, revised' }], T1);
      const now = await store.getFindings(key, 'no-blind-copies');
      expect(now.map((f) => [f.seq, f.finding.summary, f.firstSeen, f.updatedAt])).toEqual([[0, 'first, revised', T0, T1]]);
      expect((await store.listFindings({ since: T1 })).map((f) => f.itemKey)).toEqual([key]);
      expect(await store.listFindings({ since: T2 })).toEqual([]);
    });

    it('records an evaluation in one transaction, and nothing of it when a part fails', async () => {
      const key = '<budget-3@millbrook-tc.gov.uk>';
      const out = await recordEvaluation(store, { item: { key, contentHash: 'h1' }, findings: [finding({ itemKey: key, actions: [] })], effects: [nudge(key)], now: T0 });
      expect(out).toEqual({ seen: 'new', effects: [{ key: nudge(key).key, outcome: 'enqueued' }] });

      const other = '<budget-4@millbrook-tc.gov.uk>';
      const circular: NewEffect['payload'] & { self?: unknown } = { summary: 's', clauses: [] };
      circular.self = circular;
      await expect(
        recordEvaluation(store, { item: { key: other, contentHash: 'h1' }, findings: [], effects: [nudge(other), { ...nudge(other, TOM), payload: circular }], now: T0 }),
      ).rejects.toThrow();
      expect(await store.checkSeen(other, 'h1')).toBe('new');
      expect(await store.listEffects({ itemKey: other })).toEqual([]);
    });

    it('keeps one effect per key: the same key enqueued twice (or at once) is a duplicate', async () => {
      const e = nudge('<minutes-5@millbrook-tc.gov.uk>');
      expect(await enqueue(store, [e], T0)).toEqual([{ key: e.key, outcome: 'enqueued' }]);
      expect(await enqueue(store, [e, e], T1)).toEqual([
        { key: e.key, outcome: 'duplicate' },
        { key: e.key, outcome: 'duplicate' },
      ]);
      const [a, b] = await Promise.all([await enqueue(store, [nudge('<x@millbrook-tc.gov.uk>')], T0), await enqueue(store, [nudge('<x@millbrook-tc.gov.uk>')], T0)]);
      expect([a?.[0]?.outcome, b?.[0]?.outcome].sort()).toEqual(['duplicate', 'enqueued']);
      expect(await store.listEffects()).toHaveLength(2);
      expect((await store.listAudit({ effectKey: e.key })).map((x) => x.toState)).toEqual(['pending']);
    });

    it('records a dry run as skipped, and folds what is over the daily cap into the day’s summary', async () => {
      expect(await enqueue(store, [nudge('<dry@millbrook-tc.gov.uk>')], T0, { dryRun: true })).toEqual([{ key: nudge('<dry@millbrook-tc.gov.uk>').key, outcome: 'skipped-dry-run' }]);
      expect(await store.claimDue(T2, 10)).toEqual([]);

      const [one, two] = await enqueue(store, [capped('<cap-1@millbrook-tc.gov.uk>', 1), capped('<cap-2@millbrook-tc.gov.uk>', 1)], T0);
      expect(one?.outcome).toBe('enqueued');
      expect(two?.outcome).toBe('folded');
      const summary = await store.getEffect(two?.summaryKey ?? '');
      expect(summary).toMatchObject({ rule: DAILY_SUMMARY_RULE, state: 'pending', person: SAM, capDay: '2026-03-02', nextAttemptAt: T2 });
      expect((await store.listEffects({ foldedInto: summary?.key ?? '' })).map((e) => e.itemKey)).toEqual(['<cap-2@millbrook-tc.gov.uk>']);
      expect(await store.countCapped(SAM, '2026-03-02', ['pending'])).toBe(1);
    });

    it('moves an effect through claim, failure, retry, done — each step once, each step audited', async () => {
      const e = nudge('<claim-1@millbrook-tc.gov.uk>');
      await enqueue(store, [e, nudge('<later@millbrook-tc.gov.uk>', SAM, T2)], T0);
      const [claimed, ...rest] = await store.claimDue(T1, 10);
      expect(rest).toEqual([]);
      expect(claimed).toMatchObject({ key: e.key, state: 'sending', attempts: 1, lastAttemptAt: T1 });
      const id = claimed?.id ?? -1;
      expect(await store.claimDue(T1, 10)).toEqual([]);
      expect(await store.markAttemptFailed(id, T1, { error: 'connection refused', retryAt: T2 })).toBe(true);
      expect(await store.getEffect(e.key)).toMatchObject({ state: 'pending', nextAttemptAt: T2, lastError: 'connection refused' });
      expect(await store.markDone(id, T1, 'sent')).toBe(false);
      expect((await store.claimDue(T2, 10)).map((r) => [r.key, r.attempts])).toContainEqual([e.key, 2]);
      expect(await store.markDone(id, T2, 'Sent.')).toBe(true);
      expect(await store.markDone(id, T2, 'Sent.')).toBe(false);
      expect(await store.getEffect(e.key)).toMatchObject({ state: 'done', doneAt: T2 });
      expect((await store.listAudit({ effectKey: e.key })).map((a) => [a.fromState ?? null, a.toState])).toEqual([
        [null, 'pending'],
        ['pending', 'sending'],
        ['sending', 'pending'],
        ['pending', 'sending'],
        ['sending', 'done'],
      ]);
    });

    it('gives up, requeues, holds in doubt, releases and drops only from the right states', async () => {
      const [a, b, c] = [nudge('<a@millbrook-tc.gov.uk>'), nudge('<b@millbrook-tc.gov.uk>'), nudge('<c@millbrook-tc.gov.uk>')];
      await enqueue(store, [a, b, c], T0);
      const claimed = await store.claimDue(T0, 10);
      const idOf = (key: string): number => claimed.find((r) => r.key === key)?.id ?? -1;
      expect(await store.markAttemptFailed(idOf(a.key), T1, { error: 'template broken', local: true })).toBe(true);
      expect(await store.getEffect(a.key)).toMatchObject({ state: 'failed', localFault: true });
      expect(await store.releaseInDoubt(idOf(a.key), T1, 'no')).toBe(false);
      expect(await store.requeueFailed(idOf(a.key), T1, T2, 'Fixed; queued again.')).toBe(true);
      expect(await store.getEffect(a.key)).toMatchObject({ state: 'pending', attempts: 0, nextAttemptAt: T2 });

      expect(await store.markInDoubt(idOf(b.key), T1, 'Caught mid-send.')).toBe(true);
      expect(await store.countOutboxEffects(['in-doubt'])).toBe(1);
      expect(await store.releaseInDoubt(idOf(b.key), T1, 'Released by the Clerk.')).toBe(true);
      expect(await store.getEffect(b.key)).toMatchObject({ state: 'pending', released: true, nextAttemptAt: T1 });

      expect(await store.markInDoubt(idOf(c.key), T1, 'Caught mid-send.')).toBe(true);
      expect(await store.dropInDoubt(idOf(c.key), T1, 'Dropped by the Clerk.')).toBe(true);
      expect(await store.dropInDoubt(idOf(c.key), T1, 'Dropped again.')).toBe(false);
      expect(await store.getEffect(c.key)).toMatchObject({ state: 'dropped', doneAt: T1 });
      expect(await store.returnToPending(idOf(c.key), T1, T2, 'no')).toBe(false);
    });

    it('keeps cursors and item memory apart, each overwritten in place', async () => {
      expect(await store.getCursor('imap', 'clerk@millbrook-tc.gov.uk/inbox')).toBeUndefined();
      await store.setCursor('imap', 'clerk@millbrook-tc.gov.uk/inbox', '1700000000:41');
      await store.setCursor('imap', 'clerk@millbrook-tc.gov.uk/inbox', '1700000000:42');
      expect(await store.getCursor('imap', 'clerk@millbrook-tc.gov.uk/inbox')).toBe('1700000000:42');
      await store.setItemMemory('mail', '<m@millbrook-tc.gov.uk>', '{"kind":"mail"}', T0);
      await store.setItemMemory('mail', '<m@millbrook-tc.gov.uk>', '{"kind":"mail","v":2}', T1);
      expect(await store.getItemMemory('mail', '<m@millbrook-tc.gov.uk>')).toBe('{"kind":"mail","v":2}');
      expect(await store.getItemMemory('event', '<m@millbrook-tc.gov.uk>')).toBeUndefined();
      expect(await store.getCursor('mail', '<m@millbrook-tc.gov.uk>')).toBeUndefined();
    });

    it('records each day’s digest once, and holds a digest caught mid-send in doubt', async () => {
      expect(await store.recordDigest('2026-03-01', '<d1@millbrook-tc.gov.uk>', T0)).toBe(true);
      expect(await store.recordDigest('2026-03-01', '<d1-again@millbrook-tc.gov.uk>', T1)).toBe(false);
      expect(await store.recordDigest('2026-03-02', '<d2@millbrook-tc.gov.uk>', T1)).toBe(true);
      expect(await store.digestSent('2026-03-01')).toBe(true);
      expect(await store.getDigest('2026-03-01')).toEqual({ date: '2026-03-01', messageId: '<d1@millbrook-tc.gov.uk>', sentAt: T0 });
      expect((await store.lastDigest())?.date).toBe('2026-03-02');
      expect((await store.lastDigest('2026-03-02'))?.date).toBe('2026-03-01');

      await store.recordDigestAttempt({ date: '2026-03-03', messageId: '<d3@millbrook-tc.gov.uk>', since: T1, until: T2, startedAt: T2 });
      expect(await store.getDigestAttempt('2026-03-03')).toEqual({ date: '2026-03-03', messageId: '<d3@millbrook-tc.gov.uk>', since: T1, until: T2, startedAt: T2 });
      await store.markDigestInDoubt('2026-03-03', T2);
      expect(await store.listDigestsInDoubt()).toEqual([{ date: '2026-03-03', messageId: '<d3@millbrook-tc.gov.uk>', since: T2 }]);
      await store.clearDigestAttempt('2026-03-03');
      expect(await store.listDigestsInDoubt()).toEqual([]);
    });

    it('counts repeated problems and needs-a-human notices, keeps the worse severity, and clears them', async () => {
      await store.recordProblem({ origin: 'mail/clerk/broken.eml', kind: 'mail', reason: 'no headers' }, T0);
      await store.recordProblem({ origin: 'mail/clerk/broken.eml', kind: 'mail', reason: 'odd date', severity: 'warning' }, T1);
      expect(await store.listProblems()).toEqual([
        { origin: 'mail/clerk/broken.eml', kind: 'mail', reason: 'no headers', severity: 'error', firstSeen: T0, lastSeen: T1, count: 2 },
      ]);
      await store.clearProblem('mail/clerk/broken.eml');
      expect(await store.listProblems()).toEqual([]);

      await store.recordNeedsHuman('<ward@millbrook-tc.gov.uk>', 'ward-member-copied', 'Which ward is Castle Street in?', T0);
      await store.recordNeedsHuman('<ward@millbrook-tc.gov.uk>', 'ward-member-copied', 'Which ward is Castle Street in?', T1);
      expect(await store.listNeedsHuman(T1)).toMatchObject([{ itemKey: '<ward@millbrook-tc.gov.uk>', rule: 'ward-member-copied', count: 2 }]);
      await store.clearNeedsHuman('<ward@millbrook-tc.gov.uk>');
      expect(await store.listNeedsHuman()).toEqual([]);

      await store.recordSourceSuccess('imap', T0);
      await store.recordSourceError('imap', T1, 'login refused');
      expect(await store.listSourceHealth()).toEqual([{ source: 'imap', lastSuccess: T0, lastError: { at: T1, message: 'login refused' } }]);
    });

    it('prunes what is past its period, never what an effect still needs, and remembers pruned effects', async () => {
      const done = nudge('<old@millbrook-tc.gov.uk>');
      const waiting = nudge('<open@millbrook-tc.gov.uk>', TOM, '2026-04-01T09:00:00.000Z');
      await recordEvaluation(store, { item: { key: done.itemKey, contentHash: 'h' }, findings: [], effects: [done], now: T0 });
      await recordEvaluation(store, { item: { key: waiting.itemKey, contentHash: 'h' }, findings: [], effects: [waiting], now: T0 });
      const [claimed] = await store.claimDue(T0, 10);
      await store.markDone(claimed?.id ?? -1, T0, 'Sent.');

      const later = '2026-06-01T00:00:00.000Z';
      const cutoffs: RetentionCutoffs = { ...ALL_KEPT, items: later, effects: later, audit: T0, findings: later, originals: later };
      const counted = await store.prune(cutoffs, later, { dryRun: true });
      expect(counted).toMatchObject({ seenItems: 1, effects: 1 });
      expect(await store.getEffect(done.key)).toBeDefined();

      expect(await store.prune(cutoffs, later)).toEqual(counted);
      expect(await store.getEffect(done.key)).toBeUndefined();
      expect(await store.getEffect(waiting.key)).toMatchObject({ state: 'pending' });
      expect(await store.checkSeen(done.itemKey, 'h')).toBe('unchanged');
      expect(await store.effectKnown(done.key)).toBe(true);
      expect(await enqueue(store, [done], later)).toEqual([{ key: done.key, outcome: 'duplicate' }]);
    });

    it('commits a transaction whole or not at all, and keeps other callers out until it ends', async () => {
      await expect(
        store.transaction(async (tx) => {
          await tx.setCursor('folder', 'a', '1');
          throw new Error('the rest could not be stored');
        }),
      ).rejects.toThrow(/could not be stored/);
      expect(await store.getCursor('folder', 'a')).toBeUndefined();

      const order: string[] = [];
      let inside!: () => void;
      const entered = new Promise<void>((resolve) => (inside = resolve));
      const tx = await store.transaction(async (t) => {
        await t.setCursor('folder', 'b', 'in the transaction');
        inside();
        await new Promise((resolve) => setTimeout(resolve, 20));
        order.push('transaction read');
        const seen = await t.getCursor('folder', 'b');
        await store.transaction(async (nested) => await nested.setCursor('folder', 'c', 'nested'));
        return seen;
      });
      await entered;
      const outside = store.setCursor('folder', 'b', 'from outside').then(() => order.push('outside write'));
      expect(await tx).toBe('in the transaction');
      await outside;
      expect(order).toEqual(['transaction read', 'outside write']);
      expect(await store.getCursor('folder', 'b')).toBe('from outside');
      expect(await store.getCursor('folder', 'c')).toBe('nested');
    });

    if (options.shared) it('gives each effect to exactly one of two workers claiming at once', async () => {
      if (fixture.connect === undefined) throw new Error(`${name} says it can share its database, but its fixture has no connect()`);
      const other = fixture.connect();
      const effects = Array.from({ length: 60 }, (_, n) => nudge(`<claim-${n}@millbrook-tc.gov.uk>`, n % 2 === 0 ? SAM : TOM));
      await enqueue(store, effects, T0);
      const claims = new Map<string, number>();
      const worker = async (w: Store): Promise<void> => {
        for (;;) {
          const got = await w.claimDue(T1, 3);
          if (got.length === 0) return;
          for (const row of got) claims.set(row.key, (claims.get(row.key) ?? 0) + 1);
          await new Promise((resolve) => setImmediate(resolve));
        }
      };
      await Promise.all([worker(store), worker(other), worker(store), worker(other)]);
      expect(claims.size).toBe(effects.length);
      expect([...claims.values()].every((n) => n === 1)).toBe(true);
      const rows = await other.listEffects();
      expect(rows.every((r) => r.state === 'sending' && r.attempts === 1)).toBe(true);
      expect((await store.listAudit()).filter((a) => a.toState === 'sending')).toHaveLength(effects.length);
    });
  });
}
