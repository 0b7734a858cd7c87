/**
 * Graph events mapped onto NormalisedEvents (connectors/graph/events.ts). The decisive check is
 * the last block but one: the same meetings written by hand as .ics and read by the engine's
 * calendar parser become exactly the same items (keys, instants, zones, people, occurrences) as
 * the Graph JSON mapped here and read by `eventItemsFromNormalised`. The last block checks every
 * Graph property the mapper reads against Microsoft's published v1.0 schema.
 */
import { readFileSync } from 'node:fs';
import type { Event, PatternedRecurrence } from '@microsoft/microsoft-graph-types';
import { beforeAll, describe, expect, it } from 'vitest';
import { eventKind, graphEventToNormalised, isSeriesInstance, recurrenceLines } from '../../../connectors/graph/events.js';
import { parseCalendar, type ParseCalendarOptions } from '../../../src/items/ical-parse.js';
import { eventItemsFromNormalised, type NormalisedEvent } from '../../../src/items/normalised-event.js';
import type { EventItem } from '../../../src/items/types.js';
import { propertyType, readCsdl, schemaProblems, type CsdlType } from '../../graph-sim/index.js';

const OPTIONS: ParseCalendarOptions = {
  calendarId: 'council-events',
  origin: 'graph:clerk@millbrook-tc.gov.uk',
  timeZone: 'Europe/London',
  horizon: { from: '2027-01-01T00:00:00Z', to: '2028-01-01T00:00:00Z' },
};

const CLERK = { name: 'Helen Ashworth', address: 'clerk@millbrook-tc.gov.uk' };
const TOM = { name: 'Cllr Tom Brown', address: 'tom.brown@millbrook-tc.gov.uk' };
const PRIYA = { name: 'Cllr Priya Shah', address: 'priya.shah@millbrook-tc.gov.uk' };
const CHAMBER = { name: 'Council Chamber', address: 'chamber@millbrook-tc.gov.uk' };
const PROJECTOR = { name: 'Projector', address: 'projector@millbrook-tc.gov.uk' };
const ANSWERED = '2027-04-01T09:00:00Z';

/** What Outlook puts at the top of every HTML body. */
const OUTLOOK_HEAD =
  '<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"><style type="text/css" style="display:none">P {margin-top:0;margin-bottom:0;}</style></head>';

// ---------------------------------------------------------------------------------------------
// Fixtures: Graph events as v1.0 returns them with Prefer: outlook.timezone="UTC"

/** A single meeting in the Council Chamber (booked as a room), with a projector and every kind of answer. */
const planning: Event = {
  id: 'AAMkAGI2-planning',
  type: 'singleInstance',
  iCalUId: '040000008200E00074C5B7101A82E00800000000A1B2C3D4E5F6A701000000000000000010000000PLANNING',
  subject: 'Planning committee: Hazel Avenue',
  bodyPreview: 'Agenda 1. Hazel Avenue & the car park 2. Any other business',
  body: {
    contentType: 'html',
    content: `${OUTLOOK_HEAD}<body dir="ltr"><p>Agenda</p><ol><li>Hazel Avenue &amp; the car&nbsp;park</li><li>Any other <b>business</b></li></ol><!-- note --></body></html>`,
  },
  start: { dateTime: '2027-04-20T18:00:00.0000000', timeZone: 'UTC' },
  end: { dateTime: '2027-04-20T20:30:00.0000000', timeZone: 'UTC' },
  originalStartTimeZone: 'GMT Standard Time',
  originalEndTimeZone: 'GMT Standard Time',
  isAllDay: false,
  isCancelled: false,
  showAs: 'busy',
  sensitivity: 'normal',
  location: { displayName: 'Council Chamber; Teams', locationType: 'default' },
  locations: [
    { displayName: 'Council Chamber', locationType: 'conferenceRoom', locationEmailAddress: CHAMBER.address, uniqueIdType: 'directory' },
    { displayName: 'Teams', locationType: 'default' },
  ],
  categories: ['Planning', 'North Ward'],
  organizer: { emailAddress: CLERK },
  attendees: [
    { type: 'required', status: { response: 'accepted', time: ANSWERED }, emailAddress: TOM },
    { type: 'optional', status: { response: 'tentativelyAccepted', time: ANSWERED }, emailAddress: PRIYA },
    { type: 'required', status: { response: 'declined', time: ANSWERED }, emailAddress: { name: 'Cllr Ann Lee', address: 'ann.lee@millbrook-tc.gov.uk' } },
    { type: 'required', status: { response: 'none', time: '0001-01-01T00:00:00Z' }, emailAddress: { name: 'Planning Officer', address: 'planning@millbrook-tc.gov.uk' } },
    { type: 'resource', status: { response: 'accepted', time: ANSWERED }, emailAddress: CHAMBER },
    { type: 'resource', status: { response: 'notResponded', time: '0001-01-01T00:00:00Z' }, emailAddress: PROJECTOR },
  ],
};

/** A weekly surgery in London: it starts in GMT and carries on into BST (30 March 2027). */
const surgeryMaster: Event = {
  id: 'AAMkAGI2-surgery-master',
  type: 'seriesMaster',
  iCalUId: '040000008200E00074C5B7101A82E00800000000D0A1B2C3D4E5F601000000000000000010000000SURGERY',
  subject: 'North ward surgery',
  bodyPreview: 'Drop-in surgery for residents of North ward. Bring letters & photos.',
  body: {
    contentType: 'html',
    content: `${OUTLOOK_HEAD}<body dir="ltr"><div>Drop-in surgery for residents of North ward.</div><div><br></div><div>Bring letters &amp; photos.</div></body></html>`,
  },
  start: { dateTime: '2027-03-15T19:00:00.0000000', timeZone: 'UTC' },
  end: { dateTime: '2027-03-15T20:00:00.0000000', timeZone: 'UTC' },
  originalStartTimeZone: 'GMT Standard Time',
  originalEndTimeZone: 'GMT Standard Time',
  isAllDay: false,
  isCancelled: false,
  showAs: 'busy',
  sensitivity: 'normal',
  location: { displayName: 'Millbrook Library', locationType: 'default' },
  locations: [{ displayName: 'Millbrook Library', locationType: 'default' }],
  categories: ['North Ward'],
  organizer: { emailAddress: CLERK },
  attendees: [
    { type: 'required', status: { response: 'accepted', time: ANSWERED }, emailAddress: TOM },
    { type: 'optional', status: { response: 'none', time: '0001-01-01T00:00:00Z' }, emailAddress: PRIYA },
  ],
  recurrence: {
    pattern: { type: 'weekly', interval: 1, month: 0, dayOfMonth: 0, daysOfWeek: ['monday'], firstDayOfWeek: 'sunday', index: 'first' },
    range: { type: 'endDate', startDate: '2027-03-15', endDate: '2027-04-26', recurrenceTimeZone: 'GMT Standard Time', numberOfOccurrences: 0 },
  },
  // The occurrence of 29 March was deleted.
  cancelledOccurrences: ['OID.AAMkAGI2-surgery-master.2027-03-29'],
};

/** The surgery of 5 April, moved to the Council Chamber and half an hour earlier. */
const surgeryException: Event = {
  id: 'AAMkAGI2-surgery-0405',
  type: 'exception',
  seriesMasterId: 'AAMkAGI2-surgery-master',
  // Graph gives each instance an iCalUId of its own; iCalendar keys it by the master's UID.
  iCalUId: '040000008200E00074C5B7101A82E00807E3040500000000000000000000000010000000SURGERY',
  // As Graph has been seen to give it: seven decimals and no Z (19:00 BST).
  originalStart: '2027-04-05T18:00:00.0000000',
  originalStartTimeZone: 'GMT Standard Time',
  originalEndTimeZone: 'GMT Standard Time',
  subject: 'North ward surgery (early start)',
  body: { contentType: 'text', content: 'Moved to the Council Chamber this week.\r\n' },
  start: { dateTime: '2027-04-05T17:30:00.0000000', timeZone: 'UTC' },
  end: { dateTime: '2027-04-05T18:30:00.0000000', timeZone: 'UTC' },
  isAllDay: false,
  isCancelled: false,
  showAs: 'busy',
  sensitivity: 'normal',
  location: { displayName: 'Council Chamber', locationType: 'conferenceRoom', locationEmailAddress: CHAMBER.address },
  categories: ['North Ward'],
  organizer: { emailAddress: CLERK },
  attendees: [
    { type: 'required', status: { response: 'accepted', time: ANSWERED }, emailAddress: TOM },
    { type: 'resource', status: { response: 'accepted', time: ANSWERED }, emailAddress: CHAMBER },
  ],
};

/** An all-day series on the first Monday of the month, four times; June's moved to the Tuesday. */
const litterPickMaster: Event = {
  id: 'AAMkAGI2-litter-master',
  type: 'seriesMaster',
  iCalUId: '040000008200E00074C5B7101A82E00800000000LITTER',
  subject: 'Litter pick',
  start: { dateTime: '2027-05-03T00:00:00.0000000', timeZone: 'UTC' },
  end: { dateTime: '2027-05-04T00:00:00.0000000', timeZone: 'UTC' },
  originalStartTimeZone: 'GMT Standard Time',
  originalEndTimeZone: 'GMT Standard Time',
  isAllDay: true,
  showAs: 'free',
  sensitivity: 'normal',
  organizer: { emailAddress: CLERK },
  recurrence: {
    pattern: { type: 'relativeMonthly', interval: 1, daysOfWeek: ['monday'], index: 'first', firstDayOfWeek: 'sunday' },
    range: { type: 'numbered', startDate: '2027-05-03', numberOfOccurrences: 4, recurrenceTimeZone: 'GMT Standard Time' },
  },
};

const litterPickException: Event = {
  id: 'AAMkAGI2-litter-0607',
  type: 'exception',
  seriesMasterId: 'AAMkAGI2-litter-master',
  iCalUId: '040000008200E00074C5B7101A82E00807E3060700000000LITTER',
  // Local midnight of 7 June (BST), as an instant.
  originalStart: '2027-06-06T23:00:00Z',
  originalStartTimeZone: 'GMT Standard Time',
  subject: 'Litter pick (bank holiday week)',
  start: { dateTime: '2027-06-08T00:00:00.0000000', timeZone: 'UTC' },
  end: { dateTime: '2027-06-09T00:00:00.0000000', timeZone: 'UTC' },
  isAllDay: true,
  showAs: 'free',
  sensitivity: 'normal',
  organizer: { emailAddress: CLERK },
};

/** A private all-day event that was cancelled. */
const cancelledVisit: Event = {
  id: 'AAMkAGI2-visit',
  type: 'singleInstance',
  iCalUId: 'visit-2027@millbrook-tc.gov.uk',
  subject: 'Site visit: allotments',
  start: { dateTime: '2027-07-16T00:00:00.0000000', timeZone: 'UTC' },
  end: { dateTime: '2027-07-17T00:00:00.0000000', timeZone: 'UTC' },
  isAllDay: true,
  isCancelled: true,
  sensitivity: 'private',
  showAs: 'free',
};

const ALL_FIXTURES: Record<string, Event> = { planning, surgeryMaster, surgeryException, litterPickMaster, litterPickException, cancelledVisit };

/** Each event mapped, instances with the master they name (as the connector does). */
function mapAll(events: readonly Event[]): NormalisedEvent[] {
  const masters = new Map(events.filter((e) => e.type === 'seriesMaster').map((e) => [e.id, e]));
  return events.map((e) => {
    const master = e.seriesMasterId ? masters.get(e.seriesMasterId) : undefined;
    const mapped = graphEventToNormalised(e, master ? { master } : {});
    if (!mapped) throw new Error(`${e.id ?? '?'} was not mapped`);
    return mapped;
  });
}

function withoutHash(items: readonly EventItem[]): Omit<EventItem, 'contentHash'>[] {
  return [...items].sort((a, b) => a.key.localeCompare(b.key)).map(({ contentHash: _hash, ...rest }) => rest);
}

function ics(...lines: string[]): string {
  return ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN', ...lines, 'END:VCALENDAR', ''].join('\r\n');
}

/** The .ics read by the calendar parser and the Graph JSON mapped and read: the same items. */
function sameAsIcs(text: string, events: readonly Event[]): EventItem[] {
  const fromIcs = parseCalendar(text, OPTIONS);
  const fromGraph = eventItemsFromNormalised(mapAll(events), OPTIONS);
  expect(fromIcs.problems).toEqual([]);
  expect(fromGraph.problems).toEqual([]);
  expect(fromIcs.events.length).toBe(events.length);
  expect(withoutHash(fromGraph.events)).toEqual(withoutHash(fromIcs.events));
  return fromGraph.events;
}

function mapped(event: Event, master?: Event): NormalisedEvent {
  const out = graphEventToNormalised(event, master ? { master } : {});
  expect(out).toBeDefined();
  return out as NormalisedEvent;
}

// ---------------------------------------------------------------------------------------------

describe('graphEventToNormalised: one event', () => {
  it('maps a single meeting: instants in the organiser\'s zone, text from the HTML body, places, people', () => {
    expect(mapped(planning)).toEqual({
      uid: planning.iCalUId,
      summary: 'Planning committee: Hazel Avenue',
      description: 'Agenda\nHazel Avenue & the car park\nAny other business',
      location: 'Council Chamber; Teams',
      categories: ['Planning', 'North Ward'],
      start: { dateTime: '2027-04-20T18:00:00Z', timeZone: 'Europe/London' },
      end: { dateTime: '2027-04-20T20:30:00Z', timeZone: 'Europe/London' },
      status: 'confirmed',
      classification: 'public',
      organizer: CLERK,
      attendees: [
        { ...TOM, role: 'REQ-PARTICIPANT', partstat: 'ACCEPTED' },
        { ...PRIYA, role: 'OPT-PARTICIPANT', partstat: 'TENTATIVE' },
        { name: 'Cllr Ann Lee', address: 'ann.lee@millbrook-tc.gov.uk', role: 'REQ-PARTICIPANT', partstat: 'DECLINED' },
        { name: 'Planning Officer', address: 'planning@millbrook-tc.gov.uk', role: 'REQ-PARTICIPANT', partstat: 'NEEDS-ACTION' },
        { ...CHAMBER, cutype: 'ROOM', role: 'NON-PARTICIPANT', partstat: 'ACCEPTED' },
        { ...PROJECTOR, cutype: 'RESOURCE', role: 'NON-PARTICIPANT', partstat: 'NEEDS-ACTION' },
      ],
      recurrence: [],
    });
  });

  it.each<[string, Event, Partial<NormalisedEvent>]>([
    ['all-day: dates, not instants', cancelledVisit, { start: { date: '2027-07-16' }, end: { date: '2027-07-17' } }],
    ['cancelled', cancelledVisit, { status: 'cancelled' }],
    ['private', cancelledVisit, { classification: 'private' }],
    ['personal is private', { ...planning, sensitivity: 'personal' }, { classification: 'private' }],
    ['confidential', { ...planning, sensitivity: 'confidential' }, { classification: 'confidential' }],
    ['shown as tentative', { ...planning, showAs: 'tentative' }, { status: 'tentative' }],
    ['cancelled wins over tentative', { ...planning, showAs: 'tentative', isCancelled: true }, { status: 'cancelled' }],
    ['a zone other than UTC is read in that zone', { ...planning, start: { dateTime: '2027-04-20T19:00:00.0000000', timeZone: 'GMT Standard Time' } }, { start: { dateTime: '2027-04-20T18:00:00Z', timeZone: 'Europe/London' } }],
    ['an IANA zone too', { ...planning, start: { dateTime: '2027-04-20T14:00:00', timeZone: 'America/New_York' } }, { start: { dateTime: '2027-04-20T18:00:00Z', timeZone: 'Europe/London' } }],
    ['an unknown zone is passed on as written, for the parser to read as it reads a TZID', { ...planning, start: { dateTime: '2027-04-20T19:00:00.0000000', timeZone: 'Customized Time Zone 7' } }, { start: { dateTime: '2027-04-20T19:00:00', timeZone: 'Customized Time Zone 7' } }],
    ['no original zone: UTC', { ...planning, originalStartTimeZone: null, originalEndTimeZone: null }, { start: { dateTime: '2027-04-20T18:00:00Z', timeZone: 'UTC' } }],
    ['a text body is kept as it is', { ...planning, body: { contentType: 'text', content: 'Line one\r\nLine two' } }, { description: 'Line one\nLine two' }],
    ['no body: the preview', { ...planning, body: null }, { description: 'Agenda 1. Hazel Avenue & the car park 2. Any other business' }],
    ['places listed only in locations[]', { ...planning, location: null }, { location: 'Council Chamber; Teams' }],
    ['one place twice is one place', { ...planning, location: { displayName: 'Teams' }, locations: [{ displayName: 'teams' }] }, { location: 'Teams' }],
    ['no end', { ...planning, end: null }, {}],
  ])('%s', (_name, event, expected) => {
    expect(mapped(event)).toMatchObject(expected);
  });

  it.each([
    ['none', 'NEEDS-ACTION'],
    ['notResponded', 'NEEDS-ACTION'],
    ['organizer', 'ACCEPTED'],
    ['accepted', 'ACCEPTED'],
    ['tentativelyAccepted', 'TENTATIVE'],
    ['declined', 'DECLINED'],
  ] as const)('an attendee who answered %s is %s', (response, partstat) => {
    const event = { ...planning, attendees: [{ type: 'required' as const, status: { response }, emailAddress: TOM }] };
    expect(mapped(event).attendees).toEqual([{ ...TOM, role: 'REQ-PARTICIPANT', partstat }]);
  });

  it('maps an exception: the uid is its master\'s, the RECURRENCE-ID its original start with Z', () => {
    const out = mapped(surgeryException, surgeryMaster);
    expect(out).toMatchObject({
      uid: surgeryMaster.iCalUId,
      recurrenceId: { dateTime: '2027-04-05T18:00:00Z' },
      start: { dateTime: '2027-04-05T17:30:00Z', timeZone: 'Europe/London' },
      description: 'Moved to the Council Chamber this week.',
      recurrence: [],
    });
    expect(out.attendees).toContainEqual({ ...CHAMBER, cutype: 'ROOM', role: 'NON-PARTICIPANT', partstat: 'ACCEPTED' });
    // An unchanged occurrence, if the connector hands one on, is keyed the same way.
    expect(mapped({ ...surgeryException, type: 'occurrence', originalStart: '2027-04-12T18:00:00Z' }, surgeryMaster)).toMatchObject({ uid: surgeryMaster.iCalUId, recurrenceId: { dateTime: '2027-04-12T18:00:00Z' } });
    // An all-day series' occurrence is named by its date in the series' zone.
    expect(mapped(litterPickException, litterPickMaster)).toMatchObject({ recurrenceId: { date: '2027-06-07' }, start: { date: '2027-06-08' } });
  });

  it.each<[string, unknown, { master?: Event }]>([
    ['no iCalUId', { ...planning, iCalUId: null }, {}],
    ['an empty iCalUId', { ...planning, iCalUId: '  ' }, {}],
    ['no start', { ...planning, start: null }, {}],
    ['a start that is not a date', { ...planning, start: { dateTime: '20 April', timeZone: 'UTC' } }, {}],
    ['31 February', { ...planning, start: { dateTime: '2027-02-31T18:00:00', timeZone: 'UTC' } }, {}],
    ['an exception without its master', surgeryException, {}],
    ['an exception with another series\' master', surgeryException, { master: litterPickMaster }],
    ['an exception whose master has no iCalUId', surgeryException, { master: { ...surgeryMaster, iCalUId: undefined } }],
    ['an exception without an original start', { ...surgeryException, originalStart: null }, { master: surgeryMaster }],
    ['not an object at all', 'event', {}],
    ['null', null, {}],
  ])('is undefined for %s', (_name, event, options) => {
    expect(graphEventToNormalised(event as Event, options)).toBeUndefined();
  });

  it('never throws on malformed fields: each is left out and the rest is mapped', () => {
    const hostile: unknown = {
      ...planning,
      subject: 42,
      body: { contentType: 'html', content: 7 },
      bodyPreview: ['x'],
      categories: [1, null, ' Planning ', { x: 1 }],
      location: 'Chamber',
      locations: { displayName: 'x' },
      organizer: { emailAddress: { address: 'x'.repeat(400) } },
      attendees: [null, 5, 'tom', { emailAddress: 3 }, { type: 'chair', status: 'accepted', emailAddress: { address: TOM.address, name: 'N'.repeat(500) } }, { emailAddress: TOM }],
      sensitivity: 'secret',
      showAs: { tentative: true },
      end: { dateTime: 5 },
      recurrence: 'weekly',
    };
    const out = graphEventToNormalised(hostile as Event, {});
    expect(out).toEqual({
      uid: planning.iCalUId,
      summary: '',
      description: '',
      location: '',
      categories: ['Planning'],
      start: { dateTime: '2027-04-20T18:00:00Z', timeZone: 'Europe/London' },
      status: 'confirmed',
      attendees: [{ address: TOM.address, name: 'N'.repeat(300), role: 'REQ-PARTICIPANT' }],
      recurrence: [],
    });
    // And what it gives the engine is always an event the engine accepts.
    expect(eventItemsFromNormalised([out], OPTIONS).problems).toEqual([]);
  });
});

describe('eventKind and isSeriesInstance', () => {
  it.each<[Event, string, boolean]>([
    [planning, 'single', false],
    [surgeryMaster, 'master', false],
    [surgeryException, 'exception', true],
    [{ ...surgeryException, type: 'occurrence' }, 'occurrence', true],
    // No type: a named master makes it an instance (changed, to be safe), a pattern a master.
    [{ seriesMasterId: 'x' }, 'exception', true],
    [{ recurrence: surgeryMaster.recurrence }, 'master', false],
    [{}, 'single', false],
    [{ type: 'somethingNew' } as unknown as Event, 'single', false],
  ])('%#: %s', (event, kind, instance) => {
    expect(eventKind(event)).toBe(kind);
    expect(isSeriesInstance(event)).toBe(instance);
  });
});

// ---------------------------------------------------------------------------------------------

describe('recurrenceLines', () => {
  const START = { dateTime: '2027-04-12T18:00:00Z', timeZone: 'Europe/London' };
  const PATTERNS: Record<string, [PatternedRecurrence['pattern'], string]> = {
    daily: [{ type: 'daily', interval: 2 }, 'FREQ=DAILY;INTERVAL=2'],
    weekly: [{ type: 'weekly', interval: 2, daysOfWeek: ['monday', 'thursday'], firstDayOfWeek: 'monday' }, 'FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;WKST=MO'],
    absoluteMonthly: [{ type: 'absoluteMonthly', interval: 1, dayOfMonth: 12 }, 'FREQ=MONTHLY;INTERVAL=1;BYMONTHDAY=12'],
    relativeMonthly: [{ type: 'relativeMonthly', interval: 1, daysOfWeek: ['tuesday'], index: 'second' }, 'FREQ=MONTHLY;INTERVAL=1;BYDAY=2TU'],
    absoluteYearly: [{ type: 'absoluteYearly', interval: 1, month: 4, dayOfMonth: 12 }, 'FREQ=YEARLY;INTERVAL=1;BYMONTH=4;BYMONTHDAY=12'],
    relativeYearly: [{ type: 'relativeYearly', interval: 1, month: 5, daysOfWeek: ['monday'], index: 'last' }, 'FREQ=YEARLY;INTERVAL=1;BYMONTH=5;BYDAY=-1MO'],
  };
  const RANGES: Record<string, [PatternedRecurrence['range'], string]> = {
    // The end of 30 September in London (BST) is 22:59:59Z.
    endDate: [{ type: 'endDate', startDate: '2027-04-12', endDate: '2027-09-30' }, ';UNTIL=20270930T225959Z'],
    numbered: [{ type: 'numbered', startDate: '2027-04-12', numberOfOccurrences: 10 }, ';COUNT=10'],
    noEnd: [{ type: 'noEnd', startDate: '2027-04-12' }, ''],
  };
  const table = Object.entries(PATTERNS).flatMap(([p, [pattern, rule]]) =>
    Object.entries(RANGES).map(([r, [range, end]]) => [p, r, { pattern, range }, `RRULE:${rule}${end}`] as const),
  );

  it.each(table)('%s pattern, %s range', (_p, _r, recurrence, line) => {
    expect(recurrenceLines(recurrence, START)).toEqual([line]);
  });

  it.each<[string, PatternedRecurrence, Parameters<typeof recurrenceLines>[1], string[]]>([
    ['an all-day series ends on its end date', { pattern: { type: 'daily', interval: 1 }, range: { type: 'endDate', endDate: '2027-09-30' } }, { date: '2027-04-12' }, ['RRULE:FREQ=DAILY;INTERVAL=1;UNTIL=20270930']],
    ['the range\'s zone wins over the start\'s', { pattern: { type: 'daily', interval: 1 }, range: { type: 'endDate', endDate: '2027-09-30', recurrenceTimeZone: 'Pacific Standard Time' } }, START, ['RRULE:FREQ=DAILY;INTERVAL=1;UNTIL=20271001T065959Z']],
    ['an unknown zone: the end of the day in UTC', { pattern: { type: 'daily', interval: 1 }, range: { type: 'endDate', endDate: '2027-09-30' } }, { dateTime: '2027-04-12T19:00:00', timeZone: 'Mars/Olympus' }, ['RRULE:FREQ=DAILY;INTERVAL=1;UNTIL=20270930T235959Z']],
    ['no interval is every time', { pattern: { type: 'daily' }, range: { type: 'noEnd' } }, START, ['RRULE:FREQ=DAILY;INTERVAL=1']],
    ['no range is no end', { pattern: { type: 'daily', interval: 1 } }, START, ['RRULE:FREQ=DAILY;INTERVAL=1']],
    ['several days of a relative pattern: the index-th of any of them', { pattern: { type: 'relativeMonthly', interval: 1, daysOfWeek: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'], index: 'last' } }, START, ['RRULE:FREQ=MONTHLY;INTERVAL=1;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1']],
    ['no index is the first', { pattern: { type: 'relativeMonthly', interval: 1, daysOfWeek: ['friday'] } }, START, ['RRULE:FREQ=MONTHLY;INTERVAL=1;BYDAY=1FR']],
    ['the 31st is the last day of every month', { pattern: { type: 'absoluteMonthly', interval: 1, dayOfMonth: 31 } }, START, ['RRULE:FREQ=MONTHLY;INTERVAL=1;BYMONTHDAY=-1']],
    ['the 30th stays the 30th (February is skipped: see monthDay)', { pattern: { type: 'absoluteMonthly', interval: 1, dayOfMonth: 30 } }, START, ['RRULE:FREQ=MONTHLY;INTERVAL=1;BYMONTHDAY=30']],
    ['29 February is the last day of February', { pattern: { type: 'absoluteYearly', interval: 1, month: 2, dayOfMonth: 29 } }, START, ['RRULE:FREQ=YEARLY;INTERVAL=1;BYMONTH=2;BYMONTHDAY=-1']],
    ['an unknown pattern', { pattern: { type: 'hourly' as 'daily', interval: 1 } }, START, []],
    ['a day that is not a day', { pattern: { type: 'weekly', interval: 1, daysOfWeek: ['funday' as 'monday'] } }, START, []],
    ['an interval of 0', { pattern: { type: 'daily', interval: 0 } }, START, []],
    ['a count of 0', { pattern: { type: 'daily', interval: 1 }, range: { type: 'numbered', numberOfOccurrences: 0 } }, START, []],
    ['an end date that is not a date', { pattern: { type: 'daily', interval: 1 }, range: { type: 'endDate', endDate: '2027-02-30' } }, START, []],
    ['an unknown range', { pattern: { type: 'daily', interval: 1 }, range: { type: 'forever' as 'noEnd' } }, START, []],
    ['a monthly pattern with no day', { pattern: { type: 'absoluteMonthly', interval: 1 } }, START, []],
    ['a yearly pattern with no month', { pattern: { type: 'relativeYearly', interval: 1, daysOfWeek: ['monday'] } }, START, []],
    ['no pattern', {}, START, []],
  ])('%s', (_name, recurrence, start, lines) => {
    expect(recurrenceLines(recurrence, start)).toEqual(lines);
  });

  /** The first starts (UTC) the engine lists for a Graph series master. */
  function occurrenceStarts(master: Event): string[] {
    const items = eventItemsFromNormalised(mapAll([master]), { ...OPTIONS, horizon: { from: '2027-01-01T00:00:00Z', to: '2031-01-01T00:00:00Z' } });
    expect(items.problems).toEqual([]);
    return items.events[0]?.occurrences.map((o) => o.start) ?? [];
  }
  const base: Event = { id: 'm', type: 'seriesMaster', iCalUId: 'series@millbrook-tc.gov.uk', originalStartTimeZone: 'GMT Standard Time' };

  it.each<[string, Event, string[]]>([
    [
      'the second Tuesday of each month, at 19:00 London time through the clock change',
      { ...base, start: { dateTime: '2027-02-09T19:00:00.0000000', timeZone: 'UTC' }, recurrence: { pattern: { type: 'relativeMonthly', interval: 1, daysOfWeek: ['tuesday'], index: 'second' }, range: { type: 'numbered', numberOfOccurrences: 4 } } },
      ['2027-02-09T19:00:00.000Z', '2027-03-09T19:00:00.000Z', '2027-04-13T18:00:00.000Z', '2027-05-11T18:00:00.000Z'],
    ],
    [
      'the 31st, on the last day of shorter months, as Outlook has it',
      { ...base, start: { dateTime: '2027-01-31T10:00:00.0000000', timeZone: 'UTC' }, recurrence: { pattern: { type: 'absoluteMonthly', interval: 1, dayOfMonth: 31 }, range: { type: 'numbered', numberOfOccurrences: 5 } } },
      ['2027-01-31T10:00:00.000Z', '2027-02-28T10:00:00.000Z', '2027-03-31T09:00:00.000Z', '2027-04-30T09:00:00.000Z', '2027-05-31T09:00:00.000Z'],
    ],
    [
      'the last weekday of the month',
      { ...base, start: { dateTime: '2027-04-30T16:00:00.0000000', timeZone: 'UTC' }, recurrence: { pattern: { type: 'relativeMonthly', interval: 1, daysOfWeek: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'], index: 'last' }, range: { type: 'numbered', numberOfOccurrences: 3 } } },
      ['2027-04-30T16:00:00.000Z', '2027-05-31T16:00:00.000Z', '2027-06-30T16:00:00.000Z'],
    ],
    [
      'every other week on Monday and Thursday, weeks starting on Monday',
      { ...base, start: { dateTime: '2027-06-07T09:00:00.0000000', timeZone: 'UTC' }, recurrence: { pattern: { type: 'weekly', interval: 2, daysOfWeek: ['monday', 'thursday'], firstDayOfWeek: 'monday' }, range: { type: 'endDate', endDate: '2027-06-24' } } },
      ['2027-06-07T09:00:00.000Z', '2027-06-10T09:00:00.000Z', '2027-06-21T09:00:00.000Z', '2027-06-24T09:00:00.000Z'],
    ],
    [
      // 23:30 London time on a Sunday is 22:30Z in summer but 23:30Z in winter: the weekday and
      // the end date are London's, so the last one (on the end date) is kept.
      'late on Sundays in London until 31 October',
      { ...base, start: { dateTime: '2027-10-17T22:30:00.0000000', timeZone: 'UTC' }, recurrence: { pattern: { type: 'weekly', interval: 1, daysOfWeek: ['sunday'] }, range: { type: 'endDate', endDate: '2027-10-31', recurrenceTimeZone: 'GMT Standard Time' } } },
      ['2027-10-17T22:30:00.000Z', '2027-10-24T22:30:00.000Z', '2027-10-31T23:30:00.000Z'],
    ],
    [
      'the last Monday of May (the spring bank holiday), every year',
      { ...base, start: { dateTime: '2027-05-31T09:00:00.0000000', timeZone: 'UTC' }, recurrence: { pattern: { type: 'relativeYearly', interval: 1, month: 5, daysOfWeek: ['monday'], index: 'last' }, range: { type: 'noEnd' } } },
      ['2027-05-31T09:00:00.000Z', '2028-05-29T09:00:00.000Z', '2029-05-28T09:00:00.000Z', '2030-05-27T09:00:00.000Z'],
    ],
    [
      'every 12 April, an all-day series to an end date',
      { ...base, isAllDay: true, start: { dateTime: '2027-04-12T00:00:00.0000000', timeZone: 'UTC' }, end: { dateTime: '2027-04-13T00:00:00.0000000', timeZone: 'UTC' }, recurrence: { pattern: { type: 'absoluteYearly', interval: 1, month: 4, dayOfMonth: 12 }, range: { type: 'endDate', endDate: '2029-04-12' } } },
      ['2027-04-11T23:00:00.000Z', '2028-04-11T23:00:00.000Z', '2029-04-11T23:00:00.000Z'],
    ],
    [
      'every third day, three times, through the clock change',
      { ...base, start: { dateTime: '2027-03-25T12:00:00.0000000', timeZone: 'UTC' }, recurrence: { pattern: { type: 'daily', interval: 3 }, range: { type: 'numbered', numberOfOccurrences: 3 } } },
      ['2027-03-25T12:00:00.000Z', '2027-03-28T11:00:00.000Z', '2027-03-31T11:00:00.000Z'],
    ],
    [
      '29 February, on the 28th in other years',
      { ...base, start: { dateTime: '2028-02-29T12:00:00.0000000', timeZone: 'UTC' }, recurrence: { pattern: { type: 'absoluteYearly', interval: 1, month: 2, dayOfMonth: 29 }, range: { type: 'numbered', numberOfOccurrences: 2 } } },
      ['2028-02-29T12:00:00.000Z', '2029-02-28T12:00:00.000Z'],
    ],
  ])('%s', (_name, master, starts) => {
    expect(occurrenceStarts(master)).toEqual(starts);
  });
});

// ---------------------------------------------------------------------------------------------

describe('a Graph event and the same event as .ics are the same engine item', () => {
  it('a single meeting with a room, a projector and every kind of answer', () => {
    const [item] = sameAsIcs(
      ics(
        'BEGIN:VEVENT',
        `UID:${planning.iCalUId ?? ''}`,
        'DTSTART;TZID=GMT Standard Time:20270420T190000',
        'DTEND;TZID=GMT Standard Time:20270420T213000',
        'SUMMARY:Planning committee: Hazel Avenue',
        'DESCRIPTION:Agenda\\nHazel Avenue & the car park\\nAny other business',
        'LOCATION:Council Chamber\\; Teams',
        'CATEGORIES:Planning,North Ward',
        'STATUS:CONFIRMED',
        'CLASS:PUBLIC',
        'ORGANIZER;CN=Helen Ashworth:mailto:clerk@millbrook-tc.gov.uk',
        'ATTENDEE;CN=Cllr Tom Brown;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED:mailto:tom.brown@millbrook-tc.gov.uk',
        'ATTENDEE;CN=Cllr Priya Shah;ROLE=OPT-PARTICIPANT;PARTSTAT=TENTATIVE:mailto:priya.shah@millbrook-tc.gov.uk',
        'ATTENDEE;CN=Cllr Ann Lee;ROLE=REQ-PARTICIPANT;PARTSTAT=DECLINED:mailto:ann.lee@millbrook-tc.gov.uk',
        'ATTENDEE;CN=Planning Officer;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:planning@millbrook-tc.gov.uk',
        'ATTENDEE;CN=Council Chamber;CUTYPE=ROOM;ROLE=NON-PARTICIPANT;PARTSTAT=ACCEPTED:mailto:chamber@millbrook-tc.gov.uk',
        'ATTENDEE;CN=Projector;CUTYPE=RESOURCE;ROLE=NON-PARTICIPANT:mailto:projector@millbrook-tc.gov.uk',
        'END:VEVENT',
      ),
      [planning],
    );
    expect(item).toMatchObject({ key: planning.iCalUId, start: '2027-04-20T18:00:00.000Z', end: '2027-04-20T20:30:00.000Z', timeZone: 'Europe/London' });
  });

  it('a weekly series across the clock change, with a deleted occurrence and a moved one', () => {
    const items = sameAsIcs(
      ics(
        'BEGIN:VEVENT',
        `UID:${surgeryMaster.iCalUId ?? ''}`,
        'DTSTART;TZID=Europe/London:20270315T190000',
        'DTEND;TZID=Europe/London:20270315T200000',
        // As Outlook writes it: UNTIL is the last occurrence's start, in UTC.
        'RRULE:FREQ=WEEKLY;UNTIL=20270426T180000Z;INTERVAL=1;BYDAY=MO;WKST=SU',
        'EXDATE;TZID=Europe/London:20270329T190000',
        'SUMMARY:North ward surgery',
        'DESCRIPTION:Drop-in surgery for residents of North ward.\\n\\nBring letters & photos.',
        'LOCATION:Millbrook Library',
        'CATEGORIES:North Ward',
        'STATUS:CONFIRMED',
        'ORGANIZER;CN=Helen Ashworth:mailto:clerk@millbrook-tc.gov.uk',
        'ATTENDEE;CN=Cllr Tom Brown;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED:mailto:tom.brown@millbrook-tc.gov.uk',
        'ATTENDEE;CN=Cllr Priya Shah;ROLE=OPT-PARTICIPANT;PARTSTAT=NEEDS-ACTION:mailto:priya.shah@millbrook-tc.gov.uk',
        'END:VEVENT',
        'BEGIN:VEVENT',
        `UID:${surgeryMaster.iCalUId ?? ''}`,
        'RECURRENCE-ID;TZID=Europe/London:20270405T190000',
        'DTSTART;TZID=Europe/London:20270405T183000',
        'DTEND;TZID=Europe/London:20270405T193000',
        'SUMMARY:North ward surgery (early start)',
        'DESCRIPTION:Moved to the Council Chamber this week.',
        'LOCATION:Council Chamber',
        'CATEGORIES:North Ward',
        'ORGANIZER;CN=Helen Ashworth:mailto:clerk@millbrook-tc.gov.uk',
        'ATTENDEE;CN=Cllr Tom Brown;PARTSTAT=ACCEPTED:mailto:tom.brown@millbrook-tc.gov.uk',
        'ATTENDEE;CN=Council Chamber;CUTYPE=ROOM;ROLE=NON-PARTICIPANT;PARTSTAT=ACCEPTED:mailto:chamber@millbrook-tc.gov.uk',
        'END:VEVENT',
      ),
      [surgeryMaster, surgeryException],
    );
    expect(items.map((i) => i.key).sort()).toEqual([surgeryMaster.iCalUId, `${surgeryMaster.iCalUId ?? ''}#2027-04-05T18:00:00.000Z`]);
    expect(items.find((i) => i.recurring)?.occurrences.map((o) => o.start)).toEqual([
      '2027-03-15T19:00:00.000Z',
      '2027-03-22T19:00:00.000Z',
      '2027-04-12T18:00:00.000Z',
      '2027-04-19T18:00:00.000Z',
      '2027-04-26T18:00:00.000Z',
    ]);
  });

  it('an all-day monthly series with a moved occurrence, and a cancelled private all-day event', () => {
    const items = sameAsIcs(
      ics(
        'BEGIN:VEVENT',
        `UID:${litterPickMaster.iCalUId ?? ''}`,
        'DTSTART;VALUE=DATE:20270503',
        'DTEND;VALUE=DATE:20270504',
        'RRULE:FREQ=MONTHLY;COUNT=4;BYDAY=1MO;WKST=SU',
        'SUMMARY:Litter pick',
        'ORGANIZER;CN=Helen Ashworth:mailto:clerk@millbrook-tc.gov.uk',
        'END:VEVENT',
        'BEGIN:VEVENT',
        `UID:${litterPickMaster.iCalUId ?? ''}`,
        'RECURRENCE-ID;VALUE=DATE:20270607',
        'DTSTART;VALUE=DATE:20270608',
        'DTEND;VALUE=DATE:20270609',
        'SUMMARY:Litter pick (bank holiday week)',
        'ORGANIZER;CN=Helen Ashworth:mailto:clerk@millbrook-tc.gov.uk',
        'END:VEVENT',
        'BEGIN:VEVENT',
        'UID:visit-2027@millbrook-tc.gov.uk',
        'DTSTART;VALUE=DATE:20270716',
        'DTEND;VALUE=DATE:20270717',
        'SUMMARY:Site visit: allotments',
        'STATUS:CANCELLED',
        'CLASS:PRIVATE',
        'END:VEVENT',
      ),
      [litterPickMaster, litterPickException, cancelledVisit],
    );
    expect(items.map((i) => i.key).sort()).toEqual([`${litterPickMaster.iCalUId ?? ''}`, `${litterPickMaster.iCalUId ?? ''}#2027-06-06T23:00:00.000Z`, 'visit-2027@millbrook-tc.gov.uk'].sort());
    expect(items.find((i) => i.recurring)?.occurrences.map((o) => o.start)).toEqual(['2027-05-02T23:00:00.000Z', '2027-07-04T23:00:00.000Z', '2027-08-01T23:00:00.000Z']);
  });
});

// ---------------------------------------------------------------------------------------------

describe('every Graph property the mapper reads is in the v1.0 schema', () => {
  const STRICT = new Set(['graph.event']);
  let types: Map<string, CsdlType>;
  beforeAll(() => {
    types = readCsdl(readFileSync(new URL('../../../../shared/graph/v1.0-Prod.csdl', import.meta.url), 'utf8'));
  });

  /** A view of `value` that notes the path of every property read through it (`attendees[].status.response`). */
  function recording<T>(value: T, path: string, read: Set<string>): T {
    if (typeof value !== 'object' || value === null) return value;
    return new Proxy(value, {
      get(target, key, receiver): unknown {
        const v: unknown = Reflect.get(target, key, receiver);
        if (typeof key !== 'string') return v;
        if (Array.isArray(target)) return /^\d+$/.test(key) ? recording(v, `${path}[]`, read) : v;
        const at = path === '' ? key : `${path}.${key}`;
        read.add(at);
        return recording(v, at, read);
      },
    });
  }

  /** The declared type at the end of a read path, from graph.event; undefined when a step is not declared. */
  function declared(path: string): string | undefined {
    let type = 'graph.event';
    for (const step of path.split('.')) {
      const found = propertyType(types, type, step.replace(/\[\]$/, ''));
      if (found === undefined) return undefined;
      type = /^Collection\((.*)\)$/.exec(found)?.[1] ?? found;
    }
    return type;
  }

  it('the fixtures are valid Graph events', () => {
    for (const [name, event] of Object.entries(ALL_FIXTURES)) expect(schemaProblems(types, 'graph.event', event, name, STRICT)).toEqual([]);
  });

  it('every path read, on events and on the master given with an instance, is declared', () => {
    const read = new Set<string>();
    const masters = new Map([surgeryMaster, litterPickMaster].map((m) => [m.id, recording(m, '', read)]));
    for (const event of Object.values(ALL_FIXTURES)) {
      const master = event.seriesMasterId ? masters.get(event.seriesMasterId) : undefined;
      expect(graphEventToNormalised(recording(event, '', read), master ? { master } : {})).toBeDefined();
    }
    // The recorder sees what the mapper reads, nested and in lists.
    for (const path of ['iCalUId', 'originalStart', 'seriesMasterId', 'attendees[].status.response', 'attendees[].emailAddress.address', 'recurrence.pattern.firstDayOfWeek', 'recurrence.range.recurrenceTimeZone', 'cancelledOccurrences', 'locations[].locationEmailAddress', 'body.contentType']) {
      expect(read, path).toContain(path);
    }
    expect([...read].filter((path) => declared(path) === undefined)).toEqual([]);
    // And the check can fail.
    expect(declared('effectKey')).toBeUndefined();
    expect(declared('attendees[].emailAddress.mailbox')).toBeUndefined();
  });

  it('the enumerations the mapper translates are the ones the schema lists, value for value', () => {
    const members = (name: string): string[] => [...(types.get(name)?.members ?? [])].sort();
    expect(members('graph.eventType')).toEqual(['exception', 'occurrence', 'seriesMaster', 'singleInstance']);
    expect(members('graph.responseType')).toEqual(['accepted', 'declined', 'none', 'notResponded', 'organizer', 'tentativelyAccepted']);
    expect(members('graph.attendeeType')).toEqual(['optional', 'required', 'resource']);
    expect(members('graph.sensitivity')).toEqual(['confidential', 'normal', 'personal', 'private']);
    expect(members('graph.freeBusyStatus')).toContain('tentative');
    expect(members('graph.bodyType')).toEqual(['html', 'text']);
    expect(members('graph.recurrencePatternType')).toEqual(Object.keys({ absoluteMonthly: 1, absoluteYearly: 1, daily: 1, relativeMonthly: 1, relativeYearly: 1, weekly: 1 }));
    expect(members('graph.recurrenceRangeType')).toEqual(['endDate', 'noEnd', 'numbered']);
    expect(members('graph.weekIndex')).toEqual(['first', 'fourth', 'last', 'second', 'third']);
    expect(members('graph.dayOfWeek')).toEqual(['friday', 'monday', 'saturday', 'sunday', 'thursday', 'tuesday', 'wednesday']);
  });
});
