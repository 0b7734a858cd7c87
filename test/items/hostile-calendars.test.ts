/**
 * Large and hostile calendars (issue 12, point 19), from the bench's own generators at small sizes:
 * the results must be right however many attendees, however deep the nesting, however many
 * events. How long the full sizes take is the bench's business (`npm run bench -- hostile`).
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { councilYearCalendar, deeplyNestedCalendar, manyAttendeesCalendar } from '../../bench/hostile-calendars.js';
import { parseCalendar, type ParseCalendarOptions } from '../../src/items/ical-parse.js';

const OPTS: ParseCalendarOptions = {
  calendarId: 'council-events',
  origin: 'calendars/council-events/hostile.ics',
  timeZone: 'Europe/London',
  horizon: { from: '2027-01-01T00:00:00Z', to: '2028-06-01T00:00:00Z' },
};

describe('one event with thousands of attendees', () => {
  it('lists all 2,000, in the order written, each once', () => {
    const { events, problems } = parseCalendar(manyAttendeesCalendar(2000), OPTS);
    expect(problems).toEqual([]);
    expect(events).toHaveLength(1);
    const attendees = events[0]?.attendees ?? [];
    expect(attendees).toHaveLength(2000);
    expect(attendees[0]).toEqual({ address: 'clerk@millbrook-tc.gov.uk', name: 'Helen Ashworth', role: 'REQ-PARTICIPANT', partstat: 'NEEDS-ACTION', cutype: 'INDIVIDUAL' });
    expect(attendees[1999]?.address).toBe('resident1999@example.org');
    expect(new Set(attendees.map((a) => a.address)).size).toBe(2000);
  });

  it('keeps the first line for an address given again, however far apart', () => {
    const source = manyAttendeesCalendar(2000).replace(
      'END:VEVENT',
      'ATTENDEE;ROLE=OPT-PARTICIPANT;PARTSTAT=DECLINED:mailto:Clerk@millbrook-tc.gov.uk\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:resident1500@example.org\r\nEND:VEVENT',
    );
    const attendees = parseCalendar(source, OPTS).events[0]?.attendees ?? [];
    expect(attendees).toHaveLength(2000);
    expect(attendees[0]).toMatchObject({ address: 'clerk@millbrook-tc.gov.uk', role: 'REQ-PARTICIPANT', partstat: 'NEEDS-ACTION' });
    expect(attendees.find((a) => a.address === 'resident1500@example.org')?.partstat).toBe('NEEDS-ACTION');
  });
});

describe('components nested hundreds deep', () => {
  it('reads the event around them, whole, and hashes exactly its own lines', () => {
    const source = deeplyNestedCalendar(500);
    const { events, problems } = parseCalendar(source, OPTS);
    expect(problems).toEqual([]);
    expect(events.map((e) => [e.uid, e.summary, e.start, e.end])).toEqual([
      ['ward-surgery-nested@millbrook-tc.gov.uk', 'Ward surgery: Riverside', '2027-04-20T09:00:00.000Z', '2027-04-20T11:00:00.000Z'],
    ]);
    const lines = source.split('\r\n');
    const own = lines.slice(lines.indexOf('BEGIN:VEVENT'), lines.lastIndexOf('END:VEVENT') + 1).join('\r\n');
    expect(events[0]?.contentHash).toBe(createHash('sha256').update(own, 'utf8').digest('hex'));
  });

  it('survives hundreds of END lines that close nothing, and nested components the event closes for them', () => {
    const strays = Array.from({ length: 500 }, (_, i) => `END:X-NOTHING-${i}`).join('\r\n');
    const unclosed = Array.from({ length: 500 }, () => 'BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT15M').join('\r\n');
    const source = deeplyNestedCalendar(2).replace('END:VEVENT', `${strays}\r\n${unclosed}\r\nEND:VEVENT`);
    const { events, problems } = parseCalendar(source, OPTS);
    expect(problems).toEqual([]);
    expect(events.map((e) => e.summary)).toEqual(['Ward surgery: Riverside']);
  });
});

describe("a council's year in one file", () => {
  it('gives one item per VEVENT, series expanded and moved occurrences keyed by their RECURRENCE-ID', () => {
    const { events, problems } = parseCalendar(councilYearCalendar(300), OPTS);
    expect(problems).toEqual([]);
    expect(events).toHaveLength(300);
    expect(new Set(events.map((e) => e.key)).size).toBe(300);
    const series = events.filter((e) => e.recurring);
    expect(series.length).toBeGreaterThan(10);
    for (const s of series) expect(s.occurrences.length, s.key).toBeGreaterThan(0);
    const moved = events.filter((e) => e.recurrenceId !== undefined);
    expect(moved.length).toBeGreaterThan(0);
    for (const m of moved) {
      expect(m.key).toBe(`${m.uid}#${m.recurrenceId}`);
      const master = series.find((s) => s.uid === m.uid);
      expect(master?.occurrences.map((o) => o.recurrenceId)).not.toContain(m.recurrenceId);
    }
  });
});
