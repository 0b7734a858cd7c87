/**
 * Edits of calendar objects and the iMIP messages built from them (no servers involved).
 */
import { describe, expect, test } from 'vitest';
import { addAttendees, declineRoom, itipMessage } from '../../../connectors/imap/ical-edit.js';
import { cancellationMessages, declinedReplyMessage, invitationMessage, type ImipContext } from '../../../connectors/imap/imip.js';

const D = 'millbrook-tc.gov.uk';
const now = new Date('2027-03-01T12:00:00Z');

const LONDON = [
  'BEGIN:VTIMEZONE',
  'TZID:Europe/London',
  'BEGIN:DAYLIGHT',
  'TZOFFSETFROM:+0000',
  'TZOFFSETTO:+0100',
  'TZNAME:BST',
  'DTSTART:19700329T010000',
  'RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU',
  'END:DAYLIGHT',
  'BEGIN:STANDARD',
  'TZOFFSETFROM:+0100',
  'TZOFFSETTO:+0000',
  'TZNAME:GMT',
  'DTSTART:19701025T020000',
  'RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU',
  'END:STANDARD',
  'END:VTIMEZONE',
];

function calendar(events: string[][]): string {
  return ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Millbrook//Test//EN', ...LONDON, ...events.flatMap((e) => ['BEGIN:VEVENT', ...e, 'END:VEVENT']), 'END:VCALENDAR', ''].join('\r\n');
}

const series = calendar([
  [
    'UID:surgery@millbrook',
    'DTSTAMP:20270101T000000Z',
    'DTSTART;TZID=Europe/London:20270601T180000',
    'DTEND;TZID=Europe/London:20270601T190000',
    'RRULE:FREQ=WEEKLY;COUNT=3',
    'SUMMARY:Riverside ward surgery',
    'LOCATION:Mill Lane Hall',
    `ORGANIZER;CN=Cllr Raj Mehta:mailto:raj.mehta@${D}`,
    `ATTENDEE;CUTYPE=ROOM;PARTSTAT=ACCEPTED:mailto:chamber@${D}`,
    'SEQUENCE:4',
  ],
  [
    'UID:surgery@millbrook',
    'DTSTAMP:20270101T000000Z',
    'RECURRENCE-ID;TZID=Europe/London:20270608T180000',
    'DTSTART;TZID=Europe/London:20270608T190000',
    'DTEND;TZID=Europe/London:20270608T200000',
    'SUMMARY:Riverside ward surgery (later)',
    `ORGANIZER;CN=Cllr Raj Mehta:mailto:raj.mehta@${D}`,
    `ATTENDEE;CUTYPE=ROOM;PARTSTAT=ACCEPTED:mailto:chamber@${D}`,
  ],
]);

function unfold(ics: string): string[] {
  return ics.replace(/\r?\n[ \t]/g, '').split(/\r?\n/);
}

function vevents(ics: string): string[] {
  return ics.replace(/\r?\n[ \t]/g, '').split('BEGIN:VEVENT').slice(1);
}

describe('adding attendees', () => {
  test('adds to the series and its overrides, skips people already there and the organiser, and bumps SEQUENCE', () => {
    const edit = addAttendees(series, { uid: 'surgery@millbrook' }, [{ address: `Sue.Taylor@${D}`, name: 'Cllr Sue Taylor' }, { address: `raj.mehta@${D}` }], now);
    expect(edit.added).toEqual([{ address: `sue.taylor@${D}`, name: 'Cllr Sue Taylor' }]);
    const [master, override] = vevents(edit.ics);
    for (const part of [master, override]) {
      expect(part).toContain(`ATTENDEE;CN=Cllr Sue Taylor;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CUTYPE=INDIVIDUAL:mailto:sue.taylor@${D}`);
      expect(part).toContain('DTSTAMP:20270301T120000Z');
    }
    expect(master).toContain('SEQUENCE:5');
    expect(override).toContain('SEQUENCE:1');
    expect(edit.event).toMatchObject({ uid: 'surgery@millbrook', summary: 'Riverside ward surgery', start: '2027-06-01T17:00:00.000Z', sequence: 5 });

    const again = addAttendees(edit.ics, { uid: 'surgery@millbrook' }, [{ address: `sue.taylor@${D}` }], now);
    expect(again.added).toEqual([]);
  });

  test('finds an occurrence by its RECURRENCE-ID in UTC, whatever zone it was written in', () => {
    const edit = addAttendees(series, { uid: 'surgery@millbrook', recurrenceId: '2027-06-08T17:00:00.000Z' }, [{ address: `sue.taylor@${D}` }], now);
    const [master, override] = vevents(edit.ics);
    expect(master).not.toContain('sue.taylor');
    expect(override).toContain(`mailto:sue.taylor@${D}`);
    expect(edit.event.recurrenceId).toBe('2027-06-08T17:00:00.000Z');
  });

  test('explains an unknown event, an unknown occurrence and text that is not iCalendar', () => {
    expect(() => addAttendees(series, { uid: 'other@millbrook' }, [], now)).toThrow('The event other@millbrook is not in the calendar object.');
    expect(() => addAttendees(series, { uid: 'surgery@millbrook', recurrenceId: '2027-06-15T17:00:00Z' }, [], now)).toThrow(/occurrence of surgery@millbrook at 2027-06-15T17:00:00.000Z/);
    expect(() => addAttendees('not a calendar', { uid: 'x' }, [], now)).toThrow(/could not be read as iCalendar/);
  });
});

describe('declining a room booking', () => {
  const reason = 'Ward meetings are not held in the pre-election period.';

  test('sets the room\'s PARTSTAT to DECLINED with the reason, once', () => {
    const d = declineRoom(series, { uid: 'surgery@millbrook' }, `CHAMBER@${D}`, reason, now);
    expect(d).toMatchObject({ changed: true, outcome: 'declined' });
    for (const part of vevents(d.ics)) {
      expect(part).toContain(`ATTENDEE;CUTYPE=ROOM;PARTSTAT=DECLINED:mailto:chamber@${D}`);
      expect(part).toContain(`COMMENT:${reason}`);
      expect(part).not.toContain('STATUS:CANCELLED');
    }
    const again = declineRoom(d.ics, { uid: 'surgery@millbrook' }, `chamber@${D}`, reason, now);
    expect(again.changed).toBe(false);
    expect(again.ics).toBe(d.ics);
  });

  test('cancels the event when the room organised it, or when no room address is known', () => {
    const organised = calendar([['UID:b@millbrook', 'DTSTAMP:20270101T000000Z', 'DTSTART:20270320T180000Z', 'SUMMARY:Residents meeting', `ORGANIZER:mailto:chamber@${D}`, `ATTENDEE:mailto:alice.green@${D}`]]);
    const d = declineRoom(organised, { uid: 'b@millbrook' }, `chamber@${D}`, reason, now);
    expect(d.outcome).toBe('cancelled');
    expect(unfold(d.ics)).toEqual(expect.arrayContaining(['STATUS:CANCELLED', 'SEQUENCE:1', `COMMENT:${reason}`]));
    expect(declineRoom(organised, { uid: 'b@millbrook' }, undefined, reason, now).outcome).toBe('cancelled');
  });

  test('refuses when the room has nothing to do with the event', () => {
    expect(() => declineRoom(series, { uid: 'surgery@millbrook' }, `community.room@${D}`, reason, now)).toThrow(/neither an attendee nor the organiser/);
  });
});

describe('iTIP and iMIP', () => {
  const ctx: ImipContext = { serviceAddress: `protocol@${D}`, councilName: 'Millbrook Town Council', timeZone: 'Europe/London' };

  test('a REPLY keeps only the replying attendee; a REQUEST for an occurrence only that occurrence', () => {
    const reply = unfold(itipMessage(series, { uid: 'surgery@millbrook' }, 'REPLY', `chamber@${D}`));
    expect(reply).toContain('METHOD:REPLY');
    expect(reply.filter((l) => l.startsWith('ATTENDEE'))).toHaveLength(2);
    const request = itipMessage(series, { uid: 'surgery@millbrook', recurrenceId: '2027-06-08T17:00:00Z' }, 'REQUEST');
    expect(vevents(request)).toHaveLength(1);
    expect(request).toContain('RECURRENCE-ID;TZID=Europe/London:20270608T180000');
    expect(request).toContain('BEGIN:VTIMEZONE');
  });

  test('an invitation is polite, dated in the council\'s zone, and has a Message-ID fixed by what it is about', () => {
    const edit = addAttendees(series, { uid: 'surgery@millbrook' }, [{ address: `sue.taylor@${D}`, name: 'Cllr Sue Taylor' }], now);
    const m = invitationMessage(ctx, edit.ics, { uid: 'surgery@millbrook' }, { address: `sue.taylor@${D}`, name: 'Cllr Sue Taylor' }, edit.event);
    expect(m.subject).toBe('Invitation: Riverside ward surgery');
    expect(m.text).toContain('Dear Cllr Sue Taylor,');
    expect(m.text).toContain('You are invited to "Riverside ward surgery" at Mill Lane Hall on Tuesday 1 June 2027 at 18:00.');
    expect(m.text).toContain('arranged by Cllr Raj Mehta');
    expect(m.calendar?.method).toBe('REQUEST');
    expect(m.calendar?.content).toContain('METHOD:REQUEST');
    expect(m.headers['X-Wardwatch-Key']).toBe(`imip:REQUEST:surgery@millbrook:sue.taylor@${D}`);
    expect(m.messageId).toMatch(new RegExp(`^<imip\\.[0-9a-f]{40}@${D.replace(/\./g, '\\.')}>$`));
    const same = invitationMessage(ctx, edit.ics, { uid: 'surgery@millbrook' }, { address: `sue.taylor@${D}` }, edit.event);
    expect(same.messageId).toBe(m.messageId);
    expect(m.html).toContain('&quot;Riverside ward surgery&quot;');
  });

  test('the room\'s reply goes to the organiser; a cancellation to every attendee but the room', () => {
    const d = declineRoom(series, { uid: 'surgery@millbrook' }, `chamber@${D}`, 'Pre-election period.', now);
    const reply = declinedReplyMessage(ctx, d.ics, { uid: 'surgery@millbrook' }, `chamber@${D}`, d.event, 'Pre-election period.');
    expect(reply?.to).toEqual([{ address: `raj.mehta@${D}`, name: 'Cllr Raj Mehta' }]);
    expect(reply?.subject).toBe('Declined: Riverside ward surgery');
    expect(reply?.text).toContain('Reason: Pre-election period.');
    expect(reply?.calendar?.method).toBe('REPLY');

    const organised = calendar([['UID:b@millbrook', 'DTSTAMP:20270101T000000Z', 'DTSTART:20270320T180000Z', 'SUMMARY:Residents meeting', `ORGANIZER:mailto:chamber@${D}`, `ATTENDEE;CN=Cllr Alice Green:mailto:alice.green@${D}`, `ATTENDEE:mailto:chamber@${D}`]]);
    const c = declineRoom(organised, { uid: 'b@millbrook' }, `chamber@${D}`, 'Pre-election period.', now);
    const notices = cancellationMessages(ctx, c.ics, { uid: 'b@millbrook' }, `chamber@${D}`, c.event, 'Pre-election period.');
    expect(notices.map((n) => n.to[0]?.address)).toEqual([`alice.green@${D}`]);
    expect(notices[0]?.subject).toBe('Cancelled: Residents meeting');
    expect(notices[0]?.calendar?.content).toContain('METHOD:CANCEL');
  });
});
