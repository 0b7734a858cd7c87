import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import ICAL from 'ical.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createExecutor } from '../../src/actions/executor.js';
import { PermanentEffectError } from '../../src/outbox/outbox.js';
import { A, event } from '../support/council.js';
import { ActionBench, FakeCalendarSource, rawMail, type Written } from './harness.js';

const FRIDAY_MORNING = '2026-11-20T10:00:00.000Z';
const APRIL_MONDAY = '2027-04-12T09:00:00.000Z';

let bench: ActionBench;
afterEach(async () => await bench?.dispose());

function blindCopy(messageId = '<bcc-1@millbrook-tc.gov.uk>', subject = 'Castle Street bins'): Buffer {
  return rawMail({
    messageId,
    from: 'Cllr Alice Green <alice.green@millbrook-tc.gov.uk>',
    to: ['Sam Patel <sam.patel@millbrook-tc.gov.uk>'],
    bcc: ['raj.mehta@millbrook-tc.gov.uk'],
    subject,
    body: 'Hi Sam,\n\nResidents of Castle Street tell me the bins were missed again on Monday. What can be done?\n\nThanks,\nAlice',
  });
}

function request(messageId = '<req-1@millbrook-tc.gov.uk>'): Buffer {
  return rawMail({
    messageId,
    from: 'Cllr Alice Green <alice.green@millbrook-tc.gov.uk>',
    to: ['Sam Patel <sam.patel@millbrook-tc.gov.uk>'],
    subject: 'Castle Street bins',
    body: 'Hi Sam,\n\nThe bins on Castle Street were missed again on Monday. Could you arrange an extra collection this week and let the residents know?\n\nThanks,\nAlice',
  });
}

const parkingMeeting = {
  uid: 'parking-2026@millbrook-tc.gov.uk',
  calendarId: 'council-events',
  organizer: A.sam,
  summary: 'Public meeting: parking and deliveries in Market Square',
  location: 'Millbrook Library, Castle Street, MB1 2AB',
  description: 'Residents and traders are invited to discuss the proposed loading bays. Officers will present the survey results and take questions.',
  start: '2026-12-03T19:00:00.000Z',
  attendees: [A.tom, A.resident],
};

const aliceInChamber = {
  uid: 'market-square-future@millbrook-tc.gov.uk',
  calendarId: 'alice-green',
  organizer: A.alice,
  summary: 'Public meeting: the future of Market Square',
  location: 'Council Chamber, Market Square',
  start: '2027-04-15T18:30:00.000Z',
  attendees: [`room:${A.chamber}`, 'castle.traders@example.org'],
};

function expectEffectMessage(w: Written, effect: { key: string; messageId: string }): void {
  expect(w.mail.messageId).toBe(effect.messageId);
  expect(w.key).toBe(effect.key);
  expect(w.mail.from?.value[0]).toEqual({ address: A.service, name: 'Millbrook Town Council protocol' });
}

describe('nudge, warn, notify-clerk and route-to-clerk', () => {
  it('nudges the sender of a blind copy: one message from the service address, naming the clause', async () => {
    bench = new ActionBench({ now: FRIDAY_MORNING });
    const { findings } = await bench.recordMail(blindCopy(), { mailbox: A.alice, folder: 'sent' });
    expect(findings.map((f) => f.rule)).toEqual(['no-blind-copies']);
    const report = await bench.run();
    const nudge = await bench.effect('nudge', A.alice);
    expect(report.done).toEqual([nudge.key]);
    const written = await bench.written();
    expect(written).toHaveLength(1);
    const [w] = written;
    if (!w) throw new Error('nothing written');
    expectEffectMessage(w, nudge);
    expect(w.to).toEqual([A.alice]);
    expect(w.mail.subject).toContain('copying councillors openly');
    expect(w.mail.subject).toContain('Castle Street bins');
    expect(w.mail.text).toContain('Dear Councillor Green,');
    expect(w.mail.text).toContain('paragraph 12.1');
    expect(w.mail.text).toContain('What to do instead');
    expect(w.mail.html).toContain('paragraph 12.1');
    expect((await bench.store.getEffect(nudge.key))?.state).toBe('done');
    // The digest entry is left for the digest.
    expect((await bench.effect('digest')).state).toBe('pending');
  });

  it('routes a request to the Clerk with the original attached as message/rfc822, and nudges the member', async () => {
    bench = new ActionBench({ now: FRIDAY_MORNING });
    const source = request();
    const { findings } = await bench.recordMail(source, { mailbox: A.alice, folder: 'sent' });
    expect(findings.map((f) => f.rule)).toEqual(['requests-via-clerk']);
    await bench.run();
    const route = await bench.effect('route-to-clerk', A.clerk);
    const nudge = await bench.effect('nudge', A.alice);
    const copy = await bench.writtenWithId(route.messageId);
    expectEffectMessage(copy, route);
    expect(copy.to).toEqual([A.clerk]);
    expect(copy.mail.subject).toBe('For your attention: “Castle Street bins”');
    expect(copy.mail.text).toContain('From: Cllr Alice Green <alice.green@millbrook-tc.gov.uk>');
    expect(copy.mail.text).toContain('To: Sam Patel <sam.patel@millbrook-tc.gov.uk>');
    expect(copy.mail.text).toMatch(/paragraphs? .*4\.6/);
    const attached = copy.mail.attachments.find((a) => a.contentType === 'message/rfc822');
    expect(attached?.filename).toBe('original-message.eml');
    expect(attached?.content.toString('utf8')).toContain('Message-ID: <req-1@millbrook-tc.gov.uk>');
    expect(attached?.content.toString('utf8')).toContain('Could you arrange an extra collection');
    const reminder = await bench.writtenWithId(nudge.messageId);
    expect(reminder.to).toEqual([A.alice]);
    expect(reminder.mail.attachments).toHaveLength(0);
  });

  it('names the message by the headline saved with it, without reading the original again', async () => {
    bench = new ActionBench({ now: FRIDAY_MORNING });
    // The stored original is not a message at all: only the headline can name it.
    await bench.recordMail(request('<req-3@millbrook-tc.gov.uk>'), { mailbox: A.alice, folder: 'sent' }, { original: Buffer.from('\u0000\u0001 not mail') });
    await bench.run();
    const copy = await bench.writtenWithId((await bench.effect('route-to-clerk', A.clerk)).messageId);
    expect(copy.mail.subject).toBe('For your attention: “Castle Street bins”');
    expect(copy.mail.text).toContain('From: Cllr Alice Green <alice.green@millbrook-tc.gov.uk>');
    expect(copy.mail.text).toContain('To: Sam Patel <sam.patel@millbrook-tc.gov.uk>');
    expect(copy.mail.text).not.toContain('could not be read');
  });

  it('reads the headline from the original when it was saved without one (before headlines were kept)', async () => {
    bench = new ActionBench({ now: FRIDAY_MORNING });
    await bench.recordMail(request('<req-4@millbrook-tc.gov.uk>'), { mailbox: A.alice, folder: 'sent' }, { withoutHeadline: true });
    expect(await bench.store.getMailHeadline('<req-4@millbrook-tc.gov.uk>')).toBeUndefined();
    await bench.run();
    const copy = await bench.writtenWithId((await bench.effect('route-to-clerk', A.clerk)).messageId);
    expect(copy.mail.subject).toBe('For your attention: “Castle Street bins”');
    expect(copy.mail.text).toContain('To: Sam Patel <sam.patel@millbrook-tc.gov.uk>');
    expect(copy.mail.attachments.find((a) => a.contentType === 'message/rfc822')?.content.toString('utf8')).toContain('Message-ID: <req-4@millbrook-tc.gov.uk>');
  });

  it('reads the headline from the original when the state file holds an unreadable one', async () => {
    bench = new ActionBench({ now: FRIDAY_MORNING });
    await bench.recordMail(request('<req-5@millbrook-tc.gov.uk>'), { mailbox: A.alice, folder: 'sent' });
    const db = new Database(path.join(bench.dir, 'state', 'wardwatch.sqlite'));
    db.prepare('UPDATE originals SET headline = ? WHERE item_key = ?').run('{"subject": 3}', '<req-5@millbrook-tc.gov.uk>');
    db.close();
    await expect(bench.store.getMailHeadline('<req-5@millbrook-tc.gov.uk>')).rejects.toThrow(/unexpected data/);
    await bench.run();
    const copy = await bench.writtenWithId((await bench.effect('route-to-clerk', A.clerk)).messageId);
    expect(copy.mail.subject).toBe('For your attention: “Castle Street bins”');
    expect(copy.mail.text).toContain('To: Sam Patel <sam.patel@millbrook-tc.gov.uk>');
  });

  it('sends the cover note without the original when the store no longer holds it, and says why', async () => {
    bench = new ActionBench({ now: FRIDAY_MORNING });
    await bench.recordMail(request('<req-2@millbrook-tc.gov.uk>'), { mailbox: A.alice, folder: 'sent' }, { keepOriginal: false });
    await bench.run();
    const route = await bench.effect('route-to-clerk', A.clerk);
    const copy = await bench.writtenWithId(route.messageId);
    expect(copy.mail.attachments).toHaveLength(0);
    expect(copy.mail.text).toContain('The original message could not be attached, because Wardwatch no longer holds a copy of the message <req-2@millbrook-tc.gov.uk>');
    expect(copy.mail.text).toContain('(subject not available)');
  });

  it('warns the sender of confidential mail sent outside and tells the Clerk what was done', async () => {
    bench = new ActionBench({ now: FRIDAY_MORNING });
    const source = rawMail({
      messageId: '<conf-1@millbrook-tc.gov.uk>',
      from: 'Dan Okafor <dan.okafor@millbrook-tc.gov.uk>',
      to: ['d.okafor1987@example.com'],
      subject: 'CONFIDENTIAL: staffing review',
      body: 'Sending this to my home address so I can read it tonight.\n\nDan',
      extraHeaders: ['Sensitivity: Company-Confidential'],
    });
    const { findings } = await bench.recordMail(source, { mailbox: A.dan, folder: 'sent' });
    expect(findings.map((f) => f.rule)).toContain('confidential-stays-internal');
    await bench.run();
    const warn = await bench.effect('warn', A.dan);
    const notice = await bench.effect('notify-clerk', A.clerk);
    const warning = await bench.writtenWithId(warn.messageId);
    expectEffectMessage(warning, warn);
    expect(warning.to).toEqual([A.dan]);
    expect(warning.mail.text).toContain('paragraph 10.7');
    const clerk = await bench.writtenWithId(notice.messageId);
    expectEffectMessage(clerk, notice);
    expect(clerk.to).toEqual([A.clerk]);
    expect(clerk.mail.subject).toContain('CONFIDENTIAL: staffing review');
    expect(clerk.mail.text).toMatch(/A warning (was sent|is being sent) to Dan Okafor\./);
    expect(clerk.mail.text).toContain('It will be listed in the next daily digest.');
  });
});

describe('invite', () => {
  it('adds the missing member to the organiser\'s event where the source can, and sends the invitation message', async () => {
    bench = new ActionBench({ now: FRIDAY_MORNING });
    const source = new FakeCalendarSource('caldav', { addAttendees: true, declineBooking: false });
    bench.sources.set('council-events', source);
    const { findings } = await bench.recordEvent(event(parkingMeeting));
    expect(findings.map((f) => f.rule)).toEqual(['invite-ward-members']);
    await bench.run();
    expect(source.addAttendeesCalls).toEqual([
      {
        // Where the source keeps the event, as the store recorded it when it was judged.
        ref: { calendarId: 'council-events', uid: 'parking-2026@millbrook-tc.gov.uk', origin: 'test:parking-2026@millbrook-tc.gov.uk' },
        attendees: [{ address: A.alice, name: 'Cllr Alice Green' }],
      },
    ]);
    const invite = await bench.effect('invite', A.alice);
    const invitation = await bench.writtenWithId(invite.messageId);
    expectEffectMessage(invitation, invite);
    expect(invitation.to).toEqual([A.alice]);
    expect(invitation.mail.subject).toContain('Invitation: “Public meeting: parking and deliveries in Market Square”');
    expect(invitation.mail.text).toContain('as a member for Castle');
    expect(invitation.mail.text).toContain('arranged by Sam Patel');
    expect(invitation.raw).not.toContain('text/calendar');
    // The organiser is told who was invited.
    const notify = await bench.effect('notify', A.sam);
    const notice = await bench.writtenWithId(notify.messageId);
    expectEffectMessage(notice, notify);
    expect(notice.to).toEqual([A.sam]);
    expect(notice.mail.text).toContain('9.3');
    expect(notice.mail.text).toContain('Cllr Alice Green');
    expect((await bench.store.listAudit({ effectKey: invite.key })).some((a) => a.outcome.includes('was added to the event on the caldav calendar'))).toBe(true);
  });

  it('sends an iMIP REQUEST with the event UID when the source cannot add attendees', async () => {
    bench = new ActionBench({ now: FRIDAY_MORNING });
    bench.sources.set('council-events', new FakeCalendarSource('folder', { addAttendees: false, declineBooking: false }));
    await bench.recordEvent(event(parkingMeeting));
    await bench.run();
    const invite = await bench.effect('invite', A.alice);
    const invitation = await bench.writtenWithId(invite.messageId);
    expectEffectMessage(invitation, invite);
    expect(invitation.raw).toMatch(/Content-Type: text\/calendar; charset=utf-8; method=REQUEST/);
    const ics = invitation.mail.attachments.find((a) => a.contentType.startsWith('text/calendar') || a.contentType === 'application/ics');
    expect(ics).toBeDefined();
    const calendar = new ICAL.Component(ICAL.parse(ics?.content.toString('utf8') ?? ''));
    expect(calendar.getFirstPropertyValue('method')).toBe('REQUEST');
    const vevent = calendar.getFirstSubcomponent('vevent');
    expect(vevent?.getFirstPropertyValue('uid')).toBe('parking-2026@millbrook-tc.gov.uk');
    expect(vevent?.getFirstPropertyValue('summary')).toBe('Public meeting: parking and deliveries in Market Square');
    expect(vevent?.getFirstProperty('organizer')?.getFirstValue()).toBe(`mailto:${A.sam}`);
    const attendee = vevent?.getFirstProperty('attendee');
    expect(attendee?.getFirstValue()).toBe(`mailto:${A.alice}`);
    expect(attendee?.getParameter('rsvp')).toBe('TRUE');
    expect(ics?.content.toString('utf8')).toContain('DTSTART:20261203T190000Z');
  });

  it('gives the source the event\'s href and ETag as read, and the iMIP fallback its SEQUENCE, all-day dates and organiser\'s name', async () => {
    bench = new ActionBench({ now: FRIDAY_MORNING });
    const source = new FakeCalendarSource('caldav', { addAttendees: true, declineBooking: false });
    bench.sources.set('council-events', source);
    const href = 'https://dav.millbrook-tc.gov.uk/protocol%40millbrook-tc.gov.uk/council-events/parking.ics';
    const read = { ...event(parkingMeeting), origin: href, etag: '"etag-7"', sequence: 4 };
    await bench.recordEvent(read);
    await bench.run();
    expect(source.addAttendeesCalls[0]?.ref).toEqual({ calendarId: 'council-events', uid: 'parking-2026@millbrook-tc.gov.uk', origin: href, etag: '"etag-7"' });

    await bench.dispose();
    bench = new ActionBench({ now: FRIDAY_MORNING });
    bench.sources.set('council-events', new FakeCalendarSource('folder', { addAttendees: false, declineBooking: false }));
    const fair = event({ ...parkingMeeting, uid: 'fair-2026@millbrook-tc.gov.uk', organizer: 'events@millbrook-tc.gov.uk', start: '2026-12-05T00:00:00.000Z', end: '2026-12-06T00:00:00.000Z' });
    await bench.recordEvent({ ...fair, allDay: true, sequence: 2, organizer: { address: 'events@millbrook-tc.gov.uk', name: 'Castle Traders' } });
    await bench.run();
    const invitation = await bench.writtenWithId((await bench.effect('invite', A.alice)).messageId);
    const ics = invitation.mail.attachments.find((a) => a.contentType.startsWith('text/calendar'))?.content.toString('utf8') ?? '';
    const vevent = new ICAL.Component(ICAL.parse(ics)).getFirstSubcomponent('vevent');
    expect(vevent?.getFirstPropertyValue('sequence')).toBe(2);
    expect(ics).toContain('DTSTART;VALUE=DATE:20261205');
    expect(vevent?.getFirstProperty('organizer')?.getParameter('cn')).toBe('Castle Traders');
  });

  it('sends no invitation for an event organised from outside the Council, whose replies would go to them', async () => {
    bench = new ActionBench({ now: FRIDAY_MORNING });
    const source = new FakeCalendarSource('caldav', { addAttendees: true, declineBooking: false });
    bench.sources.set('council-events', source);
    const outsider = { address: 'events@castle-traders.example.org', name: 'Castle Traders' };
    // The rule itself asks the Clerk instead of inviting.
    expect((await bench.recordEvent({ ...event(parkingMeeting), organizer: outsider })).findings).toEqual([]);
    // An invitation planned while the event was the Council's own, carried out after the event was
    // re-read with an outside organiser, is not sent either.
    await bench.recordEvent(event(parkingMeeting));
    const summary = await bench.store.getEvent(event(parkingMeeting).key);
    if (!summary) throw new Error('the event summary was not stored');
    await bench.store.upsertEvent({ ...summary, organizer: outsider.address }, FRIDAY_MORNING);
    const report = await bench.run();
    const invite = await bench.effect('invite', A.alice);
    expect(report.failed).toContain(invite.key);
    expect((await bench.store.getEffect(invite.key))?.lastError).toBe(
      "Cllr Alice Green was not invited: the event is organised by events@castle-traders.example.org, who is outside the Council, and replies to the invitation would go to them. Please check the event and invite the member yourself if it is the Council's meeting.",
    );
    expect(source.addAttendeesCalls).toEqual([]);
    expect(bench.files().some((f) => f.includes(invite.messageId.slice(1, 20)))).toBe(false);
  });

  it('fails for good, asking for a hand invitation, when neither the source nor the store knows the event', async () => {
    bench = new ActionBench({ now: FRIDAY_MORNING });
    await bench.recordEvent(event(parkingMeeting), { keepSummary: false });
    const report = await bench.run();
    const invite = await bench.effect('invite', A.alice);
    expect(report.failed).toContain(invite.key);
    const row = await bench.store.getEffect(invite.key);
    expect(row?.state).toBe('failed');
    expect(row?.attempts).toBe(1);
    expect(row?.lastError).toContain('Please invite them by hand');
    expect(bench.files().some((f) => f.includes(invite.messageId.slice(1, 20)))).toBe(false);
  });
});

describe('block', () => {
  it('declines the room booking with a reason citing the clause, tells the organiser and the Clerk', async () => {
    bench = new ActionBench({ now: APRIL_MONDAY });
    const room = new FakeCalendarSource('graph', { addAttendees: false, declineBooking: true });
    bench.sources.set('council-chamber', room);
    const { findings } = await bench.recordEvent(event(aliceInChamber));
    expect(findings.map((f) => f.rule)).toContain('no-ward-meetings-before-elections');
    await bench.run();
    expect(room.declineCalls).toHaveLength(1);
    const [call] = room.declineCalls;
    expect(call?.ref).toEqual({ calendarId: 'council-chamber', uid: 'market-square-future@millbrook-tc.gov.uk', origin: '' });
    expect(call?.roomAddress).toBe(A.chamber);
    expect(call?.reason).toBe(
      'Declined by Millbrook Town Council: no ward surgeries or public meetings in the pre-election period (paragraph 9.4b of Knutsford Town Council’s Member/Officer Protocol).',
    );
    const block = await bench.effect('block');
    expect((await bench.store.getEffect(block.key))?.state).toBe('done');
    const declined = await bench.writtenWithId(block.messageId);
    expectEffectMessage(declined, block);
    expect(declined.to).toEqual([A.alice]);
    expect(declined.mail.subject).toBe('Room booking declined: “Public meeting: the future of Market Square”');
    expect(declined.mail.text).toContain('Your booking of Council Chamber');
    expect(declined.mail.text).toContain('Town council elections');
    expect(declined.mail.text).toContain('Thursday 6 May 2027');
    expect(declined.mail.text).toContain('9.4b');
    const notice = await bench.effect('notify-clerk', A.clerk);
    const clerk = await bench.writtenWithId(notice.messageId);
    expect(clerk.to).toEqual([A.clerk]);
  });

  /** Every message to the Clerk about the booking, with its text. */
  async function clerkMessages(): Promise<Written[]> {
    return (await bench.written()).filter((w) => w.to.includes(A.clerk) && w.key?.startsWith('ww1;no-ward-meetings-before-elections;') === true);
  }

  const NOTHING_TO_DO = 'There is nothing you need to do';

  it('declined: the one notice to the Clerk says so and asks nothing of the Clerk', async () => {
    bench = new ActionBench({ now: APRIL_MONDAY });
    bench.sources.set('council-chamber', new FakeCalendarSource('graph', { addAttendees: false, declineBooking: true }));
    await bench.recordEvent(event(aliceInChamber));
    await bench.run();
    const toClerk = await clerkMessages();
    expect(toClerk).toHaveLength(1);
    const text = toClerk[0]?.mail.text ?? '';
    expect(text).toMatch(/The booking of Council Chamber (was|is being) declined, and Cllr Alice Green (was|will be) told why\./);
    expect(text).toContain(NOTHING_TO_DO);
    expect(text).not.toContain('by hand');
  });

  it('cannot be declined: one message to the Clerk, saying exactly what to do by hand, never "nothing to do"', async () => {
    bench = new ActionBench({ now: APRIL_MONDAY });
    await bench.recordEvent(event(aliceInChamber));
    const report = await bench.run();
    const block = await bench.effect('block');
    expect(report.done).toContain(block.key);
    const warning = await bench.writtenWithId(block.messageId);
    expect(warning.to).toEqual([A.alice]);
    expect(warning.key).toBe(block.key);
    expect(warning.mail.text).toContain('9.4b');
    const toClerk = await clerkMessages();
    expect(toClerk).toHaveLength(1);
    const text = toClerk[0]?.mail.text ?? '';
    expect(text).toMatch(/(could not|cannot) be declined automatically, because Wardwatch is not connected to the Council Chamber calendar/);
    expect(text).toContain('What you need to do:');
    expect(text).toContain('Please decline the booking of Council Chamber by hand, in the room’s calendar, if it should not go ahead, and let Cllr Alice Green know.');
    expect(text).not.toContain(NOTHING_TO_DO);
    expect(toClerk[0]?.mail.html).not.toContain(NOTHING_TO_DO);
    expect((await bench.written()).every((w) => w.bcc.length === 0)).toBe(true);
  });

  it('cannot be declined and the finding has no notice to the Clerk: the block itself asks the Clerk, once', async () => {
    bench = new ActionBench({ now: APRIL_MONDAY, config: { rules: { 'no-ward-meetings-before-elections': { actions: ['block'] } } } });
    await bench.recordEvent(event(aliceInChamber));
    await bench.run();
    const block = await bench.effect('block');
    const toClerk = await clerkMessages();
    expect(toClerk).toHaveLength(1);
    expect(toClerk[0]?.key).toBe(block.key);
    const text = toClerk[0]?.mail.text ?? '';
    expect(text).toContain('The booking of Council Chamber cannot be declined automatically');
    expect(text).toContain('Please decline the booking of Council Chamber by hand');
    expect(text).not.toContain(NOTHING_TO_DO);
  });

  it('the decline failed for good: the notice to the Clerk asks for it by hand', async () => {
    bench = new ActionBench({ now: APRIL_MONDAY });
    const room = new FakeCalendarSource('graph', { addAttendees: false, declineBooking: true });
    room.failNext = new PermanentEffectError('the room mailbox refused the change');
    bench.sources.set('council-chamber', room);
    await bench.recordEvent(event(aliceInChamber));
    // The block is tried (and fails) before the notice to the Clerk is written.
    await bench.run();
    expect((await bench.store.getEffect((await bench.effect('block')).key))?.state).toBe('failed');
    const toClerk = await clerkMessages();
    expect(toClerk).toHaveLength(1);
    const text = toClerk[0]?.mail.text ?? '';
    expect(text).toContain('Wardwatch tried to decline the booking of Council Chamber but could not (the room mailbox refused the change).');
    expect(text).toContain('Please decline the booking of Council Chamber by hand');
    expect(text).not.toContain(NOTHING_TO_DO);
  });

  it('after a failure half-way, the retry sends only what did not go out', async () => {
    bench = new ActionBench({ now: APRIL_MONDAY, config: { rules: { 'no-ward-meetings-before-elections': { actions: ['block'] } } } });
    await bench.recordEvent(event(aliceInChamber));
    const block = await bench.effect('block');
    // The block runs: its warning to the organiser goes out, then its note to the Clerk fails.
    const seen: string[] = [];
    const failing = {
      name: 'flaky',
      send: async (m: Parameters<typeof bench.sender.send>[0]) => {
        seen.push(m.messageId);
        if (seen.length === 2) throw new Error('connection reset');
        await bench.sender.send(m);
      },
      alreadySent: (id: string) => bench.sender.alreadySent(id),
      close: async () => {},
    };
    const first = await bench.run({ sender: failing });
    expect(first.retrying).toEqual([block.key]);
    expect(seen[0]).toBe(block.messageId);
    expect((await bench.written()).filter((w) => w.key === block.key)).toHaveLength(1);
    bench.advance(10 * 60_000);
    const second = await bench.run({ sender: failing });
    expect(second.done).toContain(block.key);
    const written = await bench.written();
    expect(written.filter((w) => w.key === block.key)).toHaveLength(2);
    expect(new Set(written.map((w) => w.mail.messageId)).size).toBe(written.length);
  });
});

describe('notify and the authorisation request', () => {
  it('tells the Clerk a way to authorise that Wardwatch reads: doing exactly that stops the request', async () => {
    bench = new ActionBench({
      now: FRIDAY_MORNING,
      config: { rules: { 'party-group-attendance-authorised': { options: { authorisedCategories: ['Approved by the Clerk'] } } } },
    });
    const meeting = event({
      uid: 'labour-budget@millbrook-tc.gov.uk',
      calendarId: 'raj-mehta',
      organizer: A.raj,
      summary: 'Labour Group meeting – budget 2027/28',
      location: 'Committee Room 2, Town Hall',
      start: '2026-12-08T18:00:00.000Z',
      attendees: [A.raj, A.sam],
    });
    await bench.recordEvent(meeting);
    await bench.run();
    const request = await bench.writtenWithId((await bench.effect('notify-clerk', A.clerk)).messageId);
    const text = request.mail.text ?? '';
    // No way offered that nothing reads.
    expect(text).not.toMatch(/reply to this message (saying|to)/i);
    expect(text).toContain('A reply to this message is not read by Wardwatch.');
    const category = /To authorise: add the category “([^”]+)” to the meeting/.exec(text)?.[1];
    expect(category).toBe('Approved by the Clerk');
    // The Clerk does exactly what the message says: the rule now sees the authorisation.
    const authorised = { ...meeting, categories: [...meeting.categories, category ?? ''] };
    const after = bench.engine.evaluate(authorised, bench.now().toISOString()).findings;
    expect(after.filter((f) => f.rule === 'party-group-attendance-authorised')).toEqual([]);
    // Recorded as the service records the changed event: nothing is left awaiting authorisation.
    await bench.recordEvent({ ...authorised, contentHash: `${meeting.contentHash}-authorised` });
    expect(await bench.store.getFindings(meeting.key, 'party-group-attendance-authorised')).toEqual([]);
  });

  it('asks the Clerk to authorise an officer at a party-group meeting and tells the officer', async () => {
    bench = new ActionBench({ now: FRIDAY_MORNING });
    const { findings } = await bench.recordEvent(
      event({
        uid: 'labour-budget@millbrook-tc.gov.uk',
        calendarId: 'raj-mehta',
        organizer: A.raj,
        summary: 'Labour Group meeting – budget 2027/28',
        location: 'Committee Room 2, Town Hall',
        start: '2026-12-08T18:00:00.000Z',
        attendees: [A.raj, A.sam, 'labour.agent@example.org'],
      }),
    );
    expect(findings.map((f) => f.rule)).toContain('party-group-attendance-authorised');
    await bench.run();
    const ask = await bench.effect('notify-clerk', A.clerk);
    const request = await bench.writtenWithId(ask.messageId);
    expectEffectMessage(request, ask);
    expect(request.to).toEqual([A.clerk]);
    expect(request.mail.text).toContain('8.14');
    expect(request.mail.text).toContain('Sam Patel');
    expect(request.mail.text).toContain('Clerk authorised');
    expect(request.mail.text).toContain('labour.agent@example.org');
    const tell = await bench.effect('notify', A.sam);
    const officer = await bench.writtenWithId(tell.messageId);
    expectEffectMessage(officer, tell);
    expect(officer.to).toEqual([A.sam]);
    expect(officer.mail.text).toContain('8.14');
    expect(officer.mail.text).toContain('Cllr Raj Mehta');
  });
});

describe('the daily summary of folded nudges', () => {
  it('lists the nudges over the cap in one message the next morning', async () => {
    bench = new ActionBench({ now: FRIDAY_MORNING, config: { limits: { nudgesPerPersonPerDay: 1 } } });
    await bench.recordMail(blindCopy('<bcc-a@millbrook-tc.gov.uk>', 'Castle Street bins'), { mailbox: A.alice, folder: 'sent' });
    await bench.recordMail(blindCopy('<bcc-b@millbrook-tc.gov.uk>', 'Market Square benches'), { mailbox: A.alice, folder: 'sent' });
    await bench.recordMail(blindCopy('<bcc-c@millbrook-tc.gov.uk>', 'Library opening hours'), { mailbox: A.alice, folder: 'sent' });
    await bench.run();
    expect(bench.files()).toHaveLength(1);
    const summary = (await bench.effects()).find((e) => e.rule === 'daily-summary');
    expect(summary).toBeDefined();
    bench.setNow('2026-11-23T09:00:00.000Z');
    const report = await bench.run();
    expect(report.done).toEqual([summary?.key]);
    const message = await bench.writtenWithId(summary?.messageId ?? '');
    expect(message.to).toEqual([A.alice]);
    expect(message.key).toBe(summary?.key);
    expect(message.mail.text).toContain('Market Square benches');
    expect(message.mail.text).toContain('Library opening hours');
    expect(message.mail.text).not.toContain('Castle Street bins');
  });
});

describe('dry run', () => {
  it('records what would be done and writes nothing', async () => {
    bench = new ActionBench({ now: FRIDAY_MORNING, config: { dryRun: true } });
    await bench.recordMail(request(), { mailbox: A.alice, folder: 'sent' }, { dryRun: true });
    await bench.recordEvent(event(parkingMeeting), { dryRun: true });
    const report = await bench.run();
    expect(report.done).toEqual([]);
    expect(bench.files()).toEqual([]);
    expect((await bench.effects()).filter((e) => e.kind !== 'digest').every((e) => e.state === 'skipped-dry-run')).toBe(true);
    expect((await bench.effects()).length).toBeGreaterThan(3);
  });

  it('refuses to send an effect queued before dry run was turned on', async () => {
    bench = new ActionBench({ now: FRIDAY_MORNING, config: { dryRun: true } });
    await bench.recordMail(request(), { mailbox: A.alice, folder: 'sent' });
    const report = await bench.run();
    expect(report.done).toEqual([]);
    expect(report.retrying.length).toBeGreaterThan(0);
    expect(bench.files()).toEqual([]);
    expect((await bench.store.getEffect((await bench.effect('nudge', A.alice)).key))?.lastError).toContain('Dry run is on');
  });
});

describe('hostile content', () => {
  it('keeps a subject with line breaks and markup out of the headers and escapes it in HTML', async () => {
    bench = new ActionBench({ now: FRIDAY_MORNING });
    const hostile = 'Bins\r\nBcc: everyone@example.com\r\nX-Injected: yes <script>alert(1)</script>';
    const encoded = `=?UTF-8?B?${Buffer.from(hostile, 'utf8').toString('base64')}?=`;
    const { item } = await bench.recordMail(blindCopy('<bcc-hostile@millbrook-tc.gov.uk>', encoded), { mailbox: A.alice, folder: 'sent' });
    expect(item.subject).toContain('Bcc: everyone@example.com');
    expect(item.subject).toContain('<script>');
    await bench.run();
    const [w] = await bench.written();
    if (!w) throw new Error('nothing written');
    expect(w.bcc).toEqual([]);
    expect(w.to).toEqual([A.alice]);
    expect(w.mail.headers.has('x-injected')).toBe(false);
    expect(w.mail.subject).not.toMatch(/[\r\n]/);
    expect(w.mail.subject).toContain('Bins Bcc: everyone@example.com X-Injected: yes');
    expect(w.raw).not.toMatch(/^Bcc:/im);
    expect(w.mail.html).not.toContain('<script>');
    expect(w.mail.html).toContain('&lt;script&gt;');
  });
});

describe('failures', () => {
  it('retries a transient failure after the back-off and sends exactly once', async () => {
    bench = new ActionBench({ now: FRIDAY_MORNING });
    await bench.recordMail(blindCopy(), { mailbox: A.alice, folder: 'sent' });
    bench.sender.failures.push(new Error('connect ECONNREFUSED 127.0.0.1:25'));
    const first = await bench.run();
    const nudge = await bench.effect('nudge', A.alice);
    expect(first.retrying).toEqual([nudge.key]);
    expect(bench.files()).toEqual([]);
    expect(await bench.run()).toEqual({ done: [], retrying: [], failed: [], inDoubt: [] });
    bench.advance(61_000);
    const second = await bench.run();
    expect(second.done).toEqual([nudge.key]);
    expect(bench.files()).toHaveLength(1);
    expect((await bench.store.getEffect(nudge.key))?.attempts).toBe(2);
    expect(await bench.run()).toEqual({ done: [], retrying: [], failed: [], inDoubt: [] });
  });

  it('fails a permanent error once, without retrying', async () => {
    bench = new ActionBench({ now: FRIDAY_MORNING });
    await bench.recordMail(blindCopy(), { mailbox: A.alice, folder: 'sent' });
    bench.sender.failures.push(new PermanentEffectError('The mail server refused the message for good: 550 5.1.1 User unknown'));
    const first = await bench.run();
    const nudge = await bench.effect('nudge', A.alice);
    expect(first.failed).toEqual([nudge.key]);
    bench.advance(24 * 3600_000);
    expect(await bench.run()).toEqual({ done: [], retrying: [], failed: [], inDoubt: [] });
    const row = await bench.store.getEffect(nudge.key);
    expect(row?.state).toBe('failed');
    expect(row?.attempts).toBe(1);
    expect(row?.lastError).toContain('User unknown');
    expect(bench.files()).toEqual([]);
  });

  it("treats a broken template as permanent, naming the Clerk's file", async () => {
    const overrides = path.join(tmpdir(), `wardwatch-broken-templates-${process.pid}`);
    mkdirSync(overrides, { recursive: true });
    writeFileSync(path.join(overrides, 'no-blind-copies.hbs'), 'Subject: {{#if item.subject}}\n--- text ---\nx\n--- html ---\nx\n');
    try {
      bench = new ActionBench({ now: FRIDAY_MORNING, templatesDir: overrides });
      await bench.recordMail(blindCopy(), { mailbox: A.alice, folder: 'sent' });
      const report = await bench.run();
      const nudge = await bench.effect('nudge', A.alice);
      expect(report.failed).toEqual([nudge.key]);
      const row = await bench.store.getEffect(nudge.key);
      expect(row?.attempts).toBe(1);
      expect(row?.lastError).toContain('The message template could not be used');
      expect(row?.lastError).toContain('no-blind-copies.hbs');
      expect(bench.files()).toEqual([]);
    } finally {
      rmSync(overrides, { recursive: true, force: true });
    }
  });

  it('sends nothing, and says so in the audit, when the finding no longer holds', async () => {
    bench = new ActionBench({ now: FRIDAY_MORNING });
    const { item } = await bench.recordMail(blindCopy(), { mailbox: A.alice, folder: 'sent' });
    // The item is judged again and the finding is gone (the member was copied openly after all).
    await bench.outbox.record({ key: item.key, contentHash: 'changed' }, []);
    const report = await bench.run();
    const nudge = await bench.effect('nudge', A.alice);
    expect(report.done).toEqual([nudge.key]);
    expect(bench.files()).toEqual([]);
    expect((await bench.store.listAudit({ effectKey: nudge.key })).some((a) => a.outcome.includes('the finding no longer holds'))).toBe(true);
  });

  it('refuses a digest effect: the digest lists those', async () => {
    bench = new ActionBench({ now: FRIDAY_MORNING });
    await bench.recordMail(blindCopy(), { mailbox: A.alice, folder: 'sent' });
    const digest = await bench.effect('digest');
    await expect(createExecutor(bench.executorDeps())(digest)).rejects.toBeInstanceOf(PermanentEffectError);
    expect(bench.files()).toEqual([]);
  });
});
