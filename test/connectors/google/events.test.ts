/**
 * Google Calendar events mapped onto NormalisedEvents (connectors/google/events.ts). The decisive
 * check: the same meetings written as .ics and read by the engine's calendar parser become exactly
 * the same items (keys, instants, zones, people, occurrences) as the Google JSON mapped here and
 * read by `eventItemsFromNormalised`.
 */
import { describe, expect, it } from 'vitest';
import { googleEventToNormalised, isInstance, isMaster, recurrenceKeyOf, type GoogleEvent } from '../../../connectors/google/events.js';
import { parseCalendar, type ParseCalendarOptions } from '../../../src/items/ical-parse.js';
import { eventItemsFromNormalised, type NormalisedEvent } from '../../../src/items/normalised-event.js';
import type { EventItem } from '../../../src/items/types.js';

const OPTIONS: ParseCalendarOptions = {
  calendarId: 'council-events',
  origin: 'google:clerk@millbrook-tc.gov.uk',
  timeZone: 'Europe/London',
  horizon: { from: '2027-01-01T00:00:00Z', to: '2028-01-01T00:00:00Z' },
};
const CLERK = { email: 'clerk@millbrook-tc.gov.uk', displayName: 'Helen Ashworth' };
const ROOM = 'c_1888chamber0millbrook@resource.calendar.google.com';

/** A single meeting in the Council Chamber (a Workspace room), with every kind of answer; its description written in Google Calendar's editor (HTML). */
const planning: GoogleEvent = {
  kind: 'calendar#event',
  id: 'p1anning0hazel0avenue0aaaa',
  etag: '"3400000000000001"',
  status: 'confirmed',
  iCalUID: 'p1anning0hazel0avenue0aaaa@google.com',
  summary: 'Planning committee: Hazel Avenue',
  description: 'Agenda<br><ol><li>Hazel Avenue &amp; the car&nbsp;park</li><li>Any other <b>business</b></li></ol>',
  location: 'Council Chamber, Town Hall',
  start: { dateTime: '2027-04-20T19:00:00+01:00', timeZone: 'Europe/London' },
  end: { dateTime: '2027-04-20T21:30:00+01:00', timeZone: 'Europe/London' },
  visibility: 'default',
  sequence: 2,
  organizer: { ...CLERK, self: true },
  attendees: [
    { ...CLERK, organizer: true, self: true, responseStatus: 'accepted' },
    { email: 'tom.brown@millbrook-tc.gov.uk', displayName: 'Cllr Tom Brown', responseStatus: 'accepted' },
    { email: 'priya.shah@millbrook-tc.gov.uk', displayName: 'Cllr Priya Shah', optional: true, responseStatus: 'tentative' },
    { email: 'ann.lee@millbrook-tc.gov.uk', displayName: 'Cllr Ann Lee', responseStatus: 'declined', comment: 'Away' },
    { email: 'planning@millbrook-tc.gov.uk', responseStatus: 'needsAction' },
    { email: ROOM, displayName: 'Council Chamber', resource: true, responseStatus: 'accepted' },
  ],
};

/** A weekly surgery in London from GMT into BST (28 March 2027), one occurrence deleted (EXDATE, as Google keeps it) and one moved. */
const surgeryMaster: GoogleEvent = {
  id: 'surgery0north0ward0000000a',
  etag: '"3400000000000002"',
  status: 'confirmed',
  iCalUID: 'surgery0north0ward0000000a@google.com',
  summary: 'North ward surgery',
  description: 'Drop-in surgery for residents of North ward.\nBring letters & photos.',
  location: 'Millbrook Library',
  start: { dateTime: '2027-03-15T19:00:00Z', timeZone: 'Europe/London' },
  end: { dateTime: '2027-03-15T20:00:00Z', timeZone: 'Europe/London' },
  recurrence: ['RRULE:FREQ=WEEKLY;UNTIL=20270426T180000Z;BYDAY=MO', 'EXDATE;TZID=Europe/London:20270329T190000'],
  organizer: CLERK,
  attendees: [{ email: 'tom.brown@millbrook-tc.gov.uk', displayName: 'Cllr Tom Brown', responseStatus: 'accepted' }],
};
const surgeryException: GoogleEvent = {
  id: 'surgery0north0ward0000000a_20270405T180000Z',
  etag: '"3400000000000003"',
  status: 'confirmed',
  iCalUID: 'surgery0north0ward0000000a@google.com',
  recurringEventId: 'surgery0north0ward0000000a',
  originalStartTime: { dateTime: '2027-04-05T19:00:00+01:00', timeZone: 'Europe/London' },
  summary: 'North ward surgery (early start)',
  location: 'Council Chamber',
  start: { dateTime: '2027-04-05T18:30:00+01:00', timeZone: 'Europe/London' },
  end: { dateTime: '2027-04-05T19:30:00+01:00', timeZone: 'Europe/London' },
  organizer: CLERK,
  attendees: [
    { email: 'tom.brown@millbrook-tc.gov.uk', displayName: 'Cllr Tom Brown', responseStatus: 'accepted' },
    { email: ROOM, displayName: 'Council Chamber', resource: true, responseStatus: 'accepted' },
  ],
};

/** An all-day monthly litter pick, the June one moved a week on, a private one cancelled in July. */
const litterMaster: GoogleEvent = {
  id: 'litter0pick0000000000000aa',
  status: 'confirmed',
  iCalUID: 'litter0pick0000000000000aa@google.com',
  summary: 'Litter pick',
  start: { date: '2027-05-03' },
  end: { date: '2027-05-04' },
  recurrence: ['RRULE:FREQ=MONTHLY;COUNT=4;BYDAY=1MO'],
  organizer: CLERK,
};
const litterException: GoogleEvent = {
  id: 'litter0pick0000000000000aa_20270607',
  status: 'confirmed',
  iCalUID: 'litter0pick0000000000000aa@google.com',
  recurringEventId: 'litter0pick0000000000000aa',
  originalStartTime: { date: '2027-06-07' },
  summary: 'Litter pick (moved for the fair)',
  start: { date: '2027-06-14' },
  end: { date: '2027-06-15' },
  visibility: 'private',
  organizer: CLERK,
};

function mapAll(events: readonly GoogleEvent[], cancelled: GoogleEvent['originalStartTime'][] = []): NormalisedEvent[] {
  const masters = new Map(events.filter((e) => isMaster(e)).map((e) => [e.id, e]));
  return events.map((e) => {
    const master = e.recurringEventId ? masters.get(e.recurringEventId) : undefined;
    const out = googleEventToNormalised(e, { ...(master ? { master } : {}), ...(isMaster(e) ? { cancelled: cancelled.flatMap((c) => (c ? [c] : [])) } : {}) });
    if (!out) throw new Error(`${e.id ?? '?'} was not mapped`);
    return out;
  });
}

function withoutHash(items: readonly EventItem[]): Omit<EventItem, 'contentHash'>[] {
  return [...items].sort((a, b) => a.key.localeCompare(b.key)).map(({ contentHash: _hash, ...rest }) => rest);
}

function ics(...lines: string[]): string {
  return ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Google Inc//Google Calendar 70.9054//EN', ...lines, 'END:VCALENDAR', ''].join('\r\n');
}

function sameAsIcs(text: string, events: readonly GoogleEvent[], cancelled: GoogleEvent['originalStartTime'][] = []): EventItem[] {
  const fromIcs = parseCalendar(text, OPTIONS);
  const fromGoogle = eventItemsFromNormalised(mapAll(events, cancelled), OPTIONS);
  expect(fromIcs.problems).toEqual([]);
  expect(fromGoogle.problems).toEqual([]);
  expect(fromIcs.events.length).toBe(events.length);
  expect(withoutHash(fromGoogle.events)).toEqual(withoutHash(fromIcs.events));
  return fromGoogle.events;
}

describe('googleEventToNormalised', () => {
  it('maps a single meeting: instants with their zone, HTML description as text, the room as a room, every answer', () => {
    const n = googleEventToNormalised(planning);
    expect(n).toMatchObject({
      uid: planning.iCalUID,
      start: { dateTime: '2027-04-20T19:00:00+01:00', timeZone: 'Europe/London' },
      description: 'Agenda\nHazel Avenue & the car park\nAny other business',
      sequence: 2,
      status: 'confirmed',
      organizer: { address: CLERK.email, name: CLERK.displayName },
      recurrence: [],
    });
    expect(n?.classification).toBeUndefined();
    expect(n?.attendees?.map((a) => [a.address, a.role, a.partstat, a.cutype ?? null])).toEqual([
      [CLERK.email, 'REQ-PARTICIPANT', 'ACCEPTED', null],
      ['tom.brown@millbrook-tc.gov.uk', 'REQ-PARTICIPANT', 'ACCEPTED', null],
      ['priya.shah@millbrook-tc.gov.uk', 'OPT-PARTICIPANT', 'TENTATIVE', null],
      ['ann.lee@millbrook-tc.gov.uk', 'REQ-PARTICIPANT', 'DECLINED', null],
      ['planning@millbrook-tc.gov.uk', 'REQ-PARTICIPANT', 'NEEDS-ACTION', null],
      [ROOM, 'NON-PARTICIPANT', 'ACCEPTED', 'ROOM'],
    ]);
  });

  it('maps an exception under its series\' UID with its original start as RECURRENCE-ID', () => {
    expect(isInstance(surgeryException)).toBe(true);
    expect(isMaster(surgeryMaster)).toBe(true);
    const n = googleEventToNormalised(surgeryException, { master: surgeryMaster });
    expect(n).toMatchObject({ uid: surgeryMaster.iCalUID, recurrenceId: { dateTime: '2027-04-05T19:00:00+01:00', timeZone: 'Europe/London' }, recurrence: [] });
    expect(recurrenceKeyOf(surgeryMaster.iCalUID ?? '', surgeryException.originalStartTime, 'Europe/London')).toBe('2027-04-05T18:00:00.000Z');
    // Another series' master is refused rather than mis-keyed.
    expect(googleEventToNormalised(surgeryException, { master: litterMaster })).toBeUndefined();
  });

  it('never throws on malformed input: what cannot be keyed or placed is undefined, odd fields are left out', () => {
    expect(googleEventToNormalised({ ...planning, iCalUID: undefined })).toBeUndefined();
    expect(googleEventToNormalised({ ...planning, start: { dateTime: 'next Tuesday' } })).toBeUndefined();
    expect(googleEventToNormalised({ ...planning, start: { date: '2027-02-30' } })).toBeUndefined();
    expect(googleEventToNormalised({ ...surgeryException, originalStartTime: undefined }, { master: surgeryMaster })).toBeUndefined();
    expect(googleEventToNormalised(null as unknown as GoogleEvent)).toBeUndefined();
    const odd = googleEventToNormalised({
      ...planning,
      summary: 7 as unknown as string,
      attendees: [{ email: 'x' }, 'nobody' as unknown as object, { email: 'tom.brown@millbrook-tc.gov.uk', responseStatus: 'maybe' }],
      recurrence: ['X-NONSENSE:1', 'RRULE:FREQ=DAILY;COUNT=2', 4 as unknown as string],
      sequence: -1,
    });
    expect(odd).toMatchObject({ summary: '', attendees: [{ address: 'tom.brown@millbrook-tc.gov.uk', role: 'REQ-PARTICIPANT' }], recurrence: ['RRULE:FREQ=DAILY;COUNT=2'] });
    expect(odd?.sequence).toBeUndefined();
  });
});

describe('a Google event and the same event as .ics are the same engine item', () => {
  it('a single meeting with a room and every kind of answer', () => {
    const [item] = sameAsIcs(
      ics(
        'BEGIN:VEVENT',
        `UID:${planning.iCalUID ?? ''}`,
        'DTSTART;TZID=Europe/London:20270420T190000',
        'DTEND;TZID=Europe/London:20270420T213000',
        'SEQUENCE:2',
        'SUMMARY:Planning committee: Hazel Avenue',
        'DESCRIPTION:Agenda\\nHazel Avenue & the car park\\nAny other business',
        'LOCATION:Council Chamber\\, Town Hall',
        'STATUS:CONFIRMED',
        'ORGANIZER;CN=Helen Ashworth:mailto:clerk@millbrook-tc.gov.uk',
        'ATTENDEE;CN=Helen Ashworth;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED:mailto:clerk@millbrook-tc.gov.uk',
        'ATTENDEE;CN=Cllr Tom Brown;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED:mailto:tom.brown@millbrook-tc.gov.uk',
        'ATTENDEE;CN=Cllr Priya Shah;ROLE=OPT-PARTICIPANT;PARTSTAT=TENTATIVE:mailto:priya.shah@millbrook-tc.gov.uk',
        'ATTENDEE;CN=Cllr Ann Lee;ROLE=REQ-PARTICIPANT;PARTSTAT=DECLINED:mailto:ann.lee@millbrook-tc.gov.uk',
        'ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION:mailto:planning@millbrook-tc.gov.uk',
        `ATTENDEE;CN=Council Chamber;CUTYPE=ROOM;ROLE=NON-PARTICIPANT;PARTSTAT=ACCEPTED:mailto:${ROOM}`,
        'END:VEVENT',
      ),
      [planning],
    );
    expect(item).toMatchObject({ key: planning.iCalUID, start: '2027-04-20T18:00:00.000Z', end: '2027-04-20T20:30:00.000Z', timeZone: 'Europe/London' });
  });

  it('a weekly series across the clock change, with a deleted occurrence, a moved one and a cancelled one', () => {
    const items = sameAsIcs(
      ics(
        'BEGIN:VEVENT',
        `UID:${surgeryMaster.iCalUID ?? ''}`,
        'DTSTART;TZID=Europe/London:20270315T190000',
        'DTEND;TZID=Europe/London:20270315T200000',
        'RRULE:FREQ=WEEKLY;UNTIL=20270426T180000Z;BYDAY=MO',
        'EXDATE;TZID=Europe/London:20270329T190000',
        // The occurrence of 19 April, cancelled (a cancelled exception in Google).
        'EXDATE:20270419T180000Z',
        'SUMMARY:North ward surgery',
        'DESCRIPTION:Drop-in surgery for residents of North ward.\\nBring letters & photos.',
        'LOCATION:Millbrook Library',
        'STATUS:CONFIRMED',
        'ORGANIZER;CN=Helen Ashworth:mailto:clerk@millbrook-tc.gov.uk',
        'ATTENDEE;CN=Cllr Tom Brown;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED:mailto:tom.brown@millbrook-tc.gov.uk',
        'END:VEVENT',
        'BEGIN:VEVENT',
        `UID:${surgeryMaster.iCalUID ?? ''}`,
        'RECURRENCE-ID;TZID=Europe/London:20270405T190000',
        'DTSTART;TZID=Europe/London:20270405T183000',
        'DTEND;TZID=Europe/London:20270405T193000',
        'SUMMARY:North ward surgery (early start)',
        'LOCATION:Council Chamber',
        'STATUS:CONFIRMED',
        'ORGANIZER;CN=Helen Ashworth:mailto:clerk@millbrook-tc.gov.uk',
        'ATTENDEE;CN=Cllr Tom Brown;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED:mailto:tom.brown@millbrook-tc.gov.uk',
        `ATTENDEE;CN=Council Chamber;CUTYPE=ROOM;ROLE=NON-PARTICIPANT;PARTSTAT=ACCEPTED:mailto:${ROOM}`,
        'END:VEVENT',
      ),
      [surgeryMaster, surgeryException],
      [{ dateTime: '2027-04-19T19:00:00+01:00', timeZone: 'Europe/London' }],
    );
    expect(items.map((i) => i.key).sort()).toEqual([surgeryMaster.iCalUID, `${surgeryMaster.iCalUID ?? ''}#2027-04-05T18:00:00.000Z`]);
    expect(items.find((i) => i.recurring)?.occurrences.map((o) => o.start)).toEqual([
      '2027-03-15T19:00:00.000Z',
      '2027-03-22T19:00:00.000Z',
      '2027-04-12T18:00:00.000Z',
      '2027-04-26T18:00:00.000Z',
    ]);
  });

  it('an all-day monthly series with a moved private occurrence', () => {
    const items = sameAsIcs(
      ics(
        'BEGIN:VEVENT',
        `UID:${litterMaster.iCalUID ?? ''}`,
        'DTSTART;VALUE=DATE:20270503',
        'DTEND;VALUE=DATE:20270504',
        'RRULE:FREQ=MONTHLY;COUNT=4;BYDAY=1MO',
        'SUMMARY:Litter pick',
        'STATUS:CONFIRMED',
        'ORGANIZER;CN=Helen Ashworth:mailto:clerk@millbrook-tc.gov.uk',
        'END:VEVENT',
        'BEGIN:VEVENT',
        `UID:${litterMaster.iCalUID ?? ''}`,
        'RECURRENCE-ID;VALUE=DATE:20270607',
        'DTSTART;VALUE=DATE:20270614',
        'DTEND;VALUE=DATE:20270615',
        'SUMMARY:Litter pick (moved for the fair)',
        'STATUS:CONFIRMED',
        'CLASS:PRIVATE',
        'ORGANIZER;CN=Helen Ashworth:mailto:clerk@millbrook-tc.gov.uk',
        'END:VEVENT',
      ),
      [litterMaster, litterException],
    );
    const exception = items.find((i) => !i.recurring);
    expect(exception?.key).toBe(`${litterMaster.iCalUID ?? ''}#${recurrenceKeyOf(litterMaster.iCalUID ?? '', litterException.originalStartTime, 'Europe/London') ?? ''}`);
  });
});
