/**
 * Events as cloud calendar APIs give them (JSON) become the same EventItems as the same events
 * written as iCalendar: same keys (UID, UID#RECURRENCE-ID), times, zone, recurrence, people.
 * Only what names the source text differs: its hash (and the origin, set equal here).
 */
import { describe, expect, it } from 'vitest';
import { parseCalendar, type ParseCalendarOptions } from '../../src/items/ical-parse.js';
import { eventItemsFromNormalised, normalisedEventsToICalendar, type NormalisedEvent } from '../../src/items/normalised-event.js';
import type { EventItem } from '../../src/items/types.js';

const OPTIONS: ParseCalendarOptions = {
  calendarId: 'council-events',
  origin: 'AAMkAGI2TG93AAA=',
  timeZone: 'Europe/London',
  horizon: { from: '2026-01-01T00:00:00Z', to: '2027-01-01T00:00:00Z' },
};

function withoutHash(items: readonly EventItem[]): Omit<EventItem, 'contentHash'>[] {
  return items.map(({ contentHash: _hash, ...rest }) => rest);
}

function ics(...lines: string[]): string {
  return ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Millbrook Town Council//Outlook//EN', ...lines, 'END:VCALENDAR', ''].join('\r\n');
}

function same(text: string, json: NormalisedEvent[]): EventItem[] {
  const fromIcs = parseCalendar(text, OPTIONS);
  const fromJson = eventItemsFromNormalised(json, OPTIONS);
  expect(fromIcs.problems).toEqual([]);
  expect(fromJson.problems).toEqual([]);
  expect(fromIcs.events.length).toBeGreaterThan(0);
  expect(withoutHash(fromJson.events)).toEqual(withoutHash(fromIcs.events));
  return fromJson.events;
}

describe('a normalised (JSON) event', () => {
  it('is the same item as the same public meeting given as iCalendar', () => {
    const items = same(
      ics(
        'BEGIN:VEVENT',
        'UID:040000008200E00074C5B7101A82E00800000000castle',
        'DTSTART;TZID=Europe/London:20260310T190000',
        'DTEND;TZID=Europe/London:20260310T203000',
        'SEQUENCE:2',
        'SUMMARY:Public meeting: traffic calming\\, Castle Street',
        'DESCRIPTION:An open meeting for residents.\\nAll welcome.',
        'LOCATION:Millbrook Library\\; Castle Street',
        'CATEGORIES:Public Meeting',
        'STATUS:CONFIRMED',
        'ORGANIZER;CN="Helen Ashworth":mailto:clerk@millbrook-tc.gov.uk',
        'ATTENDEE;CN="Cllr Tom Brown";ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED:mailto:tom.brown@millbrook-tc.gov.uk',
        'ATTENDEE;CUTYPE=ROOM;ROLE=NON-PARTICIPANT;PARTSTAT=ACCEPTED:mailto:library-room@millbrook-tc.gov.uk',
        'END:VEVENT',
      ),
      [
        {
          uid: '040000008200E00074C5B7101A82E00800000000castle',
          start: { dateTime: '2026-03-10T19:00:00.0000000', timeZone: 'Europe/London' },
          end: { dateTime: '2026-03-10T20:30:00.0000000', timeZone: 'Europe/London' },
          sequence: 2,
          summary: 'Public meeting: traffic calming, Castle Street',
          description: 'An open meeting for residents.\nAll welcome.',
          location: 'Millbrook Library; Castle Street',
          categories: ['Public Meeting'],
          status: 'confirmed',
          organizer: { address: 'clerk@millbrook-tc.gov.uk', name: 'Helen Ashworth' },
          attendees: [
            { address: 'tom.brown@millbrook-tc.gov.uk', name: 'Cllr Tom Brown', role: 'req-participant', partstat: 'accepted' },
            { address: 'library-room@millbrook-tc.gov.uk', cutype: 'room', role: 'non-participant', partstat: 'accepted' },
          ],
        },
      ],
    );
    expect(items[0]).toMatchObject({ key: '040000008200E00074C5B7101A82E00800000000castle', start: '2026-03-10T19:00:00.000Z', timeZone: 'Europe/London' });
  });

  it('is the same series, occurrences and changed occurrence, given as UTC instants the way Graph gives them', () => {
    const items = same(
      ics(
        'BEGIN:VEVENT',
        'UID:surgery-series@millbrook-tc.gov.uk',
        'DTSTART:20260305T180000Z',
        'DTEND:20260305T190000Z',
        'SUMMARY:Ward surgery',
        'RRULE:FREQ=WEEKLY;COUNT=4',
        'EXDATE:20260312T180000Z',
        'END:VEVENT',
        'BEGIN:VEVENT',
        'UID:surgery-series@millbrook-tc.gov.uk',
        'RECURRENCE-ID:20260319T180000Z',
        'DTSTART:20260319T183000Z',
        'DTEND:20260319T193000Z',
        'SUMMARY:Ward surgery (late start)',
        'END:VEVENT',
      ),
      [
        {
          uid: 'surgery-series@millbrook-tc.gov.uk',
          start: { dateTime: '2026-03-05T18:00:00.0000000', timeZone: 'UTC' },
          end: { dateTime: '2026-03-05T19:00:00Z' },
          summary: 'Ward surgery',
          recurrence: ['RRULE:FREQ=WEEKLY;COUNT=4', 'EXDATE:20260312T180000Z'],
        },
        {
          uid: 'surgery-series@millbrook-tc.gov.uk',
          recurrenceId: { dateTime: '2026-03-19T18:00:00Z' },
          start: { dateTime: '2026-03-19T18:30:00Z' },
          end: { dateTime: '2026-03-19T19:30:00Z' },
          summary: 'Ward surgery (late start)',
        },
      ],
    );
    expect(items.map((i) => i.key).sort()).toEqual(['surgery-series@millbrook-tc.gov.uk', 'surgery-series@millbrook-tc.gov.uk#2026-03-19T18:00:00.000Z']);
    const series = items.find((i) => i.recurring);
    expect(series?.occurrences.map((o) => o.start)).toEqual(['2026-03-05T18:00:00.000Z', '2026-03-26T18:00:00.000Z']);
  });

  it('is the same all-day event, and the same cancelled one, with an instant given with its offset (as Google gives it)', () => {
    same(
      ics('BEGIN:VEVENT', 'UID:fete@millbrook-tc.gov.uk', 'DTSTART;VALUE=DATE:20260613', 'DTEND;VALUE=DATE:20260614', 'SUMMARY:Summer fete', 'CLASS:PRIVATE', 'END:VEVENT'),
      [{ uid: 'fete@millbrook-tc.gov.uk', start: { date: '2026-06-13' }, end: { date: '2026-06-14' }, summary: 'Summer fete', classification: 'private' }],
    );
    same(
      ics('BEGIN:VEVENT', 'UID:visit@millbrook-tc.gov.uk', 'DTSTART;TZID=Europe/London:20260716T100000', 'DTEND;TZID=Europe/London:20260716T110000', 'STATUS:CANCELLED', 'END:VEVENT'),
      [
        {
          uid: 'visit@millbrook-tc.gov.uk',
          start: { dateTime: '2026-07-16T10:00:00+01:00', timeZone: 'Europe/London' },
          end: { dateTime: '2026-07-16T11:00:00+01:00', timeZone: 'Europe/London' },
          status: 'cancelled',
        },
      ],
    );
  });

  it('cannot add a line of its own: line breaks and separators in every field are escaped or dropped', () => {
    const text = normalisedEventsToICalendar([
      {
        uid: 'x@millbrook-tc.gov.uk\r\nATTENDEE:mailto:uid@evil.example',
        start: { dateTime: '2026-03-10T19:00:00Z' },
        summary: 'Meeting\r\nATTENDEE:mailto:summary@evil.example',
        organizer: { address: 'clerk@millbrook-tc.gov.uk\nATTENDEE:mailto:organizer@evil.example', name: 'Helen"\r\nATTENDEE:mailto:cn@evil.example' },
        recurrence: ['RRULE:FREQ=DAILY;COUNT=2\r\nATTENDEE:mailto:rrule@evil.example'],
      },
    ]);
    const { events } = parseCalendar(text, OPTIONS);
    expect(events.length).toBeGreaterThan(0);
    expect(events.flatMap((e) => e.attendees.map((a) => a.address))).toEqual([]);
    expect(text.split('\r\n').filter((l) => l.startsWith('ATTENDEE'))).toEqual([]);
  });

  it('that is not one is a problem naming the field, never a throw', () => {
    const { events, problems } = eventItemsFromNormalised([{ uid: 'no-start@millbrook-tc.gov.uk', summary: 'No start' }], OPTIONS);
    expect(events).toEqual([]);
    expect(problems).toEqual([{ origin: OPTIONS.origin, kind: 'calendar', reason: expect.stringMatching(/^The event given by the source could not be read \(start: /) }]);
  });
});
