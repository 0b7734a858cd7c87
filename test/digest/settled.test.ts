/**
 * The digest and the Clerk's console (issue 17): a finding dismissed as not a breach, or covered
 * by a standing exception, leaves the digest's lists and is counted per rule; the exceptions in
 * force are listed; an authorised party-group attendance leaves the awaiting list and is listed
 * as authorised; actions held for review are counted with where to review them.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildDigest, consolePlace, PRIVATE_SUMMARY, type DigestDeps, type DigestPeriod } from '../../src/digest/build.js';
import { eventSummaryOf } from '../../src/digest/event-summary.js';
import { composeDigest } from '../../src/digest/send.js';
import type { EventItem, MailItem } from '../../src/items/types.js';
import { Outbox, planningContextFrom } from '../../src/outbox/outbox.js';
import { ClerkActions } from '../../src/review/clerk-actions.js';
import { settlingFor } from '../../src/review/settle.js';
import { StoredItemMemory } from '../../src/service/item-memory.js';
import type { SqliteStore } from '../../src/store/sqlite-store.js';
import { ruleTitle } from '../../src/templates/guidance.js';
import { A, council, directory } from '../support/council.js';
import { FakeClock, planning, StoreBench } from '../outbox/fixtures.js';
import { engine, items, Pipeline } from './fixtures.js';

// Wednesday 18 November 2026 (GMT in London).
const MORNING = '2026-11-18T10:00:00.000Z';
const EVENING = '2026-11-18T19:00:00.000Z';
const UNTIL = '2026-11-18T19:30:00.000Z';
const DAY = 24 * 3600_000;

let bench: StoreBench;
let store: SqliteStore;
let clock: FakeClock;
let pipeline: Pipeline;
let actions: ClerkActions;
let memory: StoredItemMemory;

beforeEach(() => {
  bench = new StoreBench();
  store = bench.store();
  clock = new FakeClock(new Date(MORNING));
  pipeline = new Pipeline(store, clock);
  actions = new ClerkActions({ store, planning, clock: clock.now });
  memory = new StoredItemMemory(store);
});
afterEach(async () => await bench.dispose());

/** Evaluate an item as the service does: its subject line remembered, settlements and standing exceptions applied. */
async function evaluate(item: MailItem | EventItem, outbox: Outbox = pipeline.outbox): Promise<string[]> {
  if (item.kind === 'mail') await memory.setMail(item);
  const result = engine.evaluate(item, clock.now().toISOString());
  await outbox.record(item, result.findings, { settle: settlingFor(item) });
  if (item.kind === 'event') await store.upsertEvent(eventSummaryOf(item, engine.directory, engine.calendars, clock.now().toISOString()), clock.now().toISOString());
  return result.findings.map((f) => f.rule);
}

async function digest(period: DigestPeriod, config: DigestDeps['config'] = council) {
  return await buildDigest({ store, engine, config }, period);
}

describe('a finding marked not a breach', () => {
  it('is gone from the next digest, counted under its rule with the reason, and a private one names no subject', async () => {
    const blindCopy = items.blindCopy();
    const conduct = items.conduct();
    expect(await evaluate(blindCopy)).toEqual(['no-blind-copies']);
    expect(await evaluate(items.request())).toEqual(['requests-via-clerk']);
    await pipeline.runDue();
    // Before anything is dismissed, the digest lists the blind copy.
    const before = await digest({ date: '2026-11-18', until: '2026-11-18T12:00:00.000Z' });
    expect(before.sections.rules.map((r) => r.rule)).toEqual(['no-blind-copies', 'requests-via-clerk']);
    expect(before.sections.notABreach).toEqual([]);

    clock.set('2026-11-18T13:00:00.000Z');
    const dismissed = await actions.dismiss({ rule: 'no-blind-copies', itemKey: blindCopy.key, reason: 'Cllr Mehta asked to be copied in; agreed with the Clerk.', actor: 'jane.clerk' });
    expect(dismissed.ok).toBe(true);

    clock.set(EVENING);
    expect(await evaluate(conduct)).toEqual(['officer-conduct-raised-properly']);
    const conductNudge = (await store.listEffects({ itemKey: conduct.key, kinds: ['nudge'] }))[0];
    expect(conductNudge?.state).toBe('pending');
    clock.set('2026-11-18T19:10:00.000Z');
    const privateOne = await actions.dismiss({ rule: 'officer-conduct-raised-properly', itemKey: conduct.key, reason: 'A thank-you, not a complaint.', actor: 'jane.clerk' });
    expect(privateOne.ok).toBe(true);
    expect(privateOne.withdrawn).toContain(conductNudge?.key);

    // The digest that had not gone yet (no earlier digest: it covers everything so far).
    const built = await digest({ date: '2026-11-18', until: UNTIL });
    expect(built.sections.rules.map((r) => r.rule)).toEqual(['requests-via-clerk']);
    expect(built.sections.totals.findings).toBe(1);
    expect(built.sections.notABreach).toEqual([
      {
        rule: 'no-blind-copies',
        ruleTitle: ruleTitle('no-blind-copies'),
        dismissed: 1,
        excepted: 0,
        recent: 1,
        counted: '1 dismissed; 1 in the last 90 days',
        dismissals: [
          {
            reference: expect.stringMatching(/^message “Castle Street bins”, sent Wednesday 18 November 2026 at \d\d:\d\d$/),
            private: false,
            reason: 'Cllr Mehta asked to be copied in; agreed with the Clerk.',
            by: 'jane.clerk',
            at: 'Wednesday 18 November 2026 at 13:00',
          },
        ],
        more: '',
      },
      {
        rule: 'officer-conduct-raised-properly',
        ruleTitle: ruleTitle('officer-conduct-raised-properly'),
        dismissed: 1,
        excepted: 0,
        recent: 1,
        counted: '1 dismissed; 1 in the last 90 days',
        dismissals: [{ reference: PRIVATE_SUMMARY, private: true, reason: 'A thank-you, not a complaint.', by: 'jane.clerk', at: 'Wednesday 18 November 2026 at 19:10' }],
        more: '',
      },
    ]);

    const message = composeDigest(built, { engine, config: council });
    expect(message.text).not.toMatch(/^- Blind copies in member–officer correspondence \(/m);
    expect(message.text).toContain('MARKED NOT A BREACH (covering everything Wardwatch has seen so far)');
    expect(message.text).toContain('- Blind copies in member–officer correspondence: 1 dismissed; 1 in the last 90 days\n');
    expect(message.text).toContain(': “Cllr Mehta asked to be copied in; agreed with the Clerk.” (dismissed by jane.clerk on Wednesday 18 November 2026 at 13:00)');
    expect(message.text).toContain('    * a private matter — details withheld: “A thank-you, not a complaint.” (dismissed by jane.clerk on Wednesday 18 November 2026 at 19:10)');
    for (const part of [message.text, message.html ?? '']) {
      expect(part).not.toContain('Allotment invoices');
      expect(part).not.toMatch(/nudge[^\n<]*to Sam Patel/);
    }

    // That digest went out; the next day's lists nothing of either, and nothing was dismissed in its period.
    await store.markDigested(built.digestEffectIds, UNTIL, '2026-11-18');
    const next = await digest({ date: '2026-11-19', since: UNTIL, until: '2026-11-19T07:30:00.000Z' });
    expect(next.sections.rules).toEqual([]);
    expect(next.sections.notABreach).toEqual([]);
    expect(composeDigest(next, { engine, config: council }).text).not.toContain('MARKED NOT A BREACH');
  });

  it('stays out of a later digest that lists an earlier finding still waiting, and the digest entry is still collected', async () => {
    const blindCopy = items.blindCopy();
    await evaluate(blindCopy);
    // The digest covering it was never sent: its entry waits, so the next digest would list it.
    const since = '2026-11-18T12:00:00.000Z';
    const waiting = await digest({ date: '2026-11-19', since, until: '2026-11-19T07:30:00.000Z' });
    expect(waiting.sections.rules.map((r) => r.rule)).toEqual(['no-blind-copies']);

    clock.set('2026-11-18T15:00:00.000Z');
    await store.settleFinding({ rule: 'no-blind-copies', itemKey: blindCopy.key, kind: 'dismissed', reason: 'Copied at the member’s request.', actor: 'cli:jane', at: '2026-11-18T15:00:00.000Z' });
    const later = await digest({ date: '2026-11-19', since, until: '2026-11-19T07:30:00.000Z' });
    expect(later.sections.rules).toEqual([]);
    expect(later.sections.totals.findings).toBe(0);
    expect(later.digestEffectIds).toEqual(waiting.digestEffectIds);
    expect(later.sections.notABreach.map((r) => [r.rule, r.dismissed, r.dismissals.map((d) => d.by)])).toEqual([['no-blind-copies', 1, ['cli:jane']]]);
  });

  it('a settlement made after the digest’s period does not change it', async () => {
    const blindCopy = items.blindCopy();
    await evaluate(blindCopy);
    await store.settleFinding({ rule: 'no-blind-copies', itemKey: blindCopy.key, kind: 'dismissed', reason: 'Not a breach.', actor: 'jane.clerk', at: '2026-11-18T20:00:00.000Z' });
    const built = await digest({ date: '2026-11-18', until: UNTIL });
    expect(built.sections.rules.map((r) => r.rule)).toEqual(['no-blind-copies']);
    expect(built.sections.notABreach).toEqual([]);
  });
});

describe('standing exceptions', () => {
  it('count the findings they cover instead of listing them, and are listed while in force', async () => {
    clock.set('2026-11-18T09:00:00.000Z');
    const added = await actions.addException({
      rule: 'requests-via-clerk',
      match: 'sender',
      value: A.sue,
      reason: 'Cllr Taylor chairs the benches working group and asks Priya directly, by agreement.',
      expiresAt: '2026-12-31',
      actor: 'jane.clerk',
    });
    expect(added.ok).toBe(true);
    // Revoked, and expired: neither is listed.
    const revoked = await actions.addException({ match: 'phrase', value: 'tree planting', reason: 'A trial for the planting season.', expiresAt: '2026-11-30', actor: 'jane.clerk' });
    expect(revoked.ok && revoked.exception !== undefined && (await actions.revokeException(revoked.exception.id, 'jane.clerk')).ok).toBe(true);
    await store.addException({ match: 'recipient-domain', value: 'example.org', reason: 'A one-morning event.', actor: 'jane.clerk', createdAt: '2026-11-18T08:00:00.000Z', expiresAt: '2026-11-18T12:00:00.000Z' });
    // Covered earlier: one 60 days ago (in the last 90 days), one 100 days ago (not).
    for (const days of [60, 100]) {
      const at = new Date(Date.parse(MORNING) - days * DAY).toISOString();
      await store.settleFinding({ rule: 'requests-via-clerk', itemKey: `<old-${days}@millbrook-tc.gov.uk>`, kind: 'excepted', reason: 'covered by a standing exception', actor: 'wardwatch', at });
    }

    clock.set(MORNING);
    await evaluate(items.request());
    expect(await store.listEffects({ itemKey: items.request().key, states: ['pending', 'awaiting-review'] })).toEqual([]);
    await evaluate(items.blindCopy());

    const built = await digest({ date: '2026-11-18', since: '2026-11-17T07:30:00.000Z', until: UNTIL });
    expect(built.sections.rules.map((r) => r.rule)).toEqual(['no-blind-copies']);
    expect(built.sections.notABreach).toEqual([
      {
        rule: 'requests-via-clerk',
        ruleTitle: ruleTitle('requests-via-clerk'),
        dismissed: 0,
        excepted: 1,
        recent: 2,
        counted: '1 covered by a standing exception; 2 in the last 90 days',
        dismissals: [],
        more: '',
      },
    ]);
    expect(built.sections.exceptions).toEqual([
      {
        what: `messages from Cllr Sue Taylor <${A.sue}>`,
        rule: ruleTitle('requests-via-clerk'),
        reason: 'Cllr Taylor chairs the benches working group and asks Priya directly, by agreement.',
        by: 'jane.clerk',
        made: 'Wednesday 18 November 2026 at 09:00',
        until: 'the end of Thursday 31 December 2026',
      },
    ]);
    const message = composeDigest(built, { engine, config: council });
    expect(message.text).toContain(
      `STANDING EXCEPTIONS IN FORCE\n- ${ruleTitle('requests-via-clerk')}: messages from Cllr Sue Taylor <${A.sue}> — “Cllr Taylor chairs the benches working group and asks Priya directly, by agreement.” (made by jane.clerk on Wednesday 18 November 2026 at 09:00; until the end of Thursday 31 December 2026)\n`,
    );
    expect(message.html).toContain('messages from Cllr Sue Taylor &lt;sue.taylor@millbrook-tc.gov.uk&gt;');

    // Once it has expired it is no longer listed.
    const january = await digest({ date: '2027-01-04', since: UNTIL, until: '2027-01-04T07:30:00.000Z' });
    expect(january.sections.exceptions).toEqual([]);
    expect(composeDigest(january, { engine, config: council }).text).not.toContain('STANDING EXCEPTIONS');
  });

  it('words each kind of match, and one for every rule', async () => {
    await store.addException({ match: 'phrase', value: 'allotment waiting list', reason: 'Routine replies.', actor: 'jane.clerk', createdAt: MORNING, expiresAt: '2026-12-01T15:00:00.000Z' });
    await store.addException({ rule: 'press-via-clerk', match: 'recipient-domain', value: 'millbrookgazette.co.uk', reason: 'The Gazette’s diary column.', actor: 'jane.clerk', createdAt: MORNING, expiresAt: '2026-12-01T15:00:00.000Z' });
    await store.addException({ match: 'sender', value: 'someone@example.org', reason: 'A partner body.', actor: 'jane.clerk', createdAt: MORNING, expiresAt: '2026-12-01T15:00:00.000Z' });
    const built = await digest({ date: '2026-11-18', until: UNTIL });
    expect(built.sections.exceptions.map((e) => [e.rule, e.what, e.until]).sort()).toEqual(
      [
        ['Every rule', 'items containing the words “allotment waiting list”', 'Tuesday 1 December 2026 at 15:00'],
        [ruleTitle('press-via-clerk'), 'messages to addresses at millbrookgazette.co.uk', 'Tuesday 1 December 2026 at 15:00'],
        ['Every rule', 'messages from someone@example.org', 'Tuesday 1 December 2026 at 15:00'],
      ].sort(),
    );
  });
});

describe('party-group authorisations', () => {
  it('an authorised attendance leaves the awaiting list and is listed, once, as authorised', async () => {
    const meeting = items.partyGroup();
    expect(await evaluate(meeting)).toEqual(['party-group-attendance-authorised']);
    await pipeline.runDue();
    const before = await digest({ date: '2026-11-18', until: '2026-11-18T12:00:00.000Z' });
    expect(before.sections.awaitingAuthorisation.map((a) => a.officer)).toEqual(['Sam Patel']);
    expect(before.sections.authorisations).toEqual([]);

    clock.set('2026-11-18T14:00:00.000Z');
    const finding = (await store.listFindings({ rule: 'party-group-attendance-authorised' }))[0];
    if (finding === undefined) throw new Error('expected the party-group finding');
    const authorised = await actions.authorise({ rule: 'party-group-attendance-authorised', itemKey: finding.itemKey, messageId: 'authorisationNeeded', actor: 'jane.clerk' });
    expect(authorised.ok).toBe(true);

    const built = await digest({ date: '2026-11-18', since: '2026-11-18T12:00:00.000Z', until: UNTIL });
    expect(built.sections.awaitingAuthorisation).toEqual([]);
    expect(built.sections.rules.map((r) => r.rule)).not.toContain('party-group-attendance-authorised');
    expect(built.sections.authorisations).toEqual([
      { officer: 'Sam Patel', meeting: 'Labour Group meeting – budget 2027/28', date: 'Tuesday 8 December 2026 at 18:00', by: 'jane.clerk', at: 'Wednesday 18 November 2026 at 14:00', note: '' },
    ]);
    const message = composeDigest(built, { engine, config: council });
    expect(message.text).toContain('- No officer is waiting for your authorisation.');
    expect(message.text).toContain(
      'PARTY-GROUP ATTENDANCES AUTHORISED (since Wednesday 18 November 2026 at 12:00)\n- Sam Patel at “Labour Group meeting – budget 2027/28” on Tuesday 8 December 2026 at 18:00, authorised by jane.clerk on Wednesday 18 November 2026 at 14:00\n',
    );
    expect(message.html).toContain('<li>Sam Patel at “Labour Group meeting – budget 2027/28” on Tuesday 8 December 2026 at 18:00, authorised by jane.clerk on Wednesday 18 November 2026 at 14:00</li>');

    // The next digest neither awaits it nor lists the authorisation again.
    const next = await digest({ date: '2026-11-19', since: UNTIL, until: '2026-11-19T07:30:00.000Z' });
    expect(next.sections.awaitingAuthorisation).toEqual([]);
    expect(next.sections.authorisations).toEqual([]);
    expect(composeDigest(next, { engine, config: council }).text).not.toContain('PARTY-GROUP ATTENDANCES AUTHORISED');
  });

  it('keeps the Clerk’s note', async () => {
    const meeting = items.partyGroup();
    await evaluate(meeting);
    const finding = (await store.listFindings({ rule: 'party-group-attendance-authorised' }))[0];
    if (finding === undefined) throw new Error('expected the party-group finding');
    clock.set('2026-11-18T14:00:00.000Z');
    const note = 'Sam presents the budget figures only; no campaigning.';
    expect((await actions.authorise({ rule: 'party-group-attendance-authorised', itemKey: finding.itemKey, messageId: 'authorisationNeeded', actor: 'jane.clerk', note })).ok).toBe(true);
    const built = await digest({ date: '2026-11-18', until: UNTIL });
    expect(built.sections.authorisations.map((a) => a.note)).toEqual([note]);
    expect(composeDigest(built, { engine, config: council }).text).toContain(`authorised by jane.clerk on Wednesday 18 November 2026 at 14:00: “${note}”`);
  });
});

describe('actions awaiting review', () => {
  it('are counted per rule, said in the subject, and pointed to the console and the command', async () => {
    const reviewing = new Outbox(store, { planning: planningContextFrom({ ...council, review: true }, directory), clock: clock.now });
    await evaluate(items.blindCopy(), reviewing);
    await evaluate(items.publicMeeting(), reviewing);
    const held = await store.listEffects({ states: ['awaiting-review'] });
    expect(held.map((e) => e.kind).sort()).toEqual(['invite', 'notify', 'nudge']);

    const built = await digest({ date: '2026-11-18', until: UNTIL });
    expect(built.sections.awaitingReview).toEqual({
      total: 3,
      headline: 'Wardwatch is holding 3 actions for your review: none of them goes out until you approve them.',
      rules: [
        { ruleTitle: ruleTitle('no-blind-copies'), count: 1, actions: '1 nudge' },
        { ruleTitle: ruleTitle('invite-ward-members'), count: 2, actions: '1 notice and 1 invitation' },
      ],
      console: { url: 'http://127.0.0.1:9464/', onServer: true },
      command: 'wardwatch outbox list --state awaiting-review --config FILE',
    });
    expect(built.sections.totals.awaitingReview).toBe(3);
    const blind = built.sections.rules.find((r) => r.rule === 'no-blind-copies');
    expect(blind?.actions).toBe('1 nudge awaiting your review');
    expect(blind?.items.map((i) => i.actions)).toEqual(['nudge to Cllr Alice Green awaiting your review']);
    expect(built.sections.upcomingMeetings.find((m) => m.title.startsWith('Public meeting: parking'))?.invited).toContain('Cllr Alice Green (invitation awaiting your review)');

    const message = composeDigest(built, { engine, config: council });
    expect(message.subject).toMatch(/; awaiting your review: 3\)$/);
    expect(message.text).toContain('AWAITING YOUR REVIEW\nWardwatch is holding 3 actions for your review: none of them goes out until you approve them.\n');
    expect(message.text).toContain(`- ${ruleTitle('invite-ward-members')}: 1 notice and 1 invitation\n`);
    expect(message.text).toContain(
      'Please review them in the console, on the Wardwatch server at http://127.0.0.1:9464/, or list them with: wardwatch outbox list --state awaiting-review --config FILE',
    );

    // Behind a reverse proxy the console's public address is given instead.
    const proxied = await digest({ date: '2026-11-18', until: UNTIL }, { ...council, console: { ...council.console, publicUrl: 'https://wardwatch.millbrook-tc.gov.uk/' } });
    expect(proxied.sections.awaitingReview?.console).toEqual({ url: 'https://wardwatch.millbrook-tc.gov.uk/', onServer: false });

    // Once approved, nothing awaits review and the section goes.
    const approved = await actions.approveAll({}, 'jane.clerk');
    expect(approved.approved).toHaveLength(3);
    const after = await digest({ date: '2026-11-18', until: UNTIL });
    expect(after.sections.awaitingReview).toBeNull();
    expect(after.sections.totals.awaitingReview).toBe(0);
    const afterMessage = composeDigest(after, { engine, config: council });
    expect(afterMessage.text).not.toContain('AWAITING YOUR REVIEW');
    expect(afterMessage.subject).not.toContain('awaiting your review');
  });

  it('one held action is worded in the singular', async () => {
    const reviewing = new Outbox(store, { planning: planningContextFrom({ ...council, review: true }, directory), clock: clock.now });
    await evaluate(items.blindCopy(), reviewing);
    const built = await digest({ date: '2026-11-18', until: UNTIL });
    expect(built.sections.awaitingReview?.headline).toBe('Wardwatch is holding 1 action for your review: it does not go out until you approve it.');
  });
});

describe('consolePlace', () => {
  it('is the public address when set, else the server’s own, and nothing when the console is switched off', () => {
    expect(consolePlace(council)).toEqual({ url: 'http://127.0.0.1:9464/', onServer: true });
    expect(consolePlace({ ...council, server: { host: '::1', port: 8080 } })).toEqual({ url: 'http://[::1]:8080/', onServer: true });
    expect(consolePlace({ ...council, console: { ...council.console, publicUrl: 'https://wardwatch.example.gov.uk/' } })).toEqual({ url: 'https://wardwatch.example.gov.uk/', onServer: false });
    expect(consolePlace({ ...council, console: { ...council.console, enabled: false } })).toBeNull();
    expect(consolePlace({})).toEqual({ url: 'http://127.0.0.1:9464/', onServer: true });
  });
});

describe('a digest with nothing settled, held or excepted', () => {
  it('has none of the new sections', async () => {
    await evaluate(items.blindCopy());
    const built = await digest({ date: '2026-11-18', until: UNTIL });
    expect(built.sections).toMatchObject({ awaitingReview: null, notABreach: [], exceptions: [], authorisations: [], notABreachDays: 90 });
    const message = composeDigest(built, { engine, config: council });
    for (const heading of ['AWAITING YOUR REVIEW', 'MARKED NOT A BREACH', 'STANDING EXCEPTIONS', 'PARTY-GROUP ATTENDANCES AUTHORISED']) expect(message.text).not.toContain(heading);
  });
});
