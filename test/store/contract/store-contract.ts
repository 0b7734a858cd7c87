/**
 * The store contract: what every store adapter must do, whatever keeps the records (SQLite today,
 * PostgreSQL next). An adapter's test calls `describeStoreContract` with a factory; the factory
 * opens a fresh, empty store, and — when the adapter can share one database between connections
 * — further connections to that same database, for the tests of two workers at once.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { enqueue, recordEvaluation } from '../../../src/outbox/enqueue.js';
import { effectKey, effectMessageId } from '../../../src/outbox/idempotency.js';
import {
  DAILY_SUMMARY_RULE,
  type ConsoleSession,
  type EffectRow,
  type NewEffect,
  type Repositories,
  type RetentionCutoffs,
  type Store,
} from '../../../src/store/types.js';
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

/** Record an effect held for the Clerk's approval, as the outbox does under `review: true`. */
async function hold(store: Repositories, effect: NewEffect, now: string = T0): Promise<EffectRow> {
  return await store.insertEffect({ ...effect, review: true }, now, { state: 'awaiting-review', outcome: 'Held for the Clerk’s approval.' });
}

function session(idHash: string, username: string, expiresAt: string, absoluteExpiresAt: string): ConsoleSession {
  return { idHash, username, csrfToken: `csrf-${idHash}`, createdAt: T0, lastSeenAt: T0, expiresAt, absoluteExpiresAt };
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

    it('holds an effect for review: never claimed, counted against a cap only when asked, counted in the outbox', async () => {
      const held = await hold(store, capped('<held-1@millbrook-tc.gov.uk>', 5));
      expect(held).toMatchObject({ state: 'awaiting-review', person: SAM, capDay: '2026-03-02', attempts: 0 });
      expect(held).not.toHaveProperty('coverText');
      expect(await store.claimDue(T2, 10)).toEqual([]);
      expect(await store.countCapped(SAM, '2026-03-02', ['pending', 'sending', 'done', 'failed'])).toBe(0);
      expect(await store.countCapped(SAM, '2026-03-02', ['awaiting-review'])).toBe(1);
      expect(await store.countOutboxEffects(['awaiting-review'])).toBe(1);
      expect(await store.countOutboxEffects(['pending'])).toBe(0);
      expect(await store.oldestOutboxEffectDue('pending', T2)).toBeUndefined();
      expect((await store.listEffects({ states: ['awaiting-review'] })).map((e) => e.key)).toEqual([held.key]);
      expect((await store.listAudit({ effectKey: held.key })).map((a) => [a.fromState ?? null, a.toState, a.actor ?? null])).toEqual([
        [null, 'awaiting-review', null],
      ]);
    });

    it('approves an effect awaiting review once: a second approval, or one of an effect not awaiting review, changes nothing', async () => {
      const held = await hold(store, nudge('<approve-1@millbrook-tc.gov.uk>'));
      const results = await Promise.all([
        store.approveEffect(held.id, T1, T1, { actor: 'alice', outcome: 'Approved by alice.', coverText: 'With apologies for the short notice.' }),
        store.approveEffect(held.id, T1, T2, { actor: 'bob', outcome: 'Approved by bob.', coverText: 'Bob’s words.' }),
      ]);
      expect(results.filter((r) => r)).toHaveLength(1);
      expect(await store.getEffect(held.key)).toMatchObject({ state: 'pending', nextAttemptAt: T1, coverText: 'With apologies for the short notice.' });
      expect(await store.approveEffect(held.id, T2, T2, { actor: 'alice', outcome: 'Approved again.' })).toBe(false);
      expect(await store.approveEffect(9_999_999, T2, T2, { actor: 'alice', outcome: 'No such effect.' })).toBe(false);
      expect((await store.listAudit({ effectKey: held.key })).map((a) => [a.fromState ?? null, a.toState, a.actor ?? null, a.outcome])).toEqual([
        [null, 'awaiting-review', null, 'Held for the Clerk’s approval.'],
        ['awaiting-review', 'pending', 'alice', 'Approved by alice.'],
      ]);

      const [claimed] = await store.claimDue(T1, 10);
      expect(claimed).toMatchObject({ key: held.key, state: 'sending', attempts: 1, coverText: 'With apologies for the short notice.' });
      expect(await store.approveEffect(claimed?.id ?? -1, T1, T1, { actor: 'alice', outcome: 'Approved while being sent.' })).toBe(false);

      const plain = await hold(store, nudge('<approve-2@millbrook-tc.gov.uk>'));
      expect(await store.approveEffect(plain.id, T1, T2, { actor: 'alice', outcome: 'Approved by alice.' })).toBe(true);
      expect(await store.getEffect(plain.key)).not.toHaveProperty('coverText');
    });

    it('approves an effect into the place the outbox policy chose under the daily cap: counted when pending, carried by the summary when folded', async () => {
      const [a, b, c] = [
        await hold(store, nudge('<place-a@millbrook-tc.gov.uk>')),
        await hold(store, nudge('<place-b@millbrook-tc.gov.uk>')),
        await hold(store, nudge('<place-c@millbrook-tc.gov.uk>')),
      ];
      const summary = capped('<place-a@millbrook-tc.gov.uk>', 1).cap?.summary;
      if (summary === undefined) throw new Error('no summary');
      await store.insertEffect(summary, T1, { state: 'pending', outcome: 'Opened the daily summary.', person: SAM, day: '2026-03-02' });

      expect(await store.approveEffect(a.id, T1, T1, { actor: 'alice', outcome: 'Approved by alice.', placement: { state: 'pending', person: SAM, day: '2026-03-02' } })).toBe(true);
      expect(
        await store.approveEffect(b.id, T1, T1, { actor: 'alice', outcome: 'Approved by alice: in the summary.', placement: { state: 'folded', person: SAM, day: '2026-03-02', foldedInto: summary.key } }),
      ).toBe(true);
      expect(await store.approveEffect(c.id, T1, T2, { actor: 'alice', outcome: 'Approved by alice.' })).toBe(true);

      expect(await store.getEffect(a.key)).toMatchObject({ state: 'pending', person: SAM, capDay: '2026-03-02', nextAttemptAt: T1 });
      expect(await store.getEffect(a.key)).not.toHaveProperty('foldedInto');
      expect(await store.getEffect(b.key)).toMatchObject({ state: 'folded', person: SAM, capDay: '2026-03-02', foldedInto: summary.key });
      const uncapped = await store.getEffect(c.key);
      expect(uncapped).toMatchObject({ state: 'pending', nextAttemptAt: T2 });
      expect(uncapped).not.toHaveProperty('person');
      expect(await store.countCapped(SAM, '2026-03-02', ['pending', 'sending', 'done', 'failed'])).toBe(1);
      expect((await store.listEffects({ foldedInto: summary.key, states: ['folded'] })).map((e) => e.key)).toEqual([b.key]);
      expect((await store.listAudit({ effectKey: b.key })).at(-1)).toMatchObject({ fromState: 'awaiting-review', toState: 'folded', actor: 'alice', outcome: 'Approved by alice: in the summary.' });
      // Folded, it is not claimed on its own.
      expect((await store.claimDue(T2, 10)).map((e) => e.key).sort()).toEqual([a.key, c.key, summary.key].sort());
    });

    it('sets and clears the cover text only while the effect awaits review, each change audited with its author', async () => {
      const held = await hold(store, nudge('<cover-1@millbrook-tc.gov.uk>'));
      expect(await store.setCoverText(held.id, T1, 'Please see the note below.', { actor: 'alice', outcome: 'Cover text set by alice.' })).toBe(true);
      expect(await store.getEffect(held.key)).toMatchObject({ state: 'awaiting-review', coverText: 'Please see the note below.' });
      expect(await store.setCoverText(held.id, T1, undefined, { actor: 'bob', outcome: 'Cover text removed by bob.' })).toBe(true);
      const cleared = await store.getEffect(held.key);
      expect(cleared?.state).toBe('awaiting-review');
      expect(cleared).not.toHaveProperty('coverText');
      expect(await store.setCoverText(held.id, T1, 'Kept after all.', { actor: 'alice', outcome: 'Cover text set by alice.' })).toBe(true);
      expect(await store.approveEffect(held.id, T2, T2, { actor: 'alice', outcome: 'Approved by alice.' })).toBe(true);
      expect(await store.getEffect(held.key)).toMatchObject({ state: 'pending', coverText: 'Kept after all.' });
      expect(await store.setCoverText(held.id, T2, 'Too late.', { actor: 'alice', outcome: 'Cover text set by alice.' })).toBe(false);
      expect((await store.getEffect(held.key))?.coverText).toBe('Kept after all.');
      expect((await store.listAudit({ effectKey: held.key })).map((a) => [a.toState, a.actor ?? null])).toEqual([
        ['awaiting-review', null],
        ['awaiting-review', 'alice'],
        ['awaiting-review', 'bob'],
        ['awaiting-review', 'alice'],
        ['pending', 'alice'],
      ]);
    });

    it('withdraws an effect awaiting review or pending at a person’s word, never one being sent or sent', async () => {
      const held = await hold(store, nudge('<withdraw-held@millbrook-tc.gov.uk>'));
      const [queued, sending, sent] = [
        nudge('<withdraw-queued@millbrook-tc.gov.uk>', SAM, T2),
        nudge('<withdraw-sending@millbrook-tc.gov.uk>'),
        nudge('<withdraw-sent@millbrook-tc.gov.uk>'),
      ];
      await enqueue(store, [queued, sending, sent], T0);
      const claimed = await store.claimDue(T1, 10);
      const idOf = (key: string): number => claimed.find((r) => r.key === key)?.id ?? -1;
      expect(await store.markDone(idOf(sent.key), T1, 'Sent.')).toBe(true);
      const queuedId = (await store.getEffect(queued.key))?.id ?? -1;

      const change = { actor: 'alice', outcome: 'Withdrawn by alice: the member apologised.' };
      expect(await store.withdrawEffect(held.id, T1, change)).toBe(true);
      expect(await store.withdrawEffect(queuedId, T1, change)).toBe(true);
      expect(await store.withdrawEffect(idOf(sending.key), T1, change)).toBe(false);
      expect(await store.withdrawEffect(idOf(sent.key), T1, change)).toBe(false);
      expect(await store.withdrawEffect(held.id, T2, change)).toBe(false);

      expect(await store.getEffect(held.key)).toMatchObject({ state: 'withdrawn', doneAt: T1 });
      expect((await store.getEffect(held.key))?.lastError).toContain('alice');
      expect(await store.getEffect(queued.key)).toMatchObject({ state: 'withdrawn', doneAt: T1 });
      expect(await store.getEffect(sending.key)).toMatchObject({ state: 'sending' });
      expect(await store.getEffect(sent.key)).toMatchObject({ state: 'done' });
      expect(await store.approveEffect(held.id, T2, T2, { actor: 'bob', outcome: 'Approved by bob.' })).toBe(false);
      expect((await store.listAudit({ effectKey: held.key })).at(-1)).toMatchObject({
        fromState: 'awaiting-review',
        toState: 'withdrawn',
        actor: 'alice',
        outcome: 'Withdrawn by alice: the member apologised.',
      });
      expect((await store.listAudit({ effectKey: queued.key })).at(-1)).toMatchObject({ fromState: 'pending', toState: 'withdrawn', actor: 'alice' });
    });

    it('keeps who withdrew an effect and why as its last error, and withdraws one folded into a summary', async () => {
      const held = await hold(store, nudge('<why-1@millbrook-tc.gov.uk>'));
      expect(await store.withdrawEffect(held.id, T1, { actor: 'alice', outcome: 'Withdrawn by alice.', reason: '  We spoke this morning ' })).toBe(true);
      expect(await store.getEffect(held.key)).toMatchObject({ state: 'withdrawn', lastError: 'by alice: We spoke this morning' });

      const over = capped('<why-2@millbrook-tc.gov.uk>', 0);
      expect(await enqueue(store, [over], T0)).toEqual([{ key: over.key, outcome: 'folded', summaryKey: over.cap?.summary.key }]);
      expect(await store.withdrawEffect((await store.getEffect(over.key))?.id ?? -1, T1, { actor: 'bob', outcome: 'Withdrawn by bob.' })).toBe(true);
      expect(await store.getEffect(over.key)).toMatchObject({ state: 'withdrawn', lastError: 'by bob', foldedInto: over.cap?.summary.key });
      expect(await store.listEffects({ foldedInto: over.cap?.summary.key ?? '', states: ['folded'] })).toEqual([]);
      expect((await store.listAudit({ effectKey: over.key })).at(-1)).toMatchObject({ fromState: 'folded', toState: 'withdrawn', actor: 'bob' });
    });

    it('withdraws a folded reminder only while its daily summary waits: not once the summary is being sent or has gone', async () => {
      const [first, second, third] = [capped('<gone-1@millbrook-tc.gov.uk>', 0), capped('<gone-2@millbrook-tc.gov.uk>', 0), capped('<gone-3@millbrook-tc.gov.uk>', 0)];
      await enqueue(store, [first, second, third], T0);
      const summaryKey = first.cap?.summary.key ?? '';
      const idOf = async (key: string): Promise<number> => (await store.getEffect(key))?.id ?? -1;
      const change = { actor: 'alice', outcome: 'Withdrawn by alice.' };
      // While the summary is pending, a reminder it carries can be withdrawn.
      expect(await store.withdrawEffect(await idOf(first.key), T1, change)).toBe(true);

      // Claimed for sending: the summary is being worded with the reminders it carries.
      expect((await store.claimDue(T2, 10)).map((e) => e.key)).toEqual([summaryKey]);
      expect(await store.withdrawEffect(await idOf(second.key), T2, change)).toBe(false);
      expect(await store.getEffect(second.key)).toMatchObject({ state: 'folded', foldedInto: summaryKey });

      // Sent: the reminders stay folded, and are not withdrawn after the event.
      expect(await store.markDone(await idOf(summaryKey), T2, 'Sent.')).toBe(true);
      expect(await store.withdrawEffect(await idOf(third.key), T2, change)).toBe(false);
      expect(await store.getEffect(third.key)).toMatchObject({ state: 'folded', foldedInto: summaryKey });
      expect((await store.listAudit({ effectKey: third.key })).map((a) => a.toState)).toEqual(['folded']);
      // Anything else still unsent is withdrawn as before.
      const held = await hold(store, nudge('<gone-held@millbrook-tc.gov.uk>'));
      expect(await store.withdrawEffect(held.id, T2, change)).toBe(true);
    });

    it('withdraws effects awaiting review with the pending ones when their item is removed at its source', async () => {
      const item = '<removed-1@millbrook-tc.gov.uk>';
      const held = await hold(store, nudge(item, SAM));
      await enqueue(store, [nudge(item, TOM, T2)], T0);
      const withdrawn = await store.withdrawEffects({ itemKey: item }, T1, 'because the message was deleted');
      expect(withdrawn.map((e) => [e.recipient, e.state, e.lastError])).toEqual([
        [SAM, 'withdrawn', 'because the message was deleted'],
        [TOM, 'withdrawn', 'because the message was deleted'],
      ]);
      expect((await store.listAudit({ effectKey: held.key })).at(-1)).toMatchObject({ fromState: 'awaiting-review', toState: 'withdrawn' });
      expect((await store.listAudit({ effectKey: held.key })).at(-1)).not.toHaveProperty('actor');
    });

    it('records who retried, released or dropped an effect, and no one when Wardwatch did it itself', async () => {
      const [a, b, c] = [nudge('<actor-a@millbrook-tc.gov.uk>'), nudge('<actor-b@millbrook-tc.gov.uk>'), nudge('<actor-c@millbrook-tc.gov.uk>')];
      await enqueue(store, [a, b, c], T0);
      const claimed = await store.claimDue(T0, 10);
      const idOf = (key: string): number => claimed.find((r) => r.key === key)?.id ?? -1;
      await store.markAttemptFailed(idOf(a.key), T1, { error: 'template broken', local: true });
      expect(await store.requeueFailed(idOf(a.key), T1, T2, 'Fixed; queued again.', 'cli:clerk')).toBe(true);
      await store.markInDoubt(idOf(b.key), T1, 'Caught mid-send.');
      expect(await store.releaseInDoubt(idOf(b.key), T1, 'Released by alice.', 'alice')).toBe(true);
      await store.markInDoubt(idOf(c.key), T1, 'Caught mid-send.');
      expect(await store.dropInDoubt(idOf(c.key), T1, 'Dropped by bob.', 'bob')).toBe(true);

      const last = async (key: string): Promise<[string, string | null]> => {
        const entry = (await store.listAudit({ effectKey: key })).at(-1);
        return [entry?.toState ?? '', entry?.actor ?? null];
      };
      expect(await last(a.key)).toEqual(['pending', 'cli:clerk']);
      expect(await last(b.key)).toEqual(['pending', 'alice']);
      expect(await last(c.key)).toEqual(['dropped', 'bob']);
      const automatic = (await store.listAudit({ effectKey: a.key })).filter((e) => e.toState === 'sending' || e.toState === 'failed');
      expect(automatic).toHaveLength(2);
      for (const entry of automatic) expect(entry).not.toHaveProperty('actor');
    });

    it('lists effects by rule, recipient (any case), creation time and id, newest first when asked', async () => {
      const tomNudge = nudge('<list-1@millbrook-tc.gov.uk>', 'Tom.Baker@Millbrook-TC.gov.uk');
      await enqueue(store, [nudge('<list-0@millbrook-tc.gov.uk>', SAM)], T0);
      await enqueue(store, [tomNudge], T1);
      await enqueue(store, [{ ...nudge('<list-2@millbrook-tc.gov.uk>', SAM), rule: 'officer-party-group-meeting' }], T2);
      const all = await store.listEffects();
      const ids = all.map((e) => e.id);
      expect(ids).toEqual([...ids].sort((x, y) => x - y));

      expect((await store.listEffects({ newestFirst: true })).map((e) => e.id)).toEqual([...ids].reverse());
      expect((await store.listEffects({ rule: 'officer-party-group-meeting' })).map((e) => e.itemKey)).toEqual(['<list-2@millbrook-tc.gov.uk>']);
      expect((await store.listEffects({ recipientContains: 'TOM.baker' })).map((e) => e.key)).toEqual([tomNudge.key]);
      expect((await store.listEffects({ recipientContains: 'millbrook-tc' })).map((e) => e.id)).toEqual(ids);
      expect(await store.listEffects({ recipientContains: 'nobody@' })).toEqual([]);
      expect((await store.listEffects({ createdBefore: T1 })).map((e) => e.itemKey)).toEqual(['<list-0@millbrook-tc.gov.uk>']);
      expect((await store.listEffects({ createdSince: T1, createdBefore: T2 })).map((e) => e.key)).toEqual([tomNudge.key]);

      // Read backwards page by page, as the console's history does.
      const first = await store.listEffects({ newestFirst: true, limit: 2 });
      expect(first.map((e) => e.id)).toEqual([ids[2], ids[1]]);
      const second = await store.listEffects({ newestFirst: true, limit: 2, beforeId: first.at(-1)?.id ?? 0 });
      expect(second.map((e) => e.id)).toEqual([ids[0]]);
      expect((await store.listEffects({ afterId: ids[0] ?? 0, beforeId: ids[2] ?? 0 })).map((e) => e.id)).toEqual([ids[1]]);
    });

    it('reads the audit log newest first and backwards page by page, within a period', async () => {
      const [a, b] = [nudge('<audit-a@millbrook-tc.gov.uk>'), nudge('<audit-b@millbrook-tc.gov.uk>')];
      await enqueue(store, [a], T0);
      await enqueue(store, [b], T1);
      for (const claimed of await store.claimDue(T2, 10)) await store.markDone(claimed.id, T2, 'Sent.');
      const all = await store.listAudit();
      expect(all.map((e) => [e.effectKey, e.toState])).toEqual([
        [a.key, 'pending'],
        [b.key, 'pending'],
        [a.key, 'sending'],
        [b.key, 'sending'],
        [a.key, 'done'],
        [b.key, 'done'],
      ]);
      const ids = all.map((e) => e.id);
      expect((await store.listAudit({ newestFirst: true })).map((e) => e.id)).toEqual([...ids].reverse());

      const pages: number[][] = [];
      let beforeId: number | undefined;
      for (;;) {
        const page = await store.listAudit({ newestFirst: true, limit: 4, ...(beforeId !== undefined ? { beforeId } : {}) });
        if (page.length === 0) break;
        pages.push(page.map((e) => e.id));
        beforeId = page.at(-1)?.id;
      }
      expect(pages).toEqual([ids.slice(2).reverse(), ids.slice(0, 2).reverse()]);
      expect((await store.listAudit({ since: T1, newestFirst: true, beforeId: ids[5] ?? 0 })).map((e) => e.id)).toEqual(ids.slice(1, 5).reverse());
      expect((await store.listAudit({ effectKey: a.key, newestFirst: true, limit: 1 })).map((e) => e.toState)).toEqual(['done']);
      expect((await store.listAudit({ beforeId: ids[2] ?? 0 })).map((e) => e.id)).toEqual(ids.slice(0, 2));
    });

    it('keeps each digest as it was sent, lists the archive newest first, and reads one without its words too', async () => {
      const content = {
        subject: 'Wardwatch digest for Monday 2 March 2026',
        text: 'Good morning,\n\nThree findings yesterday.\n',
        html: '<p>Good morning,</p><p>Three findings yesterday &amp; one authorised.</p>',
        recipients: ['clerk@millbrook-tc.gov.uk', 'deputy.clerk@millbrook-tc.gov.uk'],
      };
      expect(await store.recordDigest('2026-03-01', '<d1@millbrook-tc.gov.uk>', T0)).toBe(true);
      expect(await store.recordDigest('2026-03-02', '<d2@millbrook-tc.gov.uk>', T1, content)).toBe(true);
      expect(await store.recordDigest('2026-03-03', '<d3@millbrook-tc.gov.uk>', T2, { ...content, subject: 'Tuesday' })).toBe(true);
      expect(await store.recordDigest('2026-03-02', '<d2-again@millbrook-tc.gov.uk>', T2, { ...content, subject: 'Again' })).toBe(false);

      expect(await store.getDigest('2026-03-02')).toEqual({ date: '2026-03-02', messageId: '<d2@millbrook-tc.gov.uk>', sentAt: T1, content });
      expect(await store.getDigest('2026-03-01')).not.toHaveProperty('content');
      expect((await store.lastDigest())?.content?.subject).toBe('Tuesday');
      expect((await store.lastDigest('2026-03-03'))?.content).toEqual(content);

      expect((await store.listDigests()).map((d) => d.date)).toEqual(['2026-03-03', '2026-03-02', '2026-03-01']);
      expect((await store.listDigests({ limit: 2 })).map((d) => d.date)).toEqual(['2026-03-03', '2026-03-02']);
      expect((await store.listDigests({ before: '2026-03-03', limit: 1 })).map((d) => [d.date, d.content?.recipients])).toEqual([
        ['2026-03-02', content.recipients],
      ]);
    });

    it('settles a finding once: settling it again returns the first settlement and changes nothing', async () => {
      const item = '<settle-1@millbrook-tc.gov.uk>';
      const first = await store.settleFinding({ rule: 'no-blind-copies', itemKey: item, kind: 'dismissed', reason: 'The member asked to be copied blind.', actor: 'alice', at: T0 });
      expect(first).toMatchObject({ rule: 'no-blind-copies', itemKey: item, kind: 'dismissed', reason: 'The member asked to be copied blind.', actor: 'alice', at: T0 });
      expect(first).not.toHaveProperty('messageId');
      expect(first).not.toHaveProperty('exceptionId');
      const again = await store.settleFinding({ rule: 'no-blind-copies', itemKey: item, kind: 'dismissed', reason: 'Another reason.', actor: 'bob', at: T1 });
      expect(again).toEqual(first);

      const authorised = await store.settleFinding({
        rule: 'officer-party-group-meeting',
        itemKey: item,
        kind: 'authorised',
        messageId: 'authorisation-needed',
        reason: 'Authorised by the Clerk.',
        actor: 'alice',
        at: T1,
      });
      expect(authorised.messageId).toBe('authorisation-needed');
      expect(authorised.id).not.toBe(first.id);
      const whole = await store.settleFinding({ rule: 'officer-party-group-meeting', itemKey: item, kind: 'authorised', reason: 'Every finding.', actor: 'alice', at: T1 });
      expect(whole.id).not.toBe(authorised.id);
      expect(whole).not.toHaveProperty('messageId');
      expect(
        (await store.settleFinding({ rule: 'officer-party-group-meeting', itemKey: item, kind: 'authorised', messageId: 'authorisation-needed', reason: 'Twice.', actor: 'bob', at: T2 })).id,
      ).toBe(authorised.id);
      const excepted = await store.settleFinding({ rule: 'no-blind-copies', itemKey: '<settle-2@millbrook-tc.gov.uk>', kind: 'excepted', reason: 'Standing exception 3.', actor: 'alice', at: T2, exceptionId: 3 });
      expect(excepted.exceptionId).toBe(3);

      expect((await store.listSettlements()).map((x) => x.id)).toEqual([excepted.id, whole.id, authorised.id, first.id]);
      expect((await store.listSettlements({ itemKey: item, rule: 'no-blind-copies' })).map((x) => x.id)).toEqual([first.id]);
      expect((await store.listSettlements({ kind: 'authorised' })).map((x) => x.id)).toEqual([whole.id, authorised.id]);
      expect((await store.listSettlements({ since: T1, limit: 2 })).map((x) => x.id)).toEqual([excepted.id, whole.id]);
    });

    it('keeps standing exceptions lower-cased, in force until they expire or are revoked', async () => {
      const sender = await store.addException({
        match: 'sender',
        value: 'Press.Office@Millbrook-TC.gov.uk',
        reason: 'The press office copies members blind by arrangement.',
        actor: 'alice',
        createdAt: T0,
        expiresAt: T2,
      });
      expect(sender).toMatchObject({ match: 'sender', value: 'press.office@millbrook-tc.gov.uk', actor: 'alice', createdAt: T0, expiresAt: T2 });
      expect(sender).not.toHaveProperty('rule');
      expect(sender).not.toHaveProperty('revokedAt');
      const phrase = await store.addException({ rule: 'no-blind-copies', match: 'phrase', value: 'Quarterly Newsletter', reason: 'A newsletter.', actor: 'alice', createdAt: T1, expiresAt: '2026-04-01T00:00:00.000Z' });
      const domain = await store.addException({ match: 'recipient-domain', value: 'Example.ORG', reason: 'Our partners.', actor: 'bob', createdAt: T1, expiresAt: '2026-04-01T00:00:00.000Z' });
      expect(phrase).toMatchObject({ rule: 'no-blind-copies', value: 'quarterly newsletter' });
      expect(await store.getException(domain.id)).toEqual({ ...domain, value: 'example.org' });

      expect(await store.revokeException(domain.id, 'alice', T1)).toBe(true);
      expect(await store.revokeException(domain.id, 'bob', T2)).toBe(false);
      expect(await store.revokeException(9_999_999, 'bob', T2)).toBe(false);
      expect(await store.getException(domain.id)).toMatchObject({ revokedAt: T1, revokedBy: 'alice' });
      expect(await store.getException(9_999_999)).toBeUndefined();

      expect((await store.listExceptions()).map((x) => x.id)).toEqual([domain.id, phrase.id, sender.id]);
      expect((await store.listExceptions({ activeAt: T1 })).map((x) => x.id)).toEqual([phrase.id, sender.id]);
      // In force until `expiresAt`, not at it.
      expect((await store.listExceptions({ activeAt: T2 })).map((x) => x.id)).toEqual([phrase.id]);
      expect(await store.listExceptions({ activeAt: '2026-05-01T00:00:00.000Z' })).toEqual([]);
    });

    it('keeps console accounts by lower-cased name, replaces one put again, and ends its sessions when it is removed', async () => {
      await store.putUser({ username: 'Alice.Green@Millbrook-TC.gov.uk', displayName: 'Alice Green', role: 'clerk', passwordHash: 'scrypt$16384$8$1$c2FsdA==$aGFzaA==', createdAt: T0 });
      await store.putUser({ username: 'monitoring.officer@millbrook-tc.gov.uk', displayName: 'Monitoring Officer', role: 'viewer', createdAt: T0 });
      const alice = await store.getUser('ALICE.green@millbrook-tc.gov.uk');
      expect(alice).toEqual({ username: 'alice.green@millbrook-tc.gov.uk', displayName: 'Alice Green', role: 'clerk', passwordHash: 'scrypt$16384$8$1$c2FsdA==$aGFzaA==', createdAt: T0 });
      const viewer = await store.getUser('monitoring.officer@millbrook-tc.gov.uk');
      expect(viewer?.role).toBe('viewer');
      expect(viewer).not.toHaveProperty('passwordHash');
      expect(await store.getUser('nobody')).toBeUndefined();

      await store.putUser({ username: 'alice.green@millbrook-tc.gov.uk', displayName: 'Alice Green', role: 'viewer', createdAt: T1 });
      expect(await store.getUser('alice.green@millbrook-tc.gov.uk')).toEqual({ username: 'alice.green@millbrook-tc.gov.uk', displayName: 'Alice Green', role: 'viewer', createdAt: T1 });
      expect((await store.listUsers()).map((u) => u.username)).toEqual(['alice.green@millbrook-tc.gov.uk', 'monitoring.officer@millbrook-tc.gov.uk']);

      await store.createSession(session('a1', 'alice.green@millbrook-tc.gov.uk', T2, T2));
      await store.createSession(session('a2', 'Alice.Green@millbrook-tc.gov.uk', T2, T2));
      await store.createSession(session('m1', 'monitoring.officer@millbrook-tc.gov.uk', T2, T2));
      expect((await store.getSession('a2'))?.username).toBe('alice.green@millbrook-tc.gov.uk');
      expect(await store.removeUser('ALICE.GREEN@millbrook-tc.gov.uk')).toBe(true);
      expect(await store.removeUser('alice.green@millbrook-tc.gov.uk')).toBe(false);
      expect(await store.getUser('alice.green@millbrook-tc.gov.uk')).toBeUndefined();
      expect(await store.getSession('a1')).toBeUndefined();
      expect(await store.getSession('a2')).toBeUndefined();
      expect(await store.getSession('m1')).toBeDefined();
    });

    it('keeps sessions until they are ended, moves the idle expiry on, and ends those past either expiry', async () => {
      await store.putUser({ username: 'alice', displayName: 'Alice Green', role: 'clerk', createdAt: T0 });
      const live = session('live', 'alice', T2, '2026-03-02T21:00:00.000Z');
      await store.createSession(live);
      await store.createSession(session('idle', 'alice', T1, '2026-03-02T21:00:00.000Z'));
      await store.createSession(session('old', 'alice', '2026-03-02T23:00:00.000Z', T1));
      await store.createSession(session('gone', 'alice', T2, T2));
      expect(await store.getSession('live')).toEqual(live);
      expect(await store.getSession('nothing')).toBeUndefined();

      await store.touchSession('live', T1, '2026-03-02T12:00:00.000Z');
      expect(await store.getSession('live')).toEqual({ ...live, lastSeenAt: T1, expiresAt: '2026-03-02T12:00:00.000Z' });

      expect(await store.deleteExpiredSessions(T1)).toBe(2);
      expect(await store.getSession('idle')).toBeUndefined();
      expect(await store.getSession('old')).toBeUndefined();
      expect(await store.getSession('gone')).toBeDefined();
      expect(await store.deleteExpiredSessions(T1)).toBe(0);

      await store.deleteSession('gone');
      expect(await store.getSession('gone')).toBeUndefined();
      expect(await store.getSession('live')).toBeDefined();
      expect(await store.getUser('alice')).toBeDefined();
    });

    it('keeps what people did in the console, newest first, by person and time', async () => {
      await store.recordConsoleAction({ at: T0, actor: 'alice', action: 'sign-in', subject: 'alice', detail: 'Alice signed in.' });
      await store.recordConsoleAction({ at: T1, actor: 'bob', action: 'dismiss', subject: 'no-blind-copies on <x@millbrook-tc.gov.uk>', detail: 'Bob dismissed a finding.' });
      await store.recordConsoleAction({ at: T2, actor: 'alice', action: 'exception-added', subject: 'exception 1', detail: 'Alice added a standing exception.' });
      const all = await store.listConsoleActions();
      expect(all.map((e) => [e.actor, e.action])).toEqual([
        ['alice', 'exception-added'],
        ['bob', 'dismiss'],
        ['alice', 'sign-in'],
      ]);
      expect(all[1]).toMatchObject({ at: T1, subject: 'no-blind-copies on <x@millbrook-tc.gov.uk>', detail: 'Bob dismissed a finding.' });
      expect((await store.listConsoleActions({ actor: 'alice' })).map((e) => e.action)).toEqual(['exception-added', 'sign-in']);
      expect((await store.listConsoleActions({ since: T1 })).map((e) => e.action)).toEqual(['exception-added', 'dismiss']);
      expect((await store.listConsoleActions({ limit: 1 })).map((e) => e.action)).toEqual(['exception-added']);
    });

    it('keeps a settlement past the audit period while a finding it settles is kept', async () => {
      const kept = '<kept-finding@millbrook-tc.gov.uk>';
      const gone = '<gone-finding@millbrook-tc.gov.uk>';
      await store.replaceFindings(kept, [finding({ itemKey: kept, actions: [] })], T2);
      await store.replaceFindings(gone, [finding({ itemKey: gone, actions: [] })], T0);
      await store.replaceFindings('<other-rule@millbrook-tc.gov.uk>', [finding({ rule: 'requests-via-clerk', itemKey: '<other-rule@millbrook-tc.gov.uk>', actions: [] })], T2);
      for (const itemKey of [kept, gone, '<other-rule@millbrook-tc.gov.uk>']) {
        await store.settleFinding({ rule: 'no-blind-copies', itemKey, kind: 'dismissed', reason: 'Not a breach.', actor: 'alice', at: T0 });
      }
      // Findings are kept from T1 on, the audit (and settlements) from T2 on: the finding about `gone` goes, and its settlement with it.
      const cutoffs: RetentionCutoffs = { originals: T0, items: T0, findings: T1, effects: T0, audit: T2, digests: '2026-03-01' };
      const report = await store.prune(cutoffs, T2);
      expect(report.findings).toBe(1);
      expect(report.audit).toBe(2);
      expect((await store.listSettlements()).map((x) => x.itemKey)).toEqual([kept]);
      expect(await store.getFindings(kept)).toHaveLength(1);
    });

    it('prunes settlements and the console’s audit with the audit log, ends expired sessions, and never prunes an effect awaiting review or its item', async () => {
      const item = '<held-old@millbrook-tc.gov.uk>';
      const held = nudge(item);
      await store.transaction(async (tx) => {
        await tx.markSeen(item, 'h', T0);
        await tx.saveOriginal(item, Buffer.from('the original'), T0);
        await tx.replaceFindings(item, [finding({ itemKey: item, actions: [] })], T0);
        await hold(tx, held);
      });
      await store.settleFinding({ rule: 'no-blind-copies', itemKey: '<old@millbrook-tc.gov.uk>', kind: 'dismissed', reason: 'Not a breach.', actor: 'alice', at: T0 });
      await store.settleFinding({ rule: 'no-blind-copies', itemKey: '<new@millbrook-tc.gov.uk>', kind: 'dismissed', reason: 'Not a breach.', actor: 'alice', at: T2 });
      await store.recordConsoleAction({ at: T0, actor: 'alice', action: 'sign-in', subject: 'alice', detail: 'Alice signed in.' });
      await store.recordConsoleAction({ at: T2, actor: 'alice', action: 'sign-out', subject: 'alice', detail: 'Alice signed out.' });
      await store.putUser({ username: 'alice', displayName: 'Alice Green', role: 'clerk', createdAt: T0 });
      await store.createSession(session('ended', 'alice', T0, T1));
      await store.createSession(session('open', 'alice', '2026-06-02T00:00:00.000Z', '2026-06-02T00:00:00.000Z'));

      const later = '2026-06-01T00:00:00.000Z';
      const cutoffs: RetentionCutoffs = { originals: later, items: later, findings: later, effects: later, audit: T1, digests: '2026-03-01' };
      const counted = await store.prune(cutoffs, later, { dryRun: true });
      expect(await store.listSettlements()).toHaveLength(2);
      expect(await store.getSession('ended')).toBeDefined();
      expect(await store.prune(cutoffs, later)).toEqual(counted);

      expect(await store.getEffect(held.key)).toMatchObject({ state: 'awaiting-review' });
      expect((await store.getOriginal(item))?.toString()).toBe('the original');
      expect(await store.getFindings(item)).toHaveLength(1);
      expect(await store.checkSeen(item, 'h')).toBe('unchanged');
      expect((await store.listSettlements()).map((x) => x.itemKey)).toEqual(['<new@millbrook-tc.gov.uk>']);
      expect((await store.listConsoleActions()).map((e) => e.action)).toEqual(['sign-out']);
      expect(await store.getSession('ended')).toBeUndefined();
      expect(await store.getSession('open')).toBeDefined();
      expect(await store.getUser('alice')).toBeDefined();
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

    if (options.shared) it('lets exactly one of two connections approve (or withdraw) the same effect at once', async () => {
      if (fixture.connect === undefined) throw new Error(`${name} says it can share its database, but its fixture has no connect()`);
      const other = fixture.connect();
      const held = await Promise.all(Array.from({ length: 20 }, (_, n) => hold(store, nudge(`<race-${n}@millbrook-tc.gov.uk>`))));
      const outcomes = await Promise.all(
        held.map(async (e, n) => {
          const approve = (s: Store, actor: string): Promise<boolean> => s.approveEffect(e.id, T1, T1, { actor, outcome: `Approved by ${actor}.` });
          const rival = n % 2 === 0 ? approve(other, 'bob') : other.withdrawEffect(e.id, T1, { actor: 'bob', outcome: 'Withdrawn by bob.' });
          return await Promise.all([approve(store, 'alice'), rival]);
        }),
      );
      for (const pair of outcomes) expect(pair.filter((won) => won)).toHaveLength(1);
      for (const e of held) {
        const changes = (await other.listAudit({ effectKey: e.key })).filter((a) => a.fromState === 'awaiting-review');
        expect(changes).toHaveLength(1);
      }
      expect(await store.countOutboxEffects(['awaiting-review'])).toBe(0);
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
