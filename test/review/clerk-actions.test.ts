import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../src/config/schema.js';
import { LocalEffectError, Outbox, planningContextFrom, type PlanningContext } from '../../src/outbox/outbox.js';
import { awaitingReview, ClerkActions, COVER_TEXT_MAX } from '../../src/review/clerk-actions.js';
import { AUTOMATIC_ACTOR } from '../../src/review/settle.js';
import type { SqliteStore } from '../../src/store/sqlite-store.js';
import type { EffectRow } from '../../src/store/types.js';
import { A, councilConfigInput, directory } from '../support/council.js';
import { action, FakeClock, finding, StoreBench } from '../outbox/fixtures.js';

// Wednesday 14 January 2026, 10:00 GMT: inside working hours.
const WEDNESDAY_10AM = '2026-01-14T10:00:00.000Z';

const planning: PlanningContext = planningContextFrom(ConfigSchema.parse({ ...councilConfigInput, review: true }), directory);

let bench: StoreBench;
let store: SqliteStore;
let clock: FakeClock;
let outbox: Outbox;
let actions: ClerkActions;

beforeEach(() => {
  bench = new StoreBench();
  store = bench.store();
  clock = new FakeClock(new Date(WEDNESDAY_10AM));
  outbox = new Outbox(store, { planning, clock: clock.now });
  actions = new ClerkActions({ store, planning, clock: clock.now });
});
afterEach(async () => await bench.dispose());

/** A request routed round the Clerk: a held nudge to Alice, a copy for the Clerk and a digest entry. */
const request = (itemKey: string) =>
  finding({ rule: 'requests-via-clerk', itemKey, actions: [action('nudge', [A.alice]), action('route-to-clerk', [A.clerk]), action('digest')] });
/** A blind copy by Sam: a held nudge to Sam (an officer, who keeps quiet hours). */
const blindCopy = (itemKey: string) => finding({ rule: 'no-blind-copies', itemKey, actions: [action('nudge', [A.sam])] });

async function effect(filter: { itemKey?: string; kind?: EffectRow['kind']; rule?: string }): Promise<EffectRow> {
  const found = (await store.listEffects(filter.itemKey !== undefined ? { itemKey: filter.itemKey } : {})).find(
    (e) => (filter.kind === undefined || e.kind === filter.kind) && (filter.rule === undefined || e.rule === filter.rule),
  );
  if (!found) throw new Error(`no effect like ${JSON.stringify(filter)}`);
  return found;
}

async function state(key: string): Promise<EffectRow['state'] | undefined> {
  return (await store.getEffect(key))?.state;
}

describe('approving', () => {
  it('puts an officer’s nudge approved in the evening off until the next working morning', async () => {
    clock.set('2026-01-16T18:30:00Z');
    await outbox.record({ key: '<b1@x>', contentHash: 'h' }, [blindCopy('<b1@x>')]);
    const nudge = await effect({ kind: 'nudge' });
    const result = await actions.approve(nudge.key, 'helen');
    expect(result).toMatchObject({ ok: true, message: 'Approved: the nudge to Sam Patel goes out on Monday 19 January 2026 at 08:00, after quiet hours.' });
    expect(result.ok && result.effect).toMatchObject({ state: 'pending', nextAttemptAt: '2026-01-19T08:00:00.000Z' });
  });

  it('keeps the cover text given with the approval, and an empty one removes what was written', async () => {
    await outbox.record({ key: '<r1@x>', contentHash: 'h' }, [request('<r1@x>'), blindCopy('<r1@x>')]);
    const toAlice = await effect({ kind: 'nudge', rule: 'requests-via-clerk' });
    expect(await actions.approve(toAlice.key, 'helen', { coverText: '  We spoke on Monday.\r\nThank you!  ' })).toMatchObject({ ok: true, effect: { coverText: 'We spoke on Monday.\nThank you!' } });
    const toSam = await effect({ kind: 'nudge', rule: 'no-blind-copies' });
    await actions.setCoverText(toSam.key, 'helen', 'First thoughts');
    expect(await actions.approve(toSam.key, 'helen', { coverText: '   ' })).toMatchObject({ ok: true });
    expect((await store.getEffect(toSam.key))?.coverText).toBeUndefined();
  });

  it('refuses what cannot be approved, saying why, and changes nothing', async () => {
    await outbox.record({ key: '<r1@x>', contentHash: 'h' }, [request('<r1@x>')]);
    const nudge = await effect({ kind: 'nudge' });
    const route = await effect({ kind: 'route-to-clerk' });
    expect(await actions.approve('no-such-key', 'helen')).toEqual({
      ok: false,
      message: 'There is no message or action with the key no-such-key in the outbox. Please check the key: the console lists them, as does wardwatch outbox list.',
    });
    expect(await actions.approve(route.key, 'helen')).toEqual({ ok: false, message: 'The copy for the Clerk is already approved and queued: it goes out at the next round of the outbox. Nothing was changed.' });
    expect(await actions.approve(nudge.key, '  ')).toMatchObject({ ok: false, message: expect.stringContaining('does not say who is making it') });
    expect(await actions.approve(nudge.key, 'helen', { coverText: 'Tab\there' })).toMatchObject({ ok: false, message: expect.stringContaining('control character') });
    expect(await state(nudge.key)).toBe('awaiting-review');
  });

  it('approves everything of one rule at once, and only that rule', async () => {
    await outbox.record({ key: '<r1@x>', contentHash: 'h1' }, [request('<r1@x>')]);
    await outbox.record({ key: '<r2@x>', contentHash: 'h2' }, [request('<r2@x>')]);
    await outbox.record({ key: '<b1@x>', contentHash: 'h3' }, [blindCopy('<b1@x>')]);
    expect((await awaitingReview(store)).map((g) => [g.rule, g.title, g.effects.length])).toEqual([
      ['requests-via-clerk', expect.any(String), 2],
      ['no-blind-copies', expect.any(String), 1],
    ]);
    const result = await actions.approveAll({ rule: 'requests-via-clerk' }, 'helen');
    expect(result.approved).toHaveLength(2);
    expect(result.message).toMatch(/^Approved 2 messages under “.+”: they go out now\.$/);
    expect((await store.listEffects({ states: ['awaiting-review'] })).map((e) => e.rule)).toEqual(['no-blind-copies']);
    expect(await actions.approveAll({ rule: 'requests-via-clerk' }, 'helen')).toEqual({ approved: [], message: expect.stringMatching(/^Nothing is awaiting review under “.+”, so nothing was approved\.$/) });
    expect(await actions.approveAll({ rule: 'requests-via-clark' }, 'helen')).toEqual({
      approved: [],
      message: 'There is no rule called “requests-via-clark” — did you mean “requests-via-clerk”? The rules are listed in docs/rules/ and by wardwatch explain. Nothing was approved.',
    });
    const all = await actions.approveAll({}, 'helen');
    expect(all.approved).toHaveLength(1);
  });
});

/** Actions, outbox and planning with a daily limit of one message a person. */
function cappedBench(): { planning: PlanningContext; outbox: Outbox; actions: ClerkActions } {
  const capped = planningContextFrom(ConfigSchema.parse({ ...councilConfigInput, review: true, limits: { nudgesPerPersonPerDay: 1 } }), directory);
  return { planning: capped, outbox: new Outbox(store, { planning: capped, clock: clock.now }), actions: new ClerkActions({ store, planning: capped, clock: clock.now }) };
}

describe('approving a message with the Clerk’s own words, over the daily limit', () => {
  it('sends it on its own when the words were saved on its page first, as the console does, and says so', async () => {
    const capped = cappedBench();
    for (const n of [1, 2]) await capped.outbox.record({ key: `<r${n}@x>`, contentHash: 'h' }, [request(`<r${n}@x>`)]);
    const [first, second] = (await store.listEffects({ kinds: ['nudge'] })).filter((e) => e.rule === 'requests-via-clerk');
    expect(await capped.actions.approve(first?.key ?? '', 'helen')).toMatchObject({ ok: true, effect: { state: 'pending' } });
    expect(await capped.actions.setCoverText(second?.key ?? '', 'helen', 'Alice, I know this is the second note today.')).toMatchObject({ ok: true });

    const result = await capped.actions.approve(second?.key ?? '', 'helen');
    expect(result).toEqual({
      ok: true,
      message:
        'Approved: the nudge to Cllr Alice Green goes out now, on its own so that your own words go with it, although they have had the 1 message allowed for Wednesday 14 January 2026 already (a daily summary lists each reminder briefly, without such words).',
      effect: expect.objectContaining({ state: 'pending', coverText: 'Alice, I know this is the second note today.', person: A.alice, capDay: '2026-01-14' }),
    });
    expect(result.ok && result.effect?.foldedInto).toBeUndefined();
    expect(await store.listEffects({ rule: 'daily-summary' })).toEqual([]);
  });

  it('sends such a message on its own when all are approved together, folds the rest, and says which', async () => {
    const capped = cappedBench();
    for (const n of [1, 2, 3]) await capped.outbox.record({ key: `<r${n}@x>`, contentHash: 'h' }, [request(`<r${n}@x>`)]);
    const nudges = (await store.listEffects({ kinds: ['nudge'] })).filter((e) => e.rule === 'requests-via-clerk');
    const last = nudges[2];
    await capped.actions.setCoverText(last?.key ?? '', 'helen', 'Alice, one more, I am afraid.');

    const result = await capped.actions.approveAll({ rule: 'requests-via-clerk' }, 'helen');
    expect(result.approved).toHaveLength(3);
    expect(result.message).toMatch(
      /^Approved 3 messages under “.+”: 2 go out now; 1 travels in Cllr Alice Green’s daily summary, as the day’s limit of messages to them is reached\. 1 message carries your own words, so it goes on its own rather than in a daily summary \(which lists each reminder briefly, without such words\), although the day’s limit of messages is reached\.$/,
    );
    const states = (await store.listEffects({ kinds: ['nudge'] })).filter((e) => e.rule === 'requests-via-clerk').map((e) => [e.key, e.state]);
    expect(states).toEqual([
      [nudges[0]?.key, 'pending'],
      [nudges[1]?.key, 'folded'],
      [last?.key, 'pending'],
    ]);
    expect((await store.getEffect(last?.key ?? ''))?.coverText).toBe('Alice, one more, I am afraid.');
  });
});

describe('approving all that the page showed (up to an effect id)', () => {
  it('approves the rule’s messages up to the id shown, leaves later ones waiting, and the audit says what the page showed', async () => {
    await outbox.record({ key: '<r1@x>', contentHash: 'h1' }, [request('<r1@x>')]);
    await outbox.record({ key: '<r2@x>', contentHash: 'h2' }, [request('<r2@x>')]);
    await outbox.record({ key: '<b1@x>', contentHash: 'h3' }, [blindCopy('<b1@x>')]);
    const shown = await store.listEffects({ rule: 'requests-via-clerk', states: ['awaiting-review'] });
    const upTo = Math.max(...shown.map((e) => e.id));
    // Held after the page was made: a greater id.
    await outbox.record({ key: '<r3@x>', contentHash: 'h4' }, [request('<r3@x>')]);
    const late = await effect({ itemKey: '<r3@x>', kind: 'nudge' });
    expect(late.id).toBeGreaterThan(upTo);

    const result = await actions.approveAll({ rule: 'requests-via-clerk', upTo }, 'helen');
    expect(result.approved.sort()).toEqual(shown.map((e) => e.key).sort());
    expect(result.message).toMatch(/^Approved 2 messages under “.+”: they go out now\. 1 more arrived since you opened the page and still waits for your review\.$/);
    expect(await state(late.key)).toBe('awaiting-review');
    expect(await state((await effect({ itemKey: '<b1@x>', kind: 'nudge' })).key)).toBe('awaiting-review');
    for (const e of shown) {
      const outcome = (await store.listAudit({ effectKey: e.key })).at(-1)?.outcome ?? '';
      expect(outcome).toMatch(/^Approved by helen, with the other messages under “.+” the review page showed them: the nudge to Cllr Alice Green goes out now\.$/);
      expect(outcome).not.toContain('everything else awaiting review');
    }

    expect(await actions.approveAll({ rule: 'requests-via-clerk', upTo }, 'helen')).toEqual({
      approved: [],
      message: expect.stringMatching(/^None of the messages you were shown under “.+” is still awaiting review, so nothing was approved\. 1 more arrived since you opened the page and still waits for your review\.$/),
    });
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      expect((await actions.approveAll({ rule: 'requests-via-clerk', upTo: bad }, 'helen')).approved).toEqual([]);
    }
    expect(await state(late.key)).toBe('awaiting-review');
  });
});

describe('who acts', () => {
  it('refuses a person acting under the name Wardwatch gives its own automatic changes', async () => {
    await outbox.record({ key: '<r1@x>', contentHash: 'h' }, [request('<r1@x>')]);
    const nudge = await effect({ kind: 'nudge' });
    for (const name of [AUTOMATIC_ACTOR, ' Wardwatch ']) {
      expect(await actions.approve(nudge.key, name)).toMatchObject({ ok: false, message: expect.stringContaining('names the changes Wardwatch makes by itself') });
      expect((await actions.approveAll({}, name)).approved).toEqual([]);
      expect((await actions.dismiss({ rule: 'requests-via-clerk', itemKey: '<r1@x>', reason: 'Fine really', actor: name })).ok).toBe(false);
    }
    expect(await state(nudge.key)).toBe('awaiting-review');
    expect(await store.listSettlements()).toEqual([]);
  });
});

describe('cover text', () => {
  it('is trimmed, kept with plain line breaks, and removed when empty', async () => {
    await outbox.record({ key: '<r1@x>', contentHash: 'h' }, [request('<r1@x>')]);
    const nudge = await effect({ kind: 'nudge' });
    const saved = await actions.setCoverText(nudge.key, 'helen', '\n Thank you for raising this.\r\n\r\nHelen \n');
    expect(saved).toMatchObject({ ok: true, message: 'Saved your cover text for the nudge to Cllr Alice Green: it goes after the greeting when the message is approved.' });
    expect((await store.getEffect(nudge.key))?.coverText).toBe('Thank you for raising this.\n\nHelen');
    expect(await actions.setCoverText(nudge.key, 'helen', '')).toMatchObject({ ok: true, message: 'Removed the cover text from the nudge to Cllr Alice Green.' });
    expect((await store.getEffect(nudge.key))?.coverText).toBeUndefined();
    const audit = await store.listAudit({ effectKey: nudge.key });
    expect(audit.filter((a) => a.actor === 'helen').map((a) => a.outcome)).toEqual(['Cover text written by helen (34 characters).', 'Cover text removed by helen.']);
  });

  it('is refused when too long, holding control characters, or once the message is no longer awaiting review', async () => {
    await outbox.record({ key: '<r1@x>', contentHash: 'h' }, [request('<r1@x>')]);
    const nudge = await effect({ kind: 'nudge' });
    expect(await actions.setCoverText(nudge.key, 'helen', 'x'.repeat(COVER_TEXT_MAX))).toMatchObject({ ok: true });
    expect(await actions.setCoverText(nudge.key, 'helen', 'x'.repeat(COVER_TEXT_MAX + 1))).toEqual({
      ok: false,
      message: 'The cover text is 2,001 characters long; it can be at most 2,000. Please shorten it. The cover text was not changed.',
    });
    expect(await actions.setCoverText(nudge.key, 'helen', 'Bell\u0007')).toMatchObject({ ok: false, message: expect.stringContaining('control character') });
    expect(await actions.setCoverText(nudge.key, 'helen', 'Sneaky \u202Ereversed')).toMatchObject({ ok: false });
    expect((await store.getEffect(nudge.key))?.coverText).toBe('x'.repeat(COVER_TEXT_MAX));
    await actions.approve(nudge.key, 'helen');
    expect(await actions.setCoverText(nudge.key, 'helen', 'Too late')).toMatchObject({
      ok: false,
      message: expect.stringContaining('The cover text can be changed only while a message awaits review'),
    });
  });
});

describe('withdrawing, retrying, releasing and dropping', () => {
  it('withdraws a queued message, but not one being sent or sent', async () => {
    await outbox.record({ key: '<r1@x>', contentHash: 'h' }, [request('<r1@x>')]);
    const route = await effect({ kind: 'route-to-clerk' });
    const nudge = await effect({ kind: 'nudge' });
    expect(await actions.withdraw(route.key, 'helen')).toMatchObject({ ok: true, message: 'Withdrawn: the copy for the Clerk will not be sent.' });
    expect(await state(route.key)).toBe('withdrawn');
    await actions.approve(nudge.key, 'helen');
    let during: unknown;
    await outbox.runDue(async () => {
      during = await actions.withdraw(nudge.key, 'helen');
    });
    expect(during).toEqual({ ok: false, message: 'The nudge to Cllr Alice Green is being sent right now. Only a message that has not gone yet (awaiting review, queued, or waiting in a daily summary) can be withdrawn.' });
    expect(await actions.withdraw(nudge.key, 'helen')).toMatchObject({ ok: false, message: expect.stringMatching(/^This message was sent already; it is not sent again\./) });
    expect(await state(nudge.key)).toBe('done');
  });

  it('keeps the reason given with a withdrawal where the digest and the console show it', async () => {
    await outbox.record({ key: '<r1@x>', contentHash: 'h' }, [request('<r1@x>'), blindCopy('<r1@x>')]);
    const toAlice = await effect({ kind: 'nudge', rule: 'requests-via-clerk' });
    const toSam = await effect({ kind: 'nudge', rule: 'no-blind-copies' });
    expect(await actions.withdraw(toAlice.key, 'helen', 'We spoke this morning')).toMatchObject({ ok: true, effect: { state: 'withdrawn', lastError: 'by helen: We spoke this morning' } });
    expect(await actions.withdraw(toSam.key, 'helen')).toMatchObject({ ok: true, effect: { state: 'withdrawn', lastError: 'by helen' } });
  });

  it('refuses to withdraw a daily summary, which carries reminders; a reminder folded into it can be withdrawn itself', async () => {
    const capped = planningContextFrom(ConfigSchema.parse({ ...councilConfigInput, review: true, limits: { nudgesPerPersonPerDay: 1 } }), directory);
    const cappedOutbox = new Outbox(store, { planning: capped, clock: clock.now });
    const cappedActions = new ClerkActions({ store, planning: capped, clock: clock.now });
    for (const n of [1, 2, 3]) await cappedOutbox.record({ key: `<r${n}@x>`, contentHash: 'h' }, [request(`<r${n}@x>`)]);
    await cappedActions.approveAll({ rule: 'requests-via-clerk' }, 'helen');
    const summary = await effect({ rule: 'daily-summary' });
    const folded = await store.listEffects({ foldedInto: summary.key });
    expect(folded.map((e) => e.state)).toEqual(['folded', 'folded']);

    expect(await cappedActions.withdraw(summary.key, 'helen', 'Too many')).toEqual({
      ok: false,
      message:
        'The daily summary for Cllr Alice Green is not withdrawn: it carries 2 reminders folded into it, which would be dropped unseen with it. To stop a reminder, withdraw that reminder itself (the summary then leaves it out); otherwise let the summary go. Nothing was changed.',
    });
    expect(await state(summary.key)).toBe('pending');

    expect(await cappedActions.withdraw(folded[0]?.key ?? '', 'helen', 'Dealt with by phone')).toMatchObject({
      ok: true,
      message: 'Withdrawn: the nudge to Cllr Alice Green will not be sent; its daily summary leaves it out.',
      effect: { state: 'withdrawn', foldedInto: summary.key },
    });
    expect((await store.listEffects({ foldedInto: summary.key, states: ['folded'] })).map((e) => e.key)).toEqual([folded[1]?.key]);
    expect((await cappedActions.withdraw(summary.key, 'helen')).message).toContain('it carries 1 reminder folded into it');
  });

  it('withdraws a reminder folded into a daily summary only while the summary waits: not once it is being sent or has gone', async () => {
    const capped = cappedBench();
    for (const n of [1, 2, 3, 4]) await capped.outbox.record({ key: `<r${n}@x>`, contentHash: 'h' }, [request(`<r${n}@x>`)]);
    await capped.actions.approveAll({ rule: 'requests-via-clerk' }, 'helen');
    const summary = await effect({ rule: 'daily-summary' });
    const [early, racing, late] = await store.listEffects({ foldedInto: summary.key });
    expect(await capped.actions.withdraw(early?.key ?? '', 'helen')).toMatchObject({ ok: true });

    // The summary is claimed for sending between the Clerk's check and the withdrawal: the store refuses, and the Clerk is told why.
    const racingActions = new ClerkActions({
      store: new Proxy(store, {
        get(target, prop, receiver) {
          if (prop !== 'withdrawEffect') return Reflect.get(target, prop, receiver) as unknown;
          return async (...args: Parameters<SqliteStore['withdrawEffect']>) => {
            await target.claimDue('2026-01-15T09:00:00.000Z', 10);
            return await target.withdrawEffect(...args);
          };
        },
      }),
      planning: capped.planning,
      clock: clock.now,
    });
    expect(await racingActions.withdraw(racing?.key ?? '', 'helen')).toEqual({ ok: false, message: 'It is going out in Cllr Alice Green’s daily summary right now; it cannot be withdrawn now.' });
    expect(await state(racing?.key ?? '')).toBe('folded');
    expect(await state(summary.key)).toBe('sending');

    await store.markDone(summary.id, '2026-01-15T09:00:05.000Z', 'Sent.');
    expect(await capped.actions.withdraw(late?.key ?? '', 'helen', 'Too late?')).toEqual({
      ok: false,
      message: 'It went in Cllr Alice Green’s daily summary on Thursday 15 January 2026 at 09:00; it cannot be withdrawn now.',
    });
    expect(await state(late?.key ?? '')).toBe('folded');
    expect((await store.listAudit({ effectKey: late?.key ?? '' })).map((a) => a.toState)).toEqual(['awaiting-review', 'folded']);
  });

  it('leaves a reminder whose summary has gone when its finding is dismissed', async () => {
    const capped = cappedBench();
    for (const n of [1, 2]) await capped.outbox.record({ key: `<r${n}@x>`, contentHash: 'h' }, [request(`<r${n}@x>`)]);
    await capped.actions.approveAll({ rule: 'requests-via-clerk' }, 'helen');
    const summary = await effect({ rule: 'daily-summary' });
    const [reminder] = await store.listEffects({ foldedInto: summary.key });
    await store.claimDue('2026-01-15T09:00:00.000Z', 10);
    await store.markDone(summary.id, '2026-01-15T09:00:05.000Z', 'Sent.');
    const dismissed = await capped.actions.dismiss({ rule: 'requests-via-clerk', itemKey: reminder?.itemKey ?? '', reason: 'Not a breach after all', actor: 'helen' });
    expect(dismissed.ok).toBe(true);
    expect(dismissed.withdrawn).not.toContain(reminder?.key);
    expect(await state(reminder?.key ?? '')).toBe('folded');
  });

  it('retries a message that failed on this side, and refuses one the mail system refused', async () => {
    await outbox.record({ key: '<r1@x>', contentHash: 'h' }, [request('<r1@x>')]);
    const nudge = await effect({ kind: 'nudge' });
    const route = await effect({ kind: 'route-to-clerk' });
    await actions.approve(nudge.key, 'helen');
    expect(await actions.retry(nudge.key, 'helen')).toMatchObject({ ok: false, message: expect.stringContaining('Only a message that failed can be retried.') });
    await outbox.runDue(async (e) => {
      if (e.key === nudge.key) throw new LocalEffectError('The message template could not be used.');
      throw new Error('550 mailbox unavailable');
    });
    // The copy failed at the mail system only once: it is retrying, so make it fail for good.
    await store.markAttemptFailed((await store.claimDue('2030-01-01T00:00:00.000Z', 10))[0]?.id ?? 0, clock.now().toISOString(), { error: '550 mailbox unavailable' });
    expect(await state(route.key)).toBe('failed');
    expect(await actions.retry(route.key, 'helen')).toEqual({
      ok: false,
      message:
        'The copy for the Clerk failed at the mail system or kept failing there (550 mailbox unavailable), so it may have been delivered, or would be refused again: Wardwatch does not send it again. Please follow it up by hand.',
    });
    expect(await actions.retry(nudge.key, 'helen')).toMatchObject({ ok: true, message: 'Queued again: the nudge to Cllr Alice Green goes out now.', effect: { state: 'pending' } });
    expect((await store.listAudit({ effectKey: nudge.key })).at(-1)).toMatchObject({ toState: 'pending', actor: 'helen' });
  });

  it('releases or drops only what is held in doubt', async () => {
    await outbox.record({ key: '<r1@x>', contentHash: 'h' }, [request('<r1@x>'), blindCopy('<r1@x>')]);
    const toAlice = await effect({ kind: 'nudge', rule: 'requests-via-clerk' });
    const toSam = await effect({ kind: 'nudge', rule: 'no-blind-copies' });
    await actions.approveAll({}, 'helen');
    for (const claimed of await store.claimDue(clock.now().toISOString(), 10)) {
      if (claimed.kind === 'nudge') await store.markInDoubt(claimed.id, clock.now().toISOString(), 'Cut off mid-send.');
    }
    expect(await actions.release(toAlice.key, 'helen')).toMatchObject({ ok: true, message: 'Released: the nudge to Cllr Alice Green will be sent once by the running service.', effect: { state: 'pending', released: true } });
    expect(await actions.drop(toSam.key, 'helen')).toMatchObject({ ok: true, message: 'Dropped: the nudge to Sam Patel will not be sent.', effect: { state: 'dropped' } });
    expect(await actions.drop(toAlice.key, 'helen')).toMatchObject({ ok: false, message: expect.stringContaining('Only a message held in doubt can be dropped.') });
    expect(await actions.withdraw(toSam.key, 'helen')).toMatchObject({ ok: false, message: expect.stringContaining('was dropped') });
    expect((await store.listAudit({ effectKey: toSam.key })).at(-1)).toMatchObject({ toState: 'dropped', actor: 'helen' });
    expect(await actions.release('digest;2026-01-13', 'helen')).toEqual({ ok: false, message: 'The digest for 2026-01-13 is not held in doubt, so nothing was changed.' });
  });
});

describe('dismissing and authorising findings', () => {
  it('dismisses a finding: records it, withdraws only what that rule planned on that item, and logs who did it', async () => {
    await outbox.record({ key: '<r1@x>', contentHash: 'h1' }, [request('<r1@x>'), blindCopy('<r1@x>')]);
    await outbox.record({ key: '<r2@x>', contentHash: 'h2' }, [request('<r2@x>')]);
    const result = await actions.dismiss({ rule: 'requests-via-clerk', itemKey: '<r1@x>', reason: 'Alice asked the Clerk first, by phone', actor: 'helen' });
    expect(result.ok).toBe(true);
    expect(result.message).toMatch(/^Dismissed: the finding of “.+” about the item <r1@x> is recorded as not a breach; it leaves the digest and is counted under its rule\. 3 messages not yet sent were withdrawn\.$/);
    const onItem = await store.listEffects({ itemKey: '<r1@x>' });
    expect(onItem.map((e) => [e.rule, e.kind, e.state])).toEqual([
      ['requests-via-clerk', 'nudge', 'withdrawn'],
      ['requests-via-clerk', 'route-to-clerk', 'withdrawn'],
      ['requests-via-clerk', 'digest', 'withdrawn'],
      ['no-blind-copies', 'nudge', 'awaiting-review'],
    ]);
    expect(result.withdrawn).toEqual(onItem.slice(0, 3).map((e) => e.key));
    expect((await store.listEffects({ itemKey: '<r2@x>' })).map((e) => e.state)).toEqual(['awaiting-review', 'pending', 'pending']);
    expect(await store.listSettlements({ itemKey: '<r1@x>' })).toEqual([
      expect.objectContaining({ rule: 'requests-via-clerk', kind: 'dismissed', reason: 'Alice asked the Clerk first, by phone', actor: 'helen', at: WEDNESDAY_10AM }),
    ]);
    expect(await store.listConsoleActions()).toEqual([
      expect.objectContaining({ actor: 'helen', action: 'dismiss', subject: 'requests-via-clerk <r1@x>', detail: expect.stringContaining('Alice asked the Clerk first, by phone. 3 messages not yet sent were withdrawn.') }),
    ]);
    expect((await store.listAudit({ effectKey: result.withdrawn?.[0] ?? '' })).at(-1)).toMatchObject({ toState: 'withdrawn', actor: 'helen' });
    // The findings themselves stay, to be shown with their settlement.
    expect((await store.getFindings('<r1@x>')).map((f) => f.rule).sort()).toEqual(['no-blind-copies', 'requests-via-clerk']);

    expect(await actions.dismiss({ rule: 'requests-via-clerk', itemKey: '<r1@x>', reason: 'Again', actor: 'helen' })).toEqual({
      ok: false,
      message: expect.stringMatching(/was already dismissed as not a breach by helen on Wednesday 14 January 2026 at 10:00 \(Alice asked the Clerk first, by phone\); nothing was changed\.$/),
    });
  });

  it('never names a private matter in the message or the console’s audit', async () => {
    const headline = { subject: 'Allotment invoices', from: [{ address: A.sam }], to: [{ address: A.clerk }], cc: [] };
    await store.saveOriginal('<c1@x>', Buffer.from('Subject: Allotment invoices\r\n\r\nbody'), WEDNESDAY_10AM, headline);
    await store.saveOriginal('<p1@x>', Buffer.from('Subject: Parish newsletter\r\n\r\nbody'), WEDNESDAY_10AM, { ...headline, subject: 'Parish newsletter' });
    const conduct = finding({ rule: 'officer-conduct-raised-properly', itemKey: '<c1@x>', actions: [action('nudge', [A.sam])], private: true });
    await outbox.record({ key: '<c1@x>', contentHash: 'h1' }, [conduct]);
    await outbox.record({ key: '<p1@x>', contentHash: 'h2' }, [blindCopy('<p1@x>')]);

    const dismissed = await actions.dismiss({ rule: 'officer-conduct-raised-properly', itemKey: '<c1@x>', reason: 'Raised properly after all', actor: 'helen' });
    expect(dismissed).toMatchObject({ ok: true, message: expect.stringContaining('about a private matter') });
    const authorised = await actions.authorise({ rule: 'officer-conduct-raised-properly', itemKey: '<c1@x>', actor: 'helen' });
    expect(authorised).toMatchObject({ ok: false, message: expect.stringContaining('about a private matter was already dismissed') });
    // A matter that is not private is named by its subject, as before.
    expect((await actions.dismiss({ rule: 'no-blind-copies', itemKey: '<p1@x>', reason: 'Sent to all by design', actor: 'helen' })).message).toContain('the message “Parish newsletter”');

    const logged = await store.listConsoleActions();
    expect(logged).toHaveLength(2);
    for (const text of [dismissed.message, authorised.message, ...logged.filter((a) => a.subject.includes('<c1@x>')).flatMap((a) => [a.subject, a.detail])]) {
      expect(text).not.toContain('Allotment');
    }
    expect(logged.find((a) => a.subject.includes('<c1@x>'))?.detail).toContain('a private matter');
  });

  it('settling one finding of a rule by its message id withdraws only what that finding planned', async () => {
    const asking = finding({ rule: 'party-group-attendance-authorised', itemKey: 'group-2@x', actions: [action('notify', [A.sam])] });
    asking.messageId = 'authorisationNeeded';
    const other = finding({ rule: 'party-group-attendance-authorised', itemKey: 'group-2@x', actions: [action('nudge', [A.alice]), action('notify', [A.tom])] });
    other.messageId = 'memberInvitedOfficer';
    await outbox.record({ key: 'group-2@x', contentHash: 'h1' }, [asking, other]);
    const before = await store.listEffects({ itemKey: 'group-2@x' });
    expect(before.map((e) => [e.kind, e.recipient, e.state])).toEqual([
      ['notify', A.sam, 'awaiting-review'],
      ['nudge', A.alice, 'awaiting-review'],
      ['notify', A.tom, 'awaiting-review'],
    ]);
    const result = await actions.authorise({ rule: 'party-group-attendance-authorised', itemKey: 'group-2@x', actor: 'helen', messageId: 'authorisationNeeded' });
    expect(result).toMatchObject({ ok: true, message: expect.stringContaining('1 message not yet sent was withdrawn.') });
    expect(result.withdrawn).toEqual([before[0]?.key]);
    expect((await store.listEffects({ itemKey: 'group-2@x' })).map((e) => e.state)).toEqual(['withdrawn', 'awaiting-review', 'awaiting-review']);
    // Settling the other one as well withdraws the rest.
    const rest = await actions.dismiss({ rule: 'party-group-attendance-authorised', itemKey: 'group-2@x', actor: 'helen', messageId: 'memberInvitedOfficer', reason: 'Invited by the Clerk' });
    expect(rest.withdrawn).toEqual([before[1]?.key, before[2]?.key]);
  });

  it('refuses a dismissal without a reason, of an unknown rule, or of a finding the item does not have', async () => {
    await outbox.record({ key: '<r1@x>', contentHash: 'h1' }, [request('<r1@x>')]);
    expect(await actions.dismiss({ rule: 'requests-via-clerk', itemKey: '<r1@x>', reason: ' ', actor: 'helen' })).toEqual({
      ok: false,
      message: 'Please give a reason: a few words saying why this is not a breach. Nothing was dismissed.',
    });
    expect(await actions.dismiss({ rule: 'not-a-rule', itemKey: '<r1@x>', reason: 'Fine', actor: 'helen' })).toMatchObject({ ok: false, message: expect.stringContaining('There is no rule called “not-a-rule”') });
    expect(await actions.dismiss({ rule: 'no-blind-copies', itemKey: '<r1@x>', reason: 'Fine', actor: 'helen' })).toMatchObject({
      ok: false,
      message: expect.stringMatching(/^There is no finding of “.+” about the item <r1@x>, so nothing was dismissed\./),
    });
    expect(await actions.dismiss({ rule: 'requests-via-clerk', itemKey: '<r1@x>', reason: 'Fine', actor: 'helen', messageId: 'another-kind' })).toMatchObject({ ok: false });
    expect(await store.listSettlements()).toEqual([]);
    expect((await store.listEffects({ states: ['withdrawn'] }))).toEqual([]);
  });

  it('authorises what a finding asked for, by its message id, and withdraws what it planned', async () => {
    const asking = finding({ rule: 'party-group-attendance-authorised', itemKey: 'group-1@x', actions: [action('notify', [A.sam]), action('notify-clerk', [A.clerk])] });
    asking.messageId = 'authorisationNeeded';
    await outbox.record({ key: 'group-1@x', contentHash: 'h1' }, [asking]);
    const result = await actions.authorise({ rule: 'party-group-attendance-authorised', itemKey: 'group-1@x', actor: 'helen', messageId: 'authorisationNeeded', note: 'Sam may attend to present the budget' });
    expect(result).toMatchObject({ ok: true, message: expect.stringMatching(/^Authorised: the finding of “.+” about the item group-1@x is recorded as authorised by you\. 2 messages not yet sent were withdrawn\.$/) });
    expect(await store.listSettlements({ kind: 'authorised' })).toEqual([
      expect.objectContaining({ itemKey: 'group-1@x', messageId: 'authorisationNeeded', reason: 'Sam may attend to present the budget', actor: 'helen' }),
    ]);
    expect((await store.listEffects({ itemKey: 'group-1@x' })).map((e) => e.state)).toEqual(['withdrawn', 'withdrawn']);
    expect((await store.listConsoleActions())[0]).toMatchObject({ action: 'authorise', actor: 'helen' });
  });
});

describe('standing exceptions', () => {
  it('adds one until the end of the day given, and revokes it', async () => {
    const added = await actions.addException({ match: 'sender', value: ' Sam.Patel@Millbrook-TC.gov.uk ', reason: 'Sam sends the newsletter', expiresAt: '2026-06-30', actor: 'helen', rule: 'no-blind-copies' });
    expect(added.ok).toBe(true);
    expect(added.exception).toMatchObject({ match: 'sender', value: A.sam, rule: 'no-blind-copies', actor: 'helen', expiresAt: '2026-06-30T23:00:00.000Z' });
    expect(added.message).toMatch(/^Added standing exception \d+: findings of “.+” in messages from sam\.patel@millbrook-tc\.gov\.uk \(and meetings organised by that address\) are not treated as breaches until the end of Tuesday 30 June 2026\. It applies to messages and meetings read from now on\.$/);
    const id = added.exception?.id ?? 0;
    expect(await actions.addException({ match: 'sender', value: A.sam, reason: 'Twice', expiresAt: '2026-05-01', actor: 'helen', rule: 'no-blind-copies' })).toMatchObject({
      ok: false,
      message: expect.stringContaining(`Standing exception ${id} already covers`),
    });
    expect(await actions.revokeException(id, 'priya')).toEqual({ ok: true, message: `Revoked standing exception ${id}: findings it covered are acted on again from now on.` });
    expect(await store.getException(id)).toMatchObject({ revokedBy: 'priya' });
    expect(await actions.revokeException(id, 'priya')).toMatchObject({ ok: false, message: expect.stringContaining('was revoked already by priya') });
    expect(await actions.revokeException(9999, 'priya')).toEqual({ ok: false, message: 'There is no standing exception number 9999. The “not a breach” page lists them.' });
    expect((await store.listConsoleActions()).map((a) => [a.action, a.actor])).toEqual([
      ['exception-revoked', 'priya'],
      ['exception-added', 'helen'],
    ]);
  });

  it('keeps a domain without its @ and a phrase with its spaces tidied', async () => {
    const domain = await actions.addException({ match: 'recipient-domain', value: '@Hazelford-PC.gov.uk', reason: 'Our twinned parish', expiresAt: '2026-12-31T17:00:00Z', actor: 'helen' });
    expect(domain.exception).toMatchObject({ value: 'hazelford-pc.gov.uk', expiresAt: '2026-12-31T17:00:00.000Z' });
    expect(domain.exception?.rule).toBeUndefined();
    const phrase = await actions.addException({ match: 'phrase', value: '  Spring   Newsletter ', reason: 'Sent to all by design', expiresAt: '2026-04-01', actor: 'helen' });
    expect(phrase.exception?.value).toBe('spring newsletter');
  });

  it.each([
    [{ match: 'sender', value: 'not an address' }, '“not an address” does not look like an e-mail address'],
    [{ match: 'recipient-domain', value: 'localhost' }, '“localhost” does not look like a domain'],
    [{ match: 'recipient-domain', value: 'bad_domain.com' }, 'does not look like a domain'],
    [{ match: 'phrase', value: 'ab' }, 'The phrase must be at least 3 characters long.'],
    [{ match: 'phrase', value: 'x'.repeat(201) }, 'The phrase is 201 characters long; it can be at most 200.'],
    [{ match: 'phrase', value: 'two\nlines' }, 'control character or a line break'],
    [{ expiresAt: '2026-01-13' }, 'The expiry must be in the future.'],
    [{ expiresAt: '2026-01-13T10:00:00Z' }, 'The expiry must be in the future.'],
    [{ expiresAt: '2027-01-16' }, 'An exception lasts at most a year; please choose an expiry on or before Thursday 14 January 2027.'],
    [{ expiresAt: 'next Tuesday' }, '“next Tuesday” is not a date'],
    [{ expiresAt: '2026-02-30' }, '“2026-02-30” is not a date; please write it as YYYY-MM-DD.'],
    [{ rule: 'no-blind-copy' }, 'There is no rule called “no-blind-copy” — did you mean “no-blind-copies”?'],
    [{ reason: '' }, 'Please give a reason for the exception'],
  ] as const)('refuses %j', async (change, expected) => {
    const input = { match: 'phrase' as const, value: 'spring newsletter', reason: 'Sent to all by design', expiresAt: '2026-04-01', actor: 'helen', ...change };
    const result = await actions.addException(input);
    expect(result.ok).toBe(false);
    expect(result.message).toContain(expected);
    expect(result.message).toMatch(/No exception was added\.$/);
    expect(await store.listExceptions()).toEqual([]);
  });

  it('takes a reason over several lines, as the console’s box allows, and folds it in the audit', async () => {
    const added = await actions.addException({ match: 'phrase', value: 'spring newsletter', reason: 'Sent to all by design.\r\nAgreed at the March meeting.', expiresAt: '2026-04-01', actor: 'helen' });
    expect(added).toMatchObject({ ok: true, exception: { reason: 'Sent to all by design.\nAgreed at the March meeting.' } });
    expect((await store.listConsoleActions())[0]?.detail).toContain('(Sent to all by design. Agreed at the March meeting.)');
    expect(await actions.addException({ match: 'phrase', value: 'autumn newsletter', reason: 'Tab\there', expiresAt: '2026-04-01', actor: 'helen' })).toMatchObject({
      ok: false,
      message: expect.stringContaining('control character'),
    });
  });

  it('allows an expiry a year ahead to the day', async () => {
    expect((await actions.addException({ match: 'phrase', value: 'spring newsletter', reason: 'Sent to all', expiresAt: '2027-01-14', actor: 'helen' })).ok).toBe(true);
  });
});
