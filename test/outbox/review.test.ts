import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../src/config/schema.js';
import { Outbox, planningContextFrom, type PlanningContext } from '../../src/outbox/outbox.js';
import { ClerkActions } from '../../src/review/clerk-actions.js';
import type { SqliteStore } from '../../src/store/sqlite-store.js';
import type { EffectRow } from '../../src/store/types.js';
import { A, councilConfigInput, directory } from '../support/council.js';
import { action, FakeClock, finding, StoreBench } from './fixtures.js';

// Wednesday 14 January 2026, 10:00 GMT: inside working hours.
const WEDNESDAY_10AM = '2026-01-14T10:00:00.000Z';

function planningFor(extra: Record<string, unknown>): PlanningContext {
  return planningContextFrom(ConfigSchema.parse({ ...councilConfigInput, ...extra }), directory);
}

describe('review mode in the outbox', () => {
  let bench: StoreBench;
  let store: SqliteStore;
  let clock: FakeClock;

  beforeEach(() => {
    bench = new StoreBench();
    store = bench.store();
    clock = new FakeClock(new Date(WEDNESDAY_10AM));
  });
  afterEach(async () => await bench.dispose());

  const outboxWith = (planning: PlanningContext) => new Outbox(store, { planning, clock: clock.now });
  const requestFinding = (n: number) =>
    finding({ rule: 'requests-via-clerk', itemKey: `<r${n}@x>`, actions: [action('nudge', [A.alice]), action('route-to-clerk', [A.clerk]), action('digest')] });
  const sent: string[] = [];
  const execute = async (e: EffectRow): Promise<void> => {
    sent.push(e.key);
  };
  beforeEach(() => {
    sent.length = 0;
  });

  it('holds the nudge for review, never claims it, and sends what goes to the Clerk at once', async () => {
    const planning = planningFor({ review: true });
    const outbox = outboxWith(planning);
    const outcome = await outbox.record({ key: '<r1@x>', contentHash: 'h1' }, [requestFinding(1)]);
    expect(outcome.effects.map((e) => e.outcome)).toEqual(['enqueued', 'enqueued', 'enqueued']);
    const nudge = (await store.listEffects({ kinds: ['nudge'] }))[0];
    expect(nudge).toMatchObject({ state: 'awaiting-review', recipient: A.alice });
    expect((await store.listAudit({ effectKey: nudge?.key ?? '' }))[0]?.outcome).toBe(
      `Held for the Clerk's review: nudge to ${A.alice}; it goes only when approved in the console or with wardwatch outbox approve.`,
    );
    // Long after it would have been due, it is still not claimed.
    clock.advance(3 * 24 * 3600_000);
    const report = await outbox.runDue(execute);
    expect(report.done).toHaveLength(1);
    expect(sent).toEqual([(await store.listEffects({ kinds: ['route-to-clerk'] }))[0]?.key]);
    expect((await store.getEffect(nudge?.key ?? ''))?.state).toBe('awaiting-review');
  });

  it('sends an approved effect exactly once, through the outbox', async () => {
    const planning = planningFor({ review: true });
    const outbox = outboxWith(planning);
    await outbox.record({ key: '<r1@x>', contentHash: 'h1' }, [requestFinding(1)]);
    const nudge = (await store.listEffects({ kinds: ['nudge'] }))[0];
    if (!nudge) throw new Error('no nudge');
    const actions = new ClerkActions({ store, planning, clock: clock.now });
    const approved = await actions.approve(nudge.key, 'helen');
    expect(approved).toMatchObject({ ok: true, message: 'Approved: the nudge to Cllr Alice Green goes out now.' });
    await outbox.runDue(execute);
    await outbox.runDue(execute);
    clock.advance(3600_000);
    await outbox.runDue(execute);
    expect(sent.filter((k) => k === nudge.key)).toHaveLength(1);
    expect((await store.getEffect(nudge.key))?.state).toBe('done');
    // Approving again, or re-reading the item, sends nothing more.
    expect(await actions.approve(nudge.key, 'helen')).toEqual({ ok: false, message: 'This message was sent already; it is not sent again.' });
    const again = await outbox.record({ key: '<r1@x>', contentHash: 'h2' }, [requestFinding(1)]);
    expect(again.effects.map((e) => e.outcome)).toEqual(['duplicate', 'duplicate', 'duplicate']);
    await outbox.runDue(execute);
    expect(sent.filter((k) => k === nudge.key)).toHaveLength(1);
    const trail = await store.listAudit({ effectKey: nudge.key });
    expect(trail.map((a) => [a.toState, a.actor])).toEqual([
      ['awaiting-review', undefined],
      ['pending', 'helen'],
      ['sending', undefined],
      ['done', undefined],
    ]);
  });

  it('never sends a withdrawn effect', async () => {
    const planning = planningFor({ review: true });
    const outbox = outboxWith(planning);
    await outbox.record({ key: '<r1@x>', contentHash: 'h1' }, [requestFinding(1)]);
    const nudge = (await store.listEffects({ kinds: ['nudge'] }))[0];
    if (!nudge) throw new Error('no nudge');
    const actions = new ClerkActions({ store, planning, clock: clock.now });
    expect(await actions.withdraw(nudge.key, 'helen', 'Already spoken to her')).toMatchObject({ ok: true, message: 'Withdrawn: the nudge to Cllr Alice Green will not be sent.' });
    clock.advance(24 * 3600_000);
    await outbox.runDue(execute);
    expect(sent).not.toContain(nudge.key);
    expect(await store.getEffect(nudge.key)).toMatchObject({ state: 'withdrawn' });
    expect((await store.listAudit({ effectKey: nudge.key })).at(-1)).toMatchObject({ actor: 'helen', outcome: expect.stringContaining('Already spoken to her') });
    expect((await actions.approve(nudge.key, 'helen')).ok).toBe(false);
  });

  it('follows the rule’s own setting either way', async () => {
    const reviewedExceptRequests = outboxWith(planningFor({ review: true, rules: { 'requests-via-clerk': { review: false } } }));
    await reviewedExceptRequests.record({ key: '<r1@x>', contentHash: 'h1' }, [requestFinding(1)]);
    expect((await store.listEffects({ kinds: ['nudge'] }))[0]?.state).toBe('pending');

    const onlyRequests = outboxWith(planningFor({ review: false, rules: { 'requests-via-clerk': { review: true } } }));
    await onlyRequests.record({ key: '<r2@x>', contentHash: 'h2' }, [requestFinding(2)]);
    await onlyRequests.record({ key: '<b1@x>', contentHash: 'h3' }, [finding({ rule: 'no-blind-copies', itemKey: '<b1@x>', actions: [action('nudge', [A.sam])] })]);
    const states = (await store.listEffects({ kinds: ['nudge'] })).map((e) => [e.itemKey, e.state]);
    expect(states).toEqual([
      ['<r1@x>', 'pending'],
      ['<r2@x>', 'awaiting-review'],
      ['<b1@x>', 'pending'],
    ]);
  });

  it('never holds what goes to the Clerk or the digest', async () => {
    const outbox = outboxWith(planningFor({ review: true }));
    await outbox.record({ key: '<c1@x>', contentHash: 'h1' }, [
      finding({ rule: 'press-via-clerk', itemKey: '<c1@x>', actions: [action('notify-clerk', [A.clerk]), action('route-to-clerk', [A.clerk]), action('digest')] }),
    ]);
    expect((await store.listEffects()).map((e) => e.state)).toEqual(['pending', 'pending', 'pending']);
  });

  it('lets a dry run win: nothing is held, everything is recorded as skipped', async () => {
    const outbox = outboxWith(planningFor({ review: true }));
    const outcome = await outbox.record({ key: '<r1@x>', contentHash: 'h1' }, [requestFinding(1)], { dryRun: true });
    expect(outcome.effects.map((e) => e.outcome)).toEqual(['skipped-dry-run', 'skipped-dry-run', 'skipped-dry-run']);
    expect((await store.listEffects({ states: ['awaiting-review'] }))).toEqual([]);
  });

  const blindCopies = async (outbox: Outbox, ns: readonly number[]): Promise<void> => {
    for (const n of ns) {
      await outbox.record({ key: `<b${n}@x>`, contentHash: `h${n}` }, [finding({ itemKey: `<b${n}@x>`, actions: [action('nudge', [A.tom])] })]);
    }
  };

  it('neither counts nor folds held nudges while they wait for review', async () => {
    const outbox = outboxWith(planningFor({ review: true, limits: { nudgesPerPersonPerDay: 1 } }));
    await blindCopies(outbox, [1, 2, 3]);
    expect((await store.listEffects()).map((e) => [e.state, e.person ?? null])).toEqual([
      ['awaiting-review', null],
      ['awaiting-review', null],
      ['awaiting-review', null],
    ]);
    expect(await store.countCapped(A.tom, '2026-01-14', ['pending', 'sending', 'done', 'failed'])).toBe(0);
  });

  it('keeps the daily cap when the Clerk approves them all: the rest travel in the person’s daily summary, sent once', async () => {
    const planning = planningFor({ review: true, limits: { nudgesPerPersonPerDay: 2 } });
    const outbox = outboxWith(planning);
    await blindCopies(outbox, [1, 2, 3, 4, 5]);
    const actions = new ClerkActions({ store, planning, clock: clock.now });
    const result = await actions.approveAll({}, 'helen');
    expect(result.approved).toHaveLength(5);
    expect(result.message).toBe(
      'Approved 5 messages: 2 go out now; 3 travel in Cllr Tom Brown’s daily summary, as the day’s limit of messages to them is reached.',
    );
    const nudges = await store.listEffects({ rule: 'no-blind-copies' });
    const summary = (await store.listEffects({ rule: 'daily-summary' }))[0];
    expect(summary).toMatchObject({ state: 'pending', recipient: A.tom, nextAttemptAt: '2026-01-15T08:00:00.000Z' });
    expect(nudges.map((e) => [e.itemKey, e.state, e.person, e.capDay, e.foldedInto ?? null])).toEqual([
      ['<b1@x>', 'pending', A.tom, '2026-01-14', null],
      ['<b2@x>', 'pending', A.tom, '2026-01-14', null],
      ['<b3@x>', 'folded', A.tom, '2026-01-14', summary?.key],
      ['<b4@x>', 'folded', A.tom, '2026-01-14', summary?.key],
      ['<b5@x>', 'folded', A.tom, '2026-01-14', summary?.key],
    ]);
    expect(await store.countCapped(A.tom, '2026-01-14', ['pending', 'sending', 'done', 'failed'])).toBe(2);
    expect((await store.listAudit({ effectKey: nudges[2]?.key ?? '' })).at(-1)).toMatchObject({
      fromState: 'awaiting-review',
      toState: 'folded',
      actor: 'helen',
      outcome: expect.stringContaining('travels in their daily summary, which goes out on Thursday 15 January 2026 at 08:00'),
    });

    // Two messages to Tom today; the summary, once, the next morning.
    await outbox.runDue(execute);
    expect(sent).toEqual([nudges[0]?.key, nudges[1]?.key]);
    clock.set('2026-01-15T08:00:00.000Z');
    await outbox.runDue(execute);
    await outbox.runDue(execute);
    expect(sent).toEqual([nudges[0]?.key, nudges[1]?.key, summary?.key]);
  });

  it('caps approvals one at a time as well, against what has gone to the person already; one with the Clerk’s words goes on its own', async () => {
    const planning = planningFor({ review: true, limits: { nudgesPerPersonPerDay: 1 } });
    const outbox = outboxWith(planning);
    await blindCopies(outbox, [1, 2, 3]);
    const [first, second, third] = await store.listEffects({ rule: 'no-blind-copies' });
    const actions = new ClerkActions({ store, planning, clock: clock.now });
    expect(await actions.approve(first?.key ?? '', 'helen')).toMatchObject({ ok: true, message: 'Approved: the nudge to Cllr Tom Brown goes out now.' });
    await outbox.runDue(execute);
    expect(await store.getEffect(first?.key ?? '')).toMatchObject({ state: 'done' });
    // A daily summary lists each reminder briefly: the Clerk's words would be lost in it.
    const ownWords = await actions.approve(second?.key ?? '', 'helen', { coverText: 'With apologies for the second note today.' });
    expect(ownWords).toMatchObject({
      ok: true,
      message:
        'Approved: the nudge to Cllr Tom Brown goes out now, on its own so that your own words go with it, although they have had the 1 message allowed for Wednesday 14 January 2026 already (a daily summary lists each reminder briefly, without such words).',
      effect: { state: 'pending', person: A.tom, capDay: '2026-01-14', coverText: 'With apologies for the second note today.' },
    });
    expect((await store.listAudit({ effectKey: second?.key ?? '' })).at(-1)?.outcome).toContain('on its own so that the Clerk’s own words go with it');
    const folded = await actions.approve(third?.key ?? '', 'helen');
    expect(folded).toMatchObject({
      ok: true,
      message:
        'Approved: the nudge to Cllr Tom Brown travels in their daily summary, which goes out on Thursday 15 January 2026 at 08:00: they have had the 1 message allowed for Wednesday 14 January 2026 already.',
      effect: { state: 'folded', person: A.tom, capDay: '2026-01-14' },
    });
    await outbox.runDue(execute);
    expect(sent).toEqual([first?.key, second?.key]);
  });
});
