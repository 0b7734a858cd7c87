import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildDigest, describeAction, describeActions, PRIVATE_SUMMARY, type BuiltDigest } from '../../src/digest/build.js';
import { eventSummaryOf } from '../../src/digest/event-summary.js';
import { composeDigest, digestKey, digestMessageId, digestTemplateData } from '../../src/digest/send.js';
import type { EventItem, MailItem } from '../../src/items/types.js';
import { StoredItemMemory } from '../../src/service/item-memory.js';
import type { SqliteStore } from '../../src/store/sqlite-store.js';
import { A, council, event } from '../support/council.js';
import { FakeClock, StoreBench } from '../outbox/fixtures.js';
import { BODY_MARKER, engine, items, Pipeline } from './fixtures.js';

// Wednesday 18 November 2026: the working day, then the evening (quiet hours for officers).
const MORNING = '2026-11-18T10:00:00.000Z';
const EVENING = '2026-11-18T19:00:00.000Z';
const UNTIL = '2026-11-18T19:30:00.000Z';

describe('buildDigest, from a store filled by the engine and the outbox', () => {
  let bench: StoreBench;
  let store: SqliteStore;
  let clock: FakeClock;
  let pipeline: Pipeline;
  let built: BuiltDigest;

  beforeEach(async () => {
    bench = new StoreBench();
    store = bench.store();
    clock = new FakeClock(new Date(MORNING));
    pipeline = new Pipeline(store, clock);
    // The service remembers each message as a body-less summary (subject line, date, addresses).
    const memory = new StoredItemMemory(store);
    const evaluate = async (item: MailItem | EventItem): Promise<string[]> => {
      if (item.kind === 'mail') await memory.setMail(item);
      return await pipeline.evaluate(item);
    };
    expect(await evaluate(items.blindCopy())).toEqual(['no-blind-copies']);
    expect(await evaluate(items.request())).toEqual(['requests-via-clerk']);
    expect(await evaluate(items.publicMeeting())).toEqual(['invite-ward-members']);
    expect(await evaluate(items.partyGroup())).toEqual(['party-group-attendance-authorised']);
    expect(await evaluate(items.unknownWard())).toEqual([]);
    await pipeline.runDue();
    clock.set(EVENING);
    expect(await evaluate(items.conduct())).toEqual(['officer-conduct-raised-properly']);
    await pipeline.runDue();
    await store.recordProblem({ origin: 'mail/clerk/inbox/broken.eml', kind: 'mail', reason: 'it has no headers' }, '2026-11-18T11:00:00.000Z');
    await store.recordSourceSuccess('folder', '2026-11-18T19:10:00.000Z');
    await store.recordSourceError('imap:clerk@millbrook-tc.gov.uk', '2026-11-18T18:00:00.000Z', 'the server did not answer');
    built = await buildDigest({ store, engine, config: council }, { date: '2026-11-18', until: UNTIL });
  });
  afterEach(async () => await bench.dispose());

  it('counts findings per rule, in catalogue order, with the actions taken and their state', () => {
    expect(built.sections.rules.map((r) => [r.rule, r.findings, r.actions])).toEqual([
      ['no-blind-copies', 1, '1 nudge sent'],
      ['requests-via-clerk', 1, '1 nudge sent, 1 copy for the Clerk could not be sent'],
      ['officer-conduct-raised-properly', 1, '1 nudge waiting for the end of quiet hours (private: no content shown)'],
      ['invite-ward-members', 1, '1 notice sent, 1 invitation sent'],
      ['party-group-attendance-authorised', 1, '1 notice sent, 1 notice to the Clerk sent'],
    ]);
    expect(built.sections.rules[0]).toMatchObject({
      ruleTitle: 'Blind copies in member–officer correspondence',
      clauseText: expect.stringContaining('paragraph 12.1 of Knutsford Town Council'),
    });
    // Taken means carried out: the failed copy and the waiting nudge do not count.
    expect(built.sections.totals).toEqual({ findings: 5, actions: 6, needsHuman: 3, awaitingReview: 0 });
  });

  it('lists the items per rule with each action’s state, and withholds a private matter', () => {
    const conduct = built.rules.find((r) => r.rule === 'officer-conduct-raised-properly');
    expect(conduct?.items).toEqual([
      {
        kind: 'mail',
        itemKey: expect.any(String),
        reference: PRIVATE_SUMMARY,
        summary: PRIVATE_SUMMARY,
        private: true,
        actions: [{ kind: 'nudge', recipient: A.sam, state: 'waiting', at: expect.stringMatching(/^2026-11-19T/) }],
        actionSummary: 'nudge waiting for quiet hours to end (Thursday 19 November 2026 at 08:00)',
      },
    ]);
    const request = built.rules.find((r) => r.rule === 'requests-via-clerk');
    expect(request?.items[0]?.actions).toEqual([
      { kind: 'nudge', recipient: A.sue, state: 'done' },
      { kind: 'route-to-clerk', recipient: A.clerk, state: 'failed', attempts: 1, error: 'the mail server refused it: mailbox full' },
    ]);
  });

  it('gives the template each item with its subject line or title, its summary and its actions in words', () => {
    const rule = (id: string) => built.sections.rules.find((r) => r.rule === id);
    expect(rule('no-blind-copies')?.items).toEqual([
      {
        reference: 'message “Castle Street bins”, sent Wednesday 18 November 2026 at 10:15',
        summary: expect.stringContaining('Cllr Alice Green'),
        private: false,
        actions: 'nudge sent to Cllr Alice Green',
      },
    ]);
    expect(rule('requests-via-clerk')?.items).toEqual([
      {
        reference: 'message “Riverside benches”, sent Wednesday 18 November 2026 at 10:15',
        summary: expect.stringContaining('Cllr Sue Taylor'),
        private: false,
        actions: 'nudge sent to Cllr Sue Taylor; copy for the Clerk could not be sent after 1 attempt: the mail server refused it: mailbox full',
      },
    ]);
    expect(rule('invite-ward-members')?.items).toEqual([
      {
        reference: 'event “Public meeting: parking and deliveries in Market Square”, Thursday 26 November 2026 at 19:00',
        summary: expect.any(String),
        private: false,
        actions: 'invitation sent to Cllr Alice Green; notice sent to Sam Patel',
      },
    ]);
    expect(rule('officer-conduct-raised-properly')?.items).toEqual([
      { reference: PRIVATE_SUMMARY, summary: PRIVATE_SUMMARY, private: true, actions: 'nudge waiting for quiet hours to end (Thursday 19 November 2026 at 08:00)' },
    ]);
    // The template data passes its own schema, items included.
    expect(() => digestTemplateData(built, { engine, config: council })).not.toThrow();
  });

  it('renders each item under its rule, in the text and the HTML part, with its action’s state', () => {
    const message = composeDigest(built, { engine, config: council });
    const html = message.html ?? '';
    expect(message.text).toContain('message “Castle Street bins”, sent Wednesday 18 November 2026 at 10:15: ');
    expect(message.text).toContain('Action: nudge sent to Cllr Alice Green');
    expect(message.text).toContain('copy for the Clerk could not be sent after 1 attempt: the mail server refused it: mailbox full');
    expect(message.text).toMatch(/Raising a concern about an officer[^\n]*\n {4}\* a private matter — details withheld\n {6}Action: nudge waiting for quiet hours to end \(Thursday 19 November 2026 at 08:00\)/);
    expect(html).toContain('<strong>message “Castle Street bins”, sent Wednesday 18 November 2026 at 10:15</strong>: ');
    expect(html).toContain('<br>Action: nudge sent to Cllr Alice Green</li>');
    expect(html).toContain('<li><em>a private matter — details withheld</em><br>Action: nudge waiting for quiet hours to end (Thursday 19 November 2026 at 08:00)</li>');
    // The private matter names neither its subject nor the person nudged.
    for (const part of [message.text, html]) {
      expect(part).not.toContain('Allotment invoices');
      expect(part).not.toMatch(/nudge[^\n<]*to Sam Patel/);
    }
  });

  it('lists what needs a person: unknown wards, failed actions and unreadable items', () => {
    expect(built.sections.needsHuman).toEqual([
      {
        what: expect.stringMatching(/^Wardwatch could not tell which ward the Council’s public meeting “Public meeting: tree planting” concerns/),
        reference: 'council-events: “Public meeting: tree planting” (Tuesday 24 November 2026 at 10:00) — Inviting ward members to public meetings',
      },
      {
        what: 'A copy for the Clerk to clerk@millbrook-tc.gov.uk could not be sent after 1 attempt (the mail server refused it: mailbox full)',
        reference: expect.stringMatching(/^Requests for officers’ work go through the Town Clerk: <test-\d+@millbrook-tc\.gov\.uk>$/),
      },
      { what: 'A message could not be read: it has no headers', reference: 'mail/clerk/inbox/broken.eml' },
    ]);
  });

  it('lists officers awaiting party-group authorisation, upcoming public meetings and who was invited', () => {
    expect(built.sections.awaitingAuthorisation).toEqual([
      { officer: 'Sam Patel', meeting: 'Labour Group meeting – budget 2027/28', date: 'Tuesday 8 December 2026 at 18:00', organiser: 'Cllr Raj Mehta' },
    ]);
    expect(built.sections.upcomingMeetings).toEqual([
      { title: 'Public meeting: tree planting', date: 'Tuesday 24 November 2026 at 10:00', location: 'The old orchard', wards: 'no ward recorded', invited: 'nobody yet' },
      {
        title: 'Public meeting: parking and deliveries in Market Square',
        date: 'Thursday 26 November 2026 at 19:00',
        location: 'Millbrook Library, Castle Street, MB1 2AB',
        wards: 'Castle',
        invited: 'Cllr Tom Brown, j.smith@example.com and Cllr Alice Green (invited by Wardwatch)',
      },
    ]);
  });

  it('names the next pre-election period and each source’s health', () => {
    expect(built.sections.election).toEqual({
      name: 'Northfield by-election',
      start: 'Friday 11 December 2026',
      poll: 'Thursday 21 January 2027',
      wards: 'Northfield',
      current: false,
    });
    expect(built.sections.sources).toEqual([
      { name: 'folder', healthy: true, status: 'last read successfully on Wednesday 18 November 2026 at 19:10' },
      {
        name: 'imap:clerk@millbrook-tc.gov.uk',
        healthy: false,
        status: 'could not be read since Wednesday 18 November 2026 at 18:00 (the server did not answer); Wardwatch will keep trying',
      },
    ]);
  });

  it('lists what stops the running service (a damaged state file, a stuck outbox) before the sources', async () => {
    const withProblems = await buildDigest(
      {
        store,
        engine,
        config: council,
        serviceProblems: () => Promise.resolve([{ what: 'store', since: '2026-11-18T18:30:00.000Z', reason: 'disk full: the state file cannot grow (database or disk is full). Please free space on the disk holding store.path.' }]),
      },
      { date: '2026-11-18', until: UNTIL },
    );
    expect(withProblems.sections.sources[0]).toEqual({
      name: 'the state file',
      healthy: false,
      status: 'failing since Wednesday 18 November 2026 at 18:30: disk full: the state file cannot grow (database or disk is full). Please free space on the disk holding store.path.',
    });
    expect(withProblems.sections.sources.slice(1)).toEqual(built.sections.sources);
    const message = composeDigest(withProblems, { engine, config: council });
    expect(message.text).toContain('disk full: the state file cannot grow');
  });

  it('collects the pending digest entries it lists, and changes nothing in the store', async () => {
    const pending = await store.listEffects({ kinds: ['digest'], states: ['pending'] });
    expect(pending.length).toBe(5);
    expect([...built.digestEffectIds].sort((a, b) => a - b)).toEqual(pending.map((e) => e.id).sort((a, b) => a - b));
    expect(await store.listEffects({ kinds: ['digest'], states: ['pending'] })).toHaveLength(5);
    expect(await store.digestSent('2026-11-18')).toBe(false);
  });

  it('never copies a message body, nor a private finding’s details, into the digest', () => {
    const message = composeDigest(built, { engine, config: council });
    for (const part of [message.subject, message.text, message.html ?? '']) {
      expect(part).not.toContain(BODY_MARKER);
      expect(part).not.toContain('heron');
      expect(part).not.toContain('not up to the job');
      expect(part).not.toContain('Dan is');
      expect(part).not.toContain('Allotment invoices');
    }
    expect(message.text).toContain('Raising a concern about an officer');
    expect(message.html).toContain('Raising a concern about an officer');
  });

  it('renders a message to the digest recipients with its key header and deterministic Message-ID', () => {
    const message = composeDigest(built, { engine, config: council });
    expect(message.to).toEqual([{ address: A.clerk, name: 'Helen Ashworth' }]);
    expect(message.from.address).toBe(A.service);
    expect(message.messageId).toBe(digestMessageId('2026-11-18', A.service));
    expect(message.messageId).toMatch(/^<ww-[0-9a-f]{32}@millbrook-tc\.gov\.uk>$/);
    expect(message.headers).toEqual({ 'X-Wardwatch-Key': digestKey('2026-11-18'), 'Auto-Submitted': 'auto-generated' });
    expect(message.subject).toContain('Wednesday 18 November 2026');
    expect(message.text).toContain('Dear Helen,');
    expect(message.text).toContain('Sam Patel, invited by Cllr Raj Mehta');
  });

  it('greets the Clerk by name when the digest goes to a shared mailbox', () => {
    const office = { ...built, recipients: ['office@millbrook-tc.gov.uk'] };
    const message = composeDigest(office, { engine, config: council });
    expect(message.to).toEqual([{ address: 'office@millbrook-tc.gov.uk' }]);
    expect(message.text).toContain('Dear Helen,');
  });
});

describe('buildDigest periods', () => {
  let bench: StoreBench;
  let store: SqliteStore;
  let clock: FakeClock;
  let pipeline: Pipeline;

  beforeEach(() => {
    bench = new StoreBench();
    store = bench.store();
    clock = new FakeClock(new Date(MORNING));
    pipeline = new Pipeline(store, clock);
  });
  afterEach(async () => await bench.dispose());

  it('covers findings first seen in [since, until), and still lists one whose digest entry is pending', async () => {
    await pipeline.evaluate(items.blindCopy());
    await pipeline.runDue();
    // The first digest lists it and marks its entry digested.
    const first = await buildDigest({ store, engine, config: council }, { date: '2026-11-18', until: '2026-11-18T12:00:00.000Z' });
    expect(first.sections.totals.findings).toBe(1);
    await store.markDigested(first.digestEffectIds, '2026-11-18T12:00:00.000Z', '2026-11-18');

    clock.set('2026-11-18T13:00:00.000Z');
    await pipeline.evaluate(items.request());
    const second = await buildDigest({ store, engine, config: council }, { date: '2026-11-19', since: '2026-11-18T12:00:00.000Z', until: '2026-11-19T07:30:00.000Z' });
    expect(second.sections.rules.map((r) => r.rule)).toEqual(['requests-via-clerk']);
    expect(second.sections.covering).toBe('since Wednesday 18 November 2026 at 12:00');

    // The second digest was never sent: its finding is listed by the next one, through its pending entry.
    const period = { date: '2026-11-20', since: '2026-11-19T07:30:00.000Z', until: '2026-11-20T07:30:00.000Z' };
    const later = await buildDigest({ store, engine, config: council }, period);
    expect(later.sections.rules.map((r) => r.rule)).toEqual(['requests-via-clerk']);
    expect(later.digestEffectIds).toEqual(second.digestEffectIds);
    // Once listed, nothing is left for that period.
    await store.markDigested(later.digestEffectIds, '2026-11-20T07:30:00.000Z', '2026-11-20');
    const empty = await buildDigest({ store, engine, config: council }, period);
    expect(empty.sections.rules).toEqual([]);
    expect(empty.digestEffectIds).toEqual([]);
  });

  it('says "not sent (dry run)" for what a dry run only recorded', async () => {
    const dry = new Pipeline(store, clock, { dryRun: true });
    await dry.evaluate(items.blindCopy());
    const built = await buildDigest({ store, engine, config: council }, { date: '2026-11-18', until: UNTIL });
    expect(built.sections.rules.map((r) => r.actions)).toEqual(['1 nudge not sent (dry run)']);
    expect(built.sections.rules[0]?.items.map((i) => i.actions)).toEqual(['nudge to Cllr Alice Green not sent (dry run)']);
  });

  it('names a message by its Message-ID when its summary is no longer held, and never by its body', async () => {
    const item = items.blindCopy();
    await pipeline.evaluate(item);
    const built = await buildDigest({ store, engine, config: council }, { date: '2026-11-18', until: UNTIL });
    expect(built.sections.rules[0]?.items).toEqual([
      {
        reference: `a message whose subject Wardwatch no longer holds (${item.key})`,
        summary: expect.stringContaining('blind-copied'),
        private: false,
        actions: 'nudge to Cllr Alice Green about to go',
      },
    ]);
    const message = composeDigest(built, { engine, config: council });
    expect(message.text).toContain(`a message whose subject Wardwatch no longer holds (${item.key})`);
    expect(message.text).not.toContain(BODY_MARKER);
  });

  it('leaves out past and cancelled meetings, and a party-group meeting once it has begun', async () => {
    const now = MORNING;
    const past = event({ uid: 'past@x', summary: 'Public meeting: old business', start: '2026-11-17T18:00:00.000Z', location: 'Market Square' });
    const cancelled = event({ uid: 'cancelled@x', summary: 'Public meeting: called off', start: '2026-11-20T18:00:00.000Z', location: 'Market Square', status: 'CANCELLED' });
    for (const e of [past, cancelled]) await store.upsertEvent(eventSummaryOf(e, engine.directory, engine.calendars, now), now);
    await pipeline.evaluate(items.partyGroup());
    const beforeIt = await buildDigest({ store, engine, config: council }, { date: '2026-11-18', until: UNTIL });
    expect(beforeIt.sections.upcomingMeetings).toEqual([]);
    expect(beforeIt.sections.awaitingAuthorisation).toHaveLength(1);
    const afterIt = await buildDigest({ store, engine, config: council }, { date: '2026-12-09', until: '2026-12-09T07:30:00.000Z' });
    expect(afterIt.sections.awaitingAuthorisation).toEqual([]);
  });

  it('says when the pre-election period is under way', async () => {
    const built = await buildDigest({ store, engine, config: council }, { date: '2027-01-04', until: '2027-01-04T07:30:00.000Z' });
    expect(built.sections.election).toMatchObject({ name: 'Northfield by-election', current: true });
  });
});

describe('describeAction', () => {
  const when = (iso: string): string => `at ${iso}`;
  const name = (address: string): string => (address === A.tom ? 'Cllr Tom Brown' : address);

  it('says where each action stands, naming its recipient', () => {
    expect(describeAction({ kind: 'warn', recipient: A.tom, state: 'done' }, name, when)).toBe('warning sent to Cllr Tom Brown');
    expect(describeAction({ kind: 'warn', recipient: A.tom, state: 'waiting', at: 'T1' }, name, when)).toBe(
      'warning to Cllr Tom Brown waiting for quiet hours to end (at T1)',
    );
    expect(describeAction({ kind: 'invite', recipient: A.tom, state: 'failed', attempts: 8, error: 'mailbox full' }, name, when)).toBe(
      'invitation to Cllr Tom Brown could not be sent after 8 attempts: mailbox full',
    );
    expect(describeAction({ kind: 'nudge', recipient: A.tom, state: 'retrying', at: 'T2', attempts: 2, error: 'timed out' }, name, when)).toBe(
      'nudge to Cllr Tom Brown not sent yet after 2 attempts: timed out; trying again at T2',
    );
    expect(describeAction({ kind: 'nudge', recipient: A.tom, state: 'folded' }, name, when)).toBe('nudge to Cllr Tom Brown folded into the daily summary of reminders');
    expect(describeAction({ kind: 'nudge', recipient: A.tom, state: 'queued' }, name, when)).toBe('nudge to Cllr Tom Brown about to go');
  });

  it('uses the words for room bookings and for the Clerk, and names nobody for a private matter', () => {
    expect(describeAction({ kind: 'block', recipient: '', state: 'done' }, name, when)).toBe('room booking declined');
    expect(describeAction({ kind: 'block', recipient: '', state: 'dry-run' }, name, when)).toBe('room booking not declined (dry run)');
    expect(describeAction({ kind: 'route-to-clerk', recipient: A.clerk, state: 'done' }, name, when)).toBe('copy for the Clerk sent');
    expect(describeAction({ kind: 'nudge', recipient: A.tom, state: 'done' }, null, when)).toBe('nudge sent');
    expect(describeAction({ kind: 'nudge', recipient: A.tom, state: 'sending' }, null, when)).toBe('nudge being sent');
  });
});

describe('describeActions', () => {
  it('counts by kind and state, with plurals and the wording for room bookings', () => {
    expect(
      describeActions(
        [
          { kind: 'nudge', recipient: A.sam, state: 'done' },
          { kind: 'nudge', recipient: A.tom, state: 'done' },
          { kind: 'nudge', recipient: A.sue, state: 'folded' },
          { kind: 'block', recipient: '', state: 'done' },
          { kind: 'warn', recipient: A.ben, state: 'retrying' },
        ],
        false,
      ),
    ).toBe('2 nudges sent, 1 nudge folded into a daily summary, 1 warning to be tried again after a failure, 1 room booking declined');
    expect(describeActions([], false)).toBe('listed here only');
  });
});
