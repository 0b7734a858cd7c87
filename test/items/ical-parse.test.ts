import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { zonedToUtc } from '../../src/elections/zoned-time.js';
import { parseCalendar, type ParseCalendarOptions } from '../../src/items/ical-parse.js';
import { expandOccurrences } from '../../src/items/recurrence.js';
import {
  fixedOffsetOfTzid,
  ianaForTzid,
  parseJcalDateValue,
  resolveTzid,
  wallClockToMillis,
  windowsZoneToIana,
  type WallClock,
} from '../../src/items/timezones.js';
import type { EventItem } from '../../src/items/types.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/ics');

const OPTS: ParseCalendarOptions = {
  calendarId: 'council-events',
  origin: 'calendars/council-events/test.ics',
  timeZone: 'Europe/London',
  horizon: { from: '2026-01-01T00:00:00Z', to: '2027-01-01T00:00:00Z' },
};

function parseFixture(name: string, opts: Partial<ParseCalendarOptions> = {}) {
  return parseCalendar(readFileSync(path.join(fixtures, name), 'utf8'), { ...OPTS, origin: name, ...opts });
}

function byKey(events: EventItem[], key: string): EventItem {
  const found = events.find((e) => e.key === key);
  if (!found) throw new Error(`no event ${key} among ${events.map((e) => e.key).join(', ')}`);
  return found;
}

function bySummary(events: EventItem[], summary: string): EventItem {
  const found = events.find((e) => e.summary === summary);
  if (!found) throw new Error(`no event "${summary}" among ${events.map((e) => e.summary).join(', ')}`);
  return found;
}

/** A one-event calendar around the given VEVENT lines. */
function calendar(...lines: string[]): string {
  return ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//test//EN', ...lines, 'END:VCALENDAR', ''].join('\r\n');
}

describe('parseCalendar: a council public meeting', () => {
  const { events, problems } = parseFixture('council-public-meeting.ics');
  const meeting = byKey(events, 'riverside-park-consultation-2026@millbrook-tc.gov.uk');

  it('reads both events without problems', () => {
    expect(problems).toEqual([]);
    expect(events).toHaveLength(2);
  });

  it('gives exact UTC instants for Europe/London wall-clock times, winter and summer', () => {
    expect(meeting.start).toBe('2026-12-03T18:30:00.000Z');
    expect(meeting.end).toBe('2026-12-03T20:30:00.000Z');
    const forum = byKey(events, 'castle-ward-forum-2026-06@millbrook-tc.gov.uk');
    expect(forum.start).toBe('2026-06-03T17:30:00.000Z');
    expect(forum.end).toBe('2026-06-03T19:00:00.000Z');
    expect(forum.timeZone).toBe('Europe/London');
  });

  it('keeps the identity fields and the calendar METHOD', () => {
    expect(meeting).toMatchObject({
      kind: 'event',
      uid: 'riverside-park-consultation-2026@millbrook-tc.gov.uk',
      calendarId: 'council-events',
      method: 'REQUEST',
      origin: 'council-public-meeting.ics',
      allDay: false,
      recurring: false,
      occurrences: [],
      sequence: 2,
      status: 'CONFIRMED',
      classification: 'PUBLIC',
      timeZone: 'Europe/London',
    });
    expect(meeting.recurrenceId).toBeUndefined();
    expect(meeting.etag).toBeUndefined();
  });

  it('unescapes and unfolds text', () => {
    expect(meeting.summary).toBe('Public meeting: Riverside Park improvements');
    expect(meeting.location).toBe('Council Chamber, Town Hall, Mill Lane, Millbrook MB2 4AB');
    expect(meeting.description).toBe(
      "Residents are invited to hear the Council's proposals for the play area, footpaths and lighting in Riverside Park, and to give their views.\n\nThe consultation runs until 31 January 2027.",
    );
  });

  it('collects every CATEGORIES property, split and trimmed', () => {
    expect(meeting.categories).toEqual(['Public meeting', 'Riverside', 'Consultation']);
  });

  it('strips mailto:, lower-cases addresses and keeps the CN as the name', () => {
    expect(meeting.organizer).toEqual({ address: 'clerk@millbrook-tc.gov.uk', name: 'Helen Ashworth (Town Clerk)' });
  });

  it('reads attendees with role, answer and type, applying the RFC defaults', () => {
    expect(meeting.attendees).toEqual([
      { address: 'tom.brown@millbrook-tc.gov.uk', name: 'Cllr Tom Brown', role: 'CHAIR', partstat: 'ACCEPTED', cutype: 'INDIVIDUAL' },
      { address: 'raj.mehta@millbrook-tc.gov.uk', name: 'Cllr Raj Mehta', role: 'REQ-PARTICIPANT', partstat: 'NEEDS-ACTION', cutype: 'INDIVIDUAL' },
      // Unknown ROLE and PARTSTAT values count as REQ-PARTICIPANT and NEEDS-ACTION (RFC 5545 3.2.16, 3.2.12).
      { address: 'sue.taylor@millbrook-tc.gov.uk', name: 'Cllr Sue Taylor', role: 'REQ-PARTICIPANT', partstat: 'NEEDS-ACTION', cutype: 'INDIVIDUAL' },
      { address: 'chamber@millbrook-tc.gov.uk', name: 'Council Chamber', role: 'NON-PARTICIPANT', partstat: 'ACCEPTED', cutype: 'ROOM' },
      { address: 'stream@millbrook-tc.gov.uk', name: 'Live stream', role: 'OPT-PARTICIPANT', partstat: 'TENTATIVE', cutype: 'UNKNOWN' },
    ]);
  });

  it('hashes the component text, and passes the etag through', () => {
    expect(meeting.contentHash).toMatch(/^[0-9a-f]{64}$/);
    const forum = byKey(events, 'castle-ward-forum-2026-06@millbrook-tc.gov.uk');
    expect(forum.contentHash).not.toBe(meeting.contentHash);
    const again = parseFixture('council-public-meeting.ics', { etag: '"etag-42"' });
    expect(byKey(again.events, meeting.key).contentHash).toBe(meeting.contentHash);
    expect(again.events.every((e) => e.etag === '"etag-42"')).toBe(true);
  });

  it('defaults STATUS, CLASS and SEQUENCE when they are absent', () => {
    const forum = byKey(events, 'castle-ward-forum-2026-06@millbrook-tc.gov.uk');
    expect(forum).toMatchObject({ status: 'CONFIRMED', classification: 'PUBLIC', sequence: 0, categories: [], description: '' });
  });
});

describe('parseCalendar: an Outlook export', () => {
  const { events, problems } = parseFixture('outlook-export.ics');

  it('reads all five events without problems', () => {
    expect(problems).toEqual([]);
    expect(events).toHaveLength(5);
  });

  it('uses the file\'s VTIMEZONE for TZID="GMT Standard Time" and reports the IANA zone', () => {
    const budget = bySummary(events, 'Budget working group');
    expect(budget.start).toBe('2026-12-03T18:30:00.000Z');
    expect(budget.end).toBe('2026-12-03T20:00:00.000Z');
    expect(budget.timeZone).toBe('Europe/London');
    const visit = bySummary(events, 'Allotments site visit');
    expect(visit.start).toBe('2026-06-03T17:30:00.000Z');
    expect(visit.classification).toBe('PRIVATE');
    expect(visit.method).toBe('PUBLISH');
  });

  it('unfolds Outlook\'s long UIDs and keeps quoted CNs', () => {
    const budget = bySummary(events, 'Budget working group');
    expect(budget.uid).toBe('040000008200E00074C5B7101A82E00800000000A0B1C2D3E4F5D901000000000000000010000000F1E2D3C4B5A69788A7B6C5D4E3F2A1B0');
    expect(budget.organizer).toEqual({ address: 'sam.patel@millbrook-tc.gov.uk', name: 'Patel, Sam' });
    expect(budget.attendees[0]?.name).toBe('Green, Alice (Cllr)');
    expect(budget.description).toBe('Budget working group – draft precept figures.\n');
  });

  it('maps a Windows zone the file does not define (W. Europe Standard Time → Europe/Berlin)', () => {
    const call = bySummary(events, 'Twinning association call (Bad Mühlbach)');
    expect(call.start).toBe('2026-06-03T08:00:00.000Z');
    expect(call.timeZone).toBe('Europe/Berlin');
  });

  it('sees through a /Microsoft/ prefix on a Windows zone name', () => {
    const grant = bySummary(events, 'Grant call with US sister-town trust');
    expect(grant.start).toBe('2026-11-10T14:00:00.000Z');
    expect(grant.timeZone).toBe('America/New_York');
  });

  it('understands an Outlook display name as a zone', () => {
    const network = bySummary(events, "Clerks' network (regional)");
    expect(network.start).toBe('2026-07-01T13:00:00.000Z');
    expect(network.end).toBe('2026-07-01T14:30:00.000Z');
  });
});

describe('parseCalendar: a weekly ward surgery with an exception and a moved occurrence', () => {
  const { events, problems } = parseFixture('ward-surgery-weekly.ics');
  const master = byKey(events, 'castle-surgery@millbrook-tc.gov.uk');
  const moved = byKey(events, 'castle-surgery@millbrook-tc.gov.uk#2026-11-14T10:00:00.000Z');

  it('gives one item for the series and one for the moved occurrence', () => {
    expect(problems).toEqual([]);
    expect(events).toHaveLength(2);
  });

  it('lists every occurrence, without the EXDATE and without the overridden one', () => {
    expect(master.recurring).toBe(true);
    expect(master.start).toBe('2026-09-05T09:00:00.000Z');
    expect(master.end).toBe('2026-09-05T10:30:00.000Z');
    expect(master.occurrences.map((o) => o.start)).toEqual([
      '2026-09-05T09:00:00.000Z',
      '2026-09-12T09:00:00.000Z',
      '2026-09-19T09:00:00.000Z',
      '2026-09-26T09:00:00.000Z',
      '2026-10-03T09:00:00.000Z',
      '2026-10-10T09:00:00.000Z',
      '2026-10-17T09:00:00.000Z',
      // 24 October is excluded; summer time ends on 25 October.
      '2026-10-31T10:00:00.000Z',
      '2026-11-07T10:00:00.000Z',
      // 14 November has its own component.
      '2026-11-21T10:00:00.000Z',
      '2026-11-28T10:00:00.000Z',
      '2026-12-05T10:00:00.000Z',
      '2026-12-12T10:00:00.000Z',
      '2026-12-19T10:00:00.000Z',
    ]);
    for (const o of master.occurrences) {
      expect(o.recurrenceId).toBe(o.start);
      expect(Date.parse(o.end) - Date.parse(o.start)).toBe(90 * 60_000);
    }
  });

  it('reads the moved occurrence as its own event', () => {
    expect(moved).toMatchObject({
      uid: 'castle-surgery@millbrook-tc.gov.uk',
      recurrenceId: '2026-11-14T10:00:00.000Z',
      start: '2026-11-14T11:30:00.000Z',
      end: '2026-11-14T13:00:00.000Z',
      location: 'Market Square, Millbrook',
      sequence: 1,
      recurring: false,
      occurrences: [],
    });
  });

  it('lists only the occurrences that overlap the horizon', () => {
    const narrow = parseFixture('ward-surgery-weekly.ics', { horizon: { from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:00Z' } });
    expect(byKey(narrow.events, master.key).occurrences.map((o) => o.start)).toEqual([
      '2026-10-03T09:00:00.000Z',
      '2026-10-10T09:00:00.000Z',
      '2026-10-17T09:00:00.000Z',
      '2026-10-31T10:00:00.000Z',
    ]);
    // An occurrence already under way when the horizon opens is still listed; one ending exactly then is not.
    const underway = parseFixture('ward-surgery-weekly.ics', { horizon: { from: '2026-09-05T10:00:00Z', to: '2026-09-13T00:00:00Z' } });
    expect(byKey(underway.events, master.key).occurrences.map((o) => o.start)).toEqual(['2026-09-05T09:00:00.000Z', '2026-09-12T09:00:00.000Z']);
    const ended = parseFixture('ward-surgery-weekly.ics', { horizon: { from: '2026-09-05T10:30:00Z', to: '2026-09-13T00:00:00Z' } });
    expect(byKey(ended.events, master.key).occurrences.map((o) => o.start)).toEqual(['2026-09-12T09:00:00.000Z']);
  });
});

describe('parseCalendar: all-day events', () => {
  const { events, problems } = parseFixture('all-day.ics');

  it('reads a single day as midnight to midnight in the council\'s zone', () => {
    expect(problems).toEqual([]);
    const funDay = bySummary(events, "Mayor's charity fun day");
    expect(funDay).toMatchObject({ allDay: true, start: '2026-07-03T23:00:00.000Z', end: '2026-07-04T23:00:00.000Z', timeZone: 'Europe/London' });
  });

  it('takes DTEND as the exclusive end date', () => {
    const closure = bySummary(events, 'Town Hall closed for Christmas');
    expect(closure).toMatchObject({ allDay: true, start: '2026-12-24T00:00:00.000Z', end: '2026-12-29T00:00:00.000Z' });
  });

  it('counts a DURATION in calendar days across the change to summer time', () => {
    const exhibition = bySummary(events, 'Annual Town Meeting exhibition');
    expect(exhibition.start).toBe('2026-03-29T23:00:00.000Z');
    expect(exhibition.end).toBe('2026-03-31T23:00:00.000Z');
  });

  it('expands an all-day series with COUNT', () => {
    const deadline = bySummary(events, 'Agenda items due to the Clerk');
    expect(deadline.recurring).toBe(true);
    expect(deadline.occurrences.map((o) => [o.start, o.end])).toEqual([
      ['2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z'],
      ['2026-02-01T00:00:00.000Z', '2026-02-02T00:00:00.000Z'],
      ['2026-03-01T00:00:00.000Z', '2026-03-02T00:00:00.000Z'],
      ['2026-03-31T23:00:00.000Z', '2026-04-01T23:00:00.000Z'],
      ['2026-04-30T23:00:00.000Z', '2026-05-01T23:00:00.000Z'],
      ['2026-05-31T23:00:00.000Z', '2026-06-01T23:00:00.000Z'],
    ]);
  });

  it('reads all-day dates in whatever zone the council is in', () => {
    const sydney = parseFixture('all-day.ics', { timeZone: 'Australia/Sydney' });
    expect(bySummary(sydney.events, "Mayor's charity fun day").start).toBe('2026-07-03T14:00:00.000Z');
  });
});

describe('parseCalendar: floating times and DURATION', () => {
  const { events, problems } = parseFixture('floating-and-duration.ics');

  it('reads floating times in the council\'s zone', () => {
    expect(problems).toEqual([]);
    const march = byKey(events, 'planning-committee-2026-03@millbrook-tc.gov.uk');
    expect([march.start, march.end, march.timeZone]).toEqual(['2026-03-15T19:00:00.000Z', '2026-03-15T20:30:00.000Z', 'Europe/London']);
    const june = byKey(events, 'planning-committee-2026-06@millbrook-tc.gov.uk');
    expect([june.start, june.end]).toEqual(['2026-06-10T18:00:00.000Z', '2026-06-10T20:00:00.000Z']);
  });

  it('adds a one-day DURATION as a calendar day, so the wall-clock time is kept across a clock change', () => {
    const clean = byKey(events, 'spring-clean-2026@millbrook-tc.gov.uk');
    expect(clean.start).toBe('2026-03-28T12:00:00.000Z');
    expect(clean.end).toBe('2026-03-29T11:00:00.000Z');
  });

  it('reads UTC times and reports UTC as their zone', () => {
    const briefing = byKey(events, 'press-briefing-2026-06@millbrook-tc.gov.uk');
    expect([briefing.start, briefing.end, briefing.timeZone]).toEqual(['2026-06-03T17:30:00.000Z', '2026-06-03T18:15:00.000Z', 'UTC']);
  });

  it('ends an event with neither DTEND nor DURATION when it starts', () => {
    const deadline = byKey(events, 'deadline-2026-05@millbrook-tc.gov.uk');
    expect(deadline.start).toBe('2026-05-29T16:00:00.000Z');
    expect(deadline.end).toBe(deadline.start);
  });

  it('reads floating times in another council zone too', () => {
    const ny = parseFixture('floating-and-duration.ics', { timeZone: 'America/New_York' });
    expect(byKey(ny.events, 'planning-committee-2026-03@millbrook-tc.gov.uk').start).toBe('2026-03-15T23:00:00.000Z');
  });
});

describe('parseCalendar: an event without a UID', () => {
  it('gets a deterministic synthetic UID from the hash of its text, and is kept', () => {
    const first = parseFixture('missing-uid.ics');
    const second = parseFixture('missing-uid.ics');
    expect(first.problems).toEqual([]);
    expect(first.events).toHaveLength(1);
    const [event] = first.events;
    expect(event?.uid).toMatch(/^[0-9a-f]{64}@wardwatch\.invalid$/);
    expect(event?.key).toBe(event?.uid);
    expect(event?.uid).toBe(`${event?.contentHash}@wardwatch.invalid`);
    expect(second.events[0]?.uid).toBe(event?.uid);
    expect(event?.summary).toBe("Northfield residents' association AGM");
    expect(event?.start).toBe('2026-10-20T18:00:00.000Z');
  });

  it('hashes exactly the component text, from BEGIN:VEVENT to END:VEVENT', () => {
    const component = ['BEGIN:VEVENT', 'DTSTART:20261020T180000Z', 'SUMMARY:AGM', 'END:VEVENT'];
    const { events } = parseCalendar(calendar(...component), OPTS);
    const hash = createHash('sha256').update(component.join('\r\n')).digest('hex');
    expect(events[0]?.contentHash).toBe(hash);
    expect(events[0]?.uid).toBe(`${hash}@wardwatch.invalid`);
  });
});

describe('parseCalendar: a damaged file', () => {
  const { events, problems } = parseFixture('malformed.ics');
  const reasons = problems.map((p) => p.reason);

  it('still reads the good events, ignoring VTODO and VJOURNAL', () => {
    expect(events.map((e) => e.uid).sort()).toEqual([
      'bad-rule@millbrook-tc.gov.uk',
      'finance-committee-2026-10@millbrook-tc.gov.uk',
      'outlook-quote@millbrook-tc.gov.uk',
      'unknown-zone@millbrook-tc.gov.uk',
    ]);
    expect(byKey(events, 'finance-committee-2026-10@millbrook-tc.gov.uk').start).toBe('2026-10-13T18:00:00.000Z');
  });

  it('reports every problem as a calendar problem from this file', () => {
    expect(problems.length).toBe(5);
    for (const p of problems) expect(p).toMatchObject({ origin: 'malformed.ics', kind: 'calendar' });
  });

  it('names the event and the bad value when a date is impossible', () => {
    expect(reasons).toContain(
      'Event "Leisure committee" (UID bad-date@millbrook-tc.gov.uk) was not read: its start (DTSTART) "20261331T190000Z" is not a valid date or time.',
    );
  });

  it('keeps an event whose repeat rule cannot be read, as a single event, and says so', () => {
    const youth = byKey(events, 'bad-rule@millbrook-tc.gov.uk');
    expect(youth.recurring).toBe(false);
    expect(youth.start).toBe('2026-11-05T18:00:00.000Z');
    const reason = reasons.find((r) => r.includes('bad-rule@millbrook-tc.gov.uk'));
    expect(reason).toContain('Event "Youth council"');
    expect(reason).toContain('RRULE:FREQ=WEEKLY;BYDAY=XX');
    expect(reason).toContain('left out');
  });

  it('reads times in an unknown zone as council time and says so', () => {
    expect(byKey(events, 'unknown-zone@millbrook-tc.gov.uk').start).toBe('2026-11-05T18:00:00.000Z');
    expect(reasons).toContain(
      'Event "Twinning call" (UID unknown-zone@millbrook-tc.gov.uk): its time zone "Mars/Olympus_Mons" is not one Wardwatch knows and the file does not define it, so its times were read as the council\'s local time (Europe/London).',
    );
  });

  it('mends Outlook\'s misplaced quote around a TZID', () => {
    const staffing = byKey(events, 'outlook-quote@millbrook-tc.gov.uk');
    expect(staffing.start).toBe('2026-10-15T09:00:00.000Z');
    expect(staffing.timeZone).toBe('Europe/London');
  });

  it('reports an event the file cuts short, and the missing END:VCALENDAR', () => {
    expect(reasons).toContain(
      'Event "Annual" (UID cut-short@millbrook-tc.gov.uk) was not read: the file ends before the event does (no END:VEVENT), so it may be cut short.',
    );
    expect(reasons).toContain('The calendar has no END:VCALENDAR, so the file may be cut short; the events that were complete have been read.');
  });
});

describe('parseCalendar: files that are not calendars', () => {
  it('says so for a file without BEGIN:VCALENDAR', () => {
    const result = parseCalendar('From: clerk@millbrook-tc.gov.uk\r\nSubject: Agenda\r\n\r\nPlease find attached.\r\n', OPTS);
    expect(result.events).toEqual([]);
    expect(result.problems).toEqual([{ origin: OPTS.origin, kind: 'calendar', reason: 'not an iCalendar file: missing BEGIN:VCALENDAR' }]);
  });

  it('says so for an empty file', () => {
    const result = parseCalendar('', OPTS);
    expect(result.events).toEqual([]);
    expect(result.problems[0]?.reason).toBe('not an iCalendar file: the file is empty');
  });

  it('does not throw on invalid options, but reports them', () => {
    const result = parseCalendar(calendar(), { ...OPTS, timeZone: 'Mars/Base' });
    expect(result.events).toEqual([]);
    expect(result.problems[0]?.reason).toContain('timeZone is not an IANA time zone');
  });

  it('reads a bare VEVENT (without VCALENDAR), and notes it', () => {
    const result = parseCalendar('BEGIN:VEVENT\r\nUID:bare@x\r\nDTSTART:20261001T100000Z\r\nEND:VEVENT\r\n', OPTS);
    expect(result.events.map((e) => e.key)).toEqual(['bare@x']);
    expect(result.problems[0]?.reason).toContain('outside BEGIN:VCALENDAR');
  });

  it('reads every calendar of a file that holds several, each with its own METHOD', () => {
    const text = [
      'BEGIN:VCALENDAR',
      'METHOD:REQUEST',
      'BEGIN:VEVENT',
      'UID:a@x',
      'DTSTART:20261001T100000Z',
      'END:VEVENT',
      'END:VCALENDAR',
      'BEGIN:VCALENDAR',
      'METHOD:CANCEL',
      'BEGIN:VEVENT',
      'UID:b@x',
      'DTSTART:20261002T100000Z',
      'STATUS:CANCELLED',
      'END:VEVENT',
      'END:VCALENDAR',
    ].join('\n');
    const { events, problems } = parseCalendar(text, OPTS);
    expect(problems).toEqual([]);
    expect(events.map((e) => [e.key, e.method, e.status])).toEqual([
      ['a@x', 'REQUEST', 'CONFIRMED'],
      ['b@x', 'CANCEL', 'CANCELLED'],
    ]);
  });
});

describe('parseCalendar: time zones', () => {
  it('prefers the file\'s own VTIMEZONE to the zone database, even under an IANA name', () => {
    const text = calendar(
      'BEGIN:VTIMEZONE',
      'TZID:Europe/London',
      'BEGIN:STANDARD',
      'DTSTART:19700101T000000',
      'TZOFFSETFROM:+0300',
      'TZOFFSETTO:+0300',
      'END:STANDARD',
      'END:VTIMEZONE',
      'BEGIN:VEVENT',
      'UID:own-zone@x',
      'DTSTART;TZID=Europe/London:20261203T183000',
      'END:VEVENT',
    );
    expect(parseCalendar(text, OPTS).events[0]?.start).toBe('2026-12-03T15:30:00.000Z');
  });

  it('falls back to the name when the VTIMEZONE is unusable, and says so', () => {
    const text = calendar(
      'BEGIN:VTIMEZONE',
      'TZID:Europe/Berlin',
      'END:VTIMEZONE',
      'BEGIN:VEVENT',
      'UID:empty-zone@x',
      'DTSTART;TZID=Europe/Berlin:20261203T183000',
      'END:VEVENT',
    );
    const result = parseCalendar(text, OPTS);
    expect(result.events[0]?.start).toBe('2026-12-03T17:30:00.000Z');
    expect(result.problems.map((p) => p.reason)).toEqual([
      'The time zone definition "Europe/Berlin" has no STANDARD or DAYLIGHT part and was ignored; times that use it were read by their time zone name instead.',
    ]);
  });

  it('sees IANA names behind vendor prefixes', () => {
    const text = calendar('BEGIN:VEVENT', 'UID:moz@x', 'DTSTART;TZID=/mozilla.org/20070129_1/America/New_York:20260701T090000', 'END:VEVENT');
    const [event] = parseCalendar(text, OPTS).events;
    expect(event?.start).toBe('2026-07-01T13:00:00.000Z');
    expect(event?.timeZone).toBe('America/New_York');
  });

  it('reads an EXDATE written in UTC against a series written in local time', () => {
    const text = calendar(
      'BEGIN:VEVENT',
      'UID:utc-exdate@x',
      'DTSTART;TZID=Europe/London:20260601T100000',
      'RRULE:FREQ=WEEKLY;COUNT=3',
      'EXDATE:20260608T090000Z',
      'END:VEVENT',
    );
    const [event] = parseCalendar(text, OPTS).events;
    expect(event?.occurrences.map((o) => o.start)).toEqual(['2026-06-01T09:00:00.000Z', '2026-06-15T09:00:00.000Z']);
  });
});

describe('parseCalendar: recurrence', () => {
  it('honours a UTC UNTIL equal to the last start in summer time (ical.js alone would drop it)', () => {
    const text = calendar('BEGIN:VEVENT', 'UID:until@x', 'DTSTART;TZID=Europe/London:20260601T100000', 'RRULE:FREQ=WEEKLY;UNTIL=20260615T090000Z', 'END:VEVENT');
    const [event] = parseCalendar(text, OPTS).events;
    expect(event?.occurrences.map((o) => o.start)).toEqual(['2026-06-01T09:00:00.000Z', '2026-06-08T09:00:00.000Z', '2026-06-15T09:00:00.000Z']);
  });

  it('adds RDATEs (dates and periods) and removes date-only EXDATEs', () => {
    const text = calendar(
      'BEGIN:VEVENT',
      'UID:rdate@x',
      'DTSTART;TZID=Europe/London:20260105T190000',
      'DTEND;TZID=Europe/London:20260105T200000',
      'RRULE:FREQ=MONTHLY;BYDAY=1MO;COUNT=3',
      'RDATE;TZID=Europe/London:20260120T190000',
      'RDATE;VALUE=PERIOD:20260125T100000Z/PT30M',
      'EXDATE;VALUE=DATE:20260202',
      'END:VEVENT',
    );
    const [event] = parseCalendar(text, OPTS).events;
    expect(event?.recurring).toBe(true);
    expect(event?.occurrences.map((o) => [o.start, o.end])).toEqual([
      ['2026-01-05T19:00:00.000Z', '2026-01-05T20:00:00.000Z'],
      ['2026-01-20T19:00:00.000Z', '2026-01-20T20:00:00.000Z'],
      ['2026-01-25T10:00:00.000Z', '2026-01-25T10:30:00.000Z'],
      ['2026-03-02T19:00:00.000Z', '2026-03-02T20:00:00.000Z'],
    ]);
  });

  it('bounds a rule that repeats every second, and reports it', () => {
    const text = calendar('BEGIN:VEVENT', 'UID:secondly@x', 'SUMMARY:Runaway', 'DTSTART:20260101T000000Z', 'RRULE:FREQ=SECONDLY', 'END:VEVENT');
    const result = parseCalendar(text, OPTS);
    expect(result.events[0]?.occurrences).toHaveLength(1000);
    expect(result.problems.map((p) => p.reason)).toEqual([
      'Event "Runaway" (UID secondly@x): it has more than 1000 occurrences in the period checked, so only the first 1000 (up to 2026-01-01) were listed.',
    ]);
  });

  it('gives up on a rule that can never match, instead of searching for ever', () => {
    const text = calendar('BEGIN:VEVENT', 'UID:never@x', 'DTSTART:20200101T100000Z', 'RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30', 'END:VEVENT');
    const [event] = parseCalendar(text, OPTS).events;
    expect(event?.recurring).toBe(true);
    expect(event?.occurrences).toEqual([]);
  });

  it('does not try to step through an absurd interval', () => {
    const text = calendar('BEGIN:VEVENT', 'UID:interval@x', 'DTSTART:20260301T100000Z', 'RRULE:FREQ=HOURLY;INTERVAL=999999999999', 'END:VEVENT');
    const result = parseCalendar(text, OPTS);
    expect(result.events[0]?.occurrences.map((o) => o.start)).toEqual(['2026-03-01T10:00:00.000Z']);
    expect(result.problems[0]?.reason).toContain('repeats only once every 999999999999 hours');
  });

  it('matches Exchange\'s midnight RECURRENCE-ID to the all-day occurrence it moves', () => {
    const text = calendar(
      'BEGIN:VEVENT',
      'UID:exchange-all-day@x',
      'DTSTART;VALUE=DATE:20260219',
      'DTEND;VALUE=DATE:20260220',
      'RRULE:FREQ=WEEKLY;BYDAY=TU,TH;COUNT=4',
      'END:VEVENT',
      'BEGIN:VEVENT',
      'UID:exchange-all-day@x',
      'RECURRENCE-ID;TZID=W. Europe Standard Time:20260226T000000',
      'DTSTART;VALUE=DATE:20260227',
      'DTEND;VALUE=DATE:20260228',
      'END:VEVENT',
    );
    const { events, problems } = parseCalendar(text, OPTS);
    expect(problems).toEqual([]);
    expect(events.map((e) => e.key)).toEqual(['exchange-all-day@x', 'exchange-all-day@x#2026-02-26T00:00:00.000Z']);
    expect(events[0]?.occurrences.map((o) => o.start)).toEqual(['2026-02-19T00:00:00.000Z', '2026-02-24T00:00:00.000Z', '2026-03-03T00:00:00.000Z']);
  });

  it('ignores to-dos, journals, free/busy and availability without reporting them', () => {
    const text = calendar(
      'BEGIN:VTODO',
      'UID:t@x',
      'END:VTODO',
      'BEGIN:VJOURNAL',
      'UID:j@x',
      'END:VJOURNAL',
      'BEGIN:VFREEBUSY',
      'UID:f@x',
      'END:VFREEBUSY',
      'BEGIN:VAVAILABILITY',
      'UID:a@x',
      'END:VAVAILABILITY',
    );
    expect(parseCalendar(text, OPTS)).toEqual({ events: [], problems: [] });
  });

  it('keeps the copy with the higher SEQUENCE when a UID appears twice', () => {
    const text = calendar(
      'BEGIN:VEVENT',
      'UID:twice@x',
      'SUMMARY:Old title',
      'SEQUENCE:3',
      'DTSTART:20261001T100000Z',
      'END:VEVENT',
      'BEGIN:VEVENT',
      'UID:twice@x',
      'SUMMARY:Older title',
      'SEQUENCE:1',
      'DTSTART:20261001T090000Z',
      'END:VEVENT',
    );
    const result = parseCalendar(text, OPTS);
    expect(result.events.map((e) => e.summary)).toEqual(['Old title']);
    expect(result.problems[0]?.reason).toBe(
      'Event "Old title" (UID twice@x) appears more than once in this calendar; the copy with the higher SEQUENCE (3) was used and the other (SEQUENCE 1) was set aside.',
    );
  });

  it('leaves out date-only EXDATEs and overridden instants, and honours its limits (recurrence module)', () => {
    const start: WallClock = { year: 2026, month: 1, day: 1, hour: 9, minute: 0, second: 0, isDate: false };
    const input = {
      start,
      rules: [],
      rdates: [1, 2, 3, 4, 5].map((d) => ({ startMs: Date.UTC(2026, 0, d, 9), endMs: Date.UTC(2026, 0, d, 10), day: `2026-01-0${d}` })),
      exdates: { instants: [], days: ['2026-01-02'] },
      overridden: new Set([Date.UTC(2026, 0, 3, 9)]),
      toInstant: (w: WallClock) => wallClockToMillis(w, { kind: 'utc' }),
      endOf: (_w: WallClock, ms: number) => ms + 3_600_000,
      maxLengthMs: 3_600_000,
      window: { fromMs: Date.UTC(2026, 0, 1), toMs: Date.UTC(2026, 1, 1) },
    };
    expect(expandOccurrences(input).occurrences.map((o) => o.start)).toEqual([
      '2026-01-01T09:00:00.000Z',
      '2026-01-04T09:00:00.000Z',
      '2026-01-05T09:00:00.000Z',
    ]);
    const limited = expandOccurrences({ ...input, limits: { maxOccurrences: 2, maxSteps: 10, maxChecks: 10 } });
    expect(limited.occurrences).toHaveLength(2);
    expect(limited.notes).toEqual(['it has more than 2 occurrences in the period checked, so only the first 2 (up to 2026-01-04) were listed']);
  });
});

describe('timezones', () => {
  it('maps Windows names case-insensitively to their primary IANA zone', () => {
    expect(windowsZoneToIana('GMT Standard Time')).toBe('Europe/London');
    expect(windowsZoneToIana('w. europe standard time')).toBe('Europe/Berlin');
    expect(windowsZoneToIana('Eastern Standard Time')).toBe('America/New_York');
    expect(windowsZoneToIana('Europe/London')).toBeUndefined();
  });

  it('finds the IANA zone behind the TZIDs producers write', () => {
    expect(ianaForTzid('"GMT Standard Time"')).toBe('Europe/London');
    expect(ianaForTzid('/Microsoft/W. Europe Standard Time')).toBe('Europe/Berlin');
    expect(ianaForTzid('/freeassociation.sourceforge.net/Tzfile/America/Argentina/Buenos_Aires')).toBe('America/Argentina/Buenos_Aires');
    expect(ianaForTzid('America/Los Angeles')).toBe('America/Los_Angeles');
    expect(ianaForTzid('europe/london')).toBe('Europe/London');
    expect(ianaForTzid('(UTC-05:00) Eastern Time (US & Canada)')).toBe('America/New_York');
    expect(ianaForTzid('Amsterdam, Belgrade, Berlin, Brussels, Budapest, Madrid, Paris, Prague, Stockholm')).toBe('Europe/Amsterdam');
    expect(ianaForTzid('Customized Time Zone')).toBeUndefined();
  });

  it('refuses a display name whose stated offset does not match the zone it names', () => {
    expect(ianaForTzid('(UTC+05:00) London')).toBeUndefined();
  });

  it('reads fixed offsets written in a TZID', () => {
    expect(fixedOffsetOfTzid('(GMT +01:00)')).toBe(60);
    expect(fixedOffsetOfTzid('UTC-03:30')).toBe(-210);
    expect(fixedOffsetOfTzid('Customized Time Zone')).toBeUndefined();
    const resolved = resolveTzid('(GMT +01:00)', new Map(), 'Europe/London');
    expect(resolved.rule).toEqual({ kind: 'fixed', offsetMinutes: 60 });
    expect(resolved.warning).toContain('fixed offset UTC+01:00');
  });

  it('parses dates strictly', () => {
    expect(parseJcalDateValue('2026-12-03T18:30:00Z')).toEqual({
      wall: { year: 2026, month: 12, day: 3, hour: 18, minute: 30, second: 0, isDate: false },
      utc: true,
    });
    expect(parseJcalDateValue('2026-12-03')?.wall.isDate).toBe(true);
    expect(parseJcalDateValue('2026-02-29')).toBeUndefined();
    expect(parseJcalDateValue('2026-13-01T10:00:00')).toBeUndefined();
    expect(parseJcalDateValue('2026-01-01T24:00:00')).toBeUndefined();
  });

  it('agrees with elections/zoned-time around both clock changes', () => {
    const cases: Array<[string, string, string]> = [
      ['2026-03-29', '00:30', 'Europe/London'],
      ['2026-03-29', '01:30', 'Europe/London'],
      ['2026-03-29', '02:30', 'Europe/London'],
      ['2026-10-25', '00:30', 'Europe/London'],
      ['2026-10-25', '01:30', 'Europe/London'],
      ['2026-10-25', '02:30', 'Europe/London'],
      ['2026-03-08', '02:30', 'America/New_York'],
      ['2026-11-01', '01:30', 'America/New_York'],
      ['2026-04-05', '02:30', 'Australia/Sydney'],
    ];
    for (const [day, time, zone] of cases) {
      const [y, m, d] = day.split('-').map(Number) as [number, number, number];
      const [hh, mm] = time.split(':').map(Number) as [number, number];
      const wall: WallClock = { year: y, month: m, day: d, hour: hh, minute: mm, second: 0, isDate: false };
      expect(wallClockToMillis(wall, { kind: 'iana', name: zone }), `${day} ${time} ${zone}`).toBe(zonedToUtc(day, time, zone).getTime());
    }
  });
});
