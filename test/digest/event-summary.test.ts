import { describe, expect, it } from 'vitest';
import { CANCELLED_KIND, eventSummaryOf } from '../../src/digest/event-summary.js';
import { A, calendars, directory, event } from '../support/council.js';
import { BODY_MARKER } from './fixtures.js';

const NOW = '2026-11-20T09:00:00.000Z';

describe('eventSummaryOf', () => {
  it('keeps title, time, place, kind, wards and people, and never the description', () => {
    const item = event({
      uid: 'parking@millbrook-tc.gov.uk',
      organizer: A.sam,
      summary: 'Public meeting: parking in Market Square',
      location: 'Millbrook Library, Castle Street',
      description: BODY_MARKER,
      start: '2026-12-03T19:00:00.000Z',
      attendees: [A.tom, 'room:' + A.chamber],
    });
    const summary = eventSummaryOf(item, directory, calendars, NOW);
    expect(summary).toEqual({
      key: 'parking@millbrook-tc.gov.uk',
      calendarId: 'council-events',
      summary: 'Public meeting: parking in Market Square',
      start: '2026-12-03T19:00:00.000Z',
      end: '2026-12-03T21:00:00.000Z',
      location: 'Millbrook Library, Castle Street',
      kinds: ['public-meeting'],
      wards: ['castle'],
      organizer: A.sam,
      attendees: [A.tom],
      origin: 'test:parking@millbrook-tc.gov.uk',
      sequence: 0,
      allDay: false,
    });
    expect(JSON.stringify(summary)).not.toContain(BODY_MARKER);
  });

  it('keeps where the source holds the event and which version was read, for changing it there later', () => {
    const item = {
      ...event({ uid: 'forum@millbrook-tc.gov.uk', organizer: A.clerk, summary: 'Public meeting: Castle Street', start: '2026-12-03T19:00:00.000Z' }),
      organizer: { address: A.clerk, name: 'Helen Ashworth' },
      origin: 'https://dav.millbrook-tc.gov.uk/protocol%40millbrook-tc.gov.uk/council-events/forum.ics',
      etag: '"e-42"',
      sequence: 3,
      allDay: true,
    };
    expect(eventSummaryOf(item, directory, calendars, NOW)).toMatchObject({
      organizer: A.clerk,
      organizerName: 'Helen Ashworth',
      origin: 'https://dav.millbrook-tc.gov.uk/protocol%40millbrook-tc.gov.uk/council-events/forum.ics',
      etag: '"e-42"',
      sequence: 3,
      allDay: true,
    });
    expect(eventSummaryOf({ ...item, origin: '' }, directory, calendars, NOW)).not.toHaveProperty('origin');
  });

  it('gives a series the time of its next occurrence, and marks a cancelled event', () => {
    const series = event({
      summary: 'Open meeting: Riverside Park friends',
      location: 'Riverside Park Pavilion',
      start: '2026-11-02T18:30:00.000Z',
      occurrences: [
        { start: '2026-11-02T18:30:00.000Z', end: '2026-11-02T20:00:00.000Z', recurrenceId: '2026-11-02T18:30:00.000Z' },
        { start: '2026-12-07T18:30:00.000Z', end: '2026-12-07T20:00:00.000Z', recurrenceId: '2026-12-07T18:30:00.000Z' },
      ],
    });
    expect(eventSummaryOf(series, directory, calendars, NOW)).toMatchObject({ start: '2026-12-07T18:30:00.000Z', end: '2026-12-07T20:00:00.000Z' });
    const cancelled = event({ summary: 'Public meeting: Weir Road', status: 'CANCELLED' });
    expect(eventSummaryOf(cancelled, directory, calendars, NOW).kinds).toEqual(['public-meeting', CANCELLED_KIND]);
  });
});
