/**
 * What could not be read is an error; what was read with a remark is a warning (issue 12, point 17).
 * Real files from the shared corpora, read where they lie, and a Millbrook calendar.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCalendar } from '../../src/items/ical-parse.js';
import type { Problem } from '../../src/items/types.js';
import { problemLines } from '../../src/output/report.js';

const corpus = path.resolve(import.meta.dirname, '../../../shared/corpora/ics');

function read(relative: string): { events: number; problems: Problem[] } {
  const r = parseCalendar(readFileSync(path.join(corpus, relative), 'utf8'), {
    calendarId: 'council-events',
    origin: relative,
    timeZone: 'Europe/London',
    horizon: { from: '2000-01-01T00:00:00Z', to: '2030-01-01T00:00:00Z' },
  });
  return { events: r.events.length, problems: r.problems };
}

const severities = (problems: Problem[]): string[] => problems.map((p) => p.severity ?? 'error');

describe('the severity of a calendar problem', () => {
  it('a duplicate UID settled by SEQUENCE is a warning: both events were read', () => {
    const r = read('node-ical/fixtures/duplicate-uid-sequence.ics');
    expect(r.events).toBeGreaterThan(0);
    expect(r.problems.map((p) => p.reason)).toEqual([
      expect.stringMatching(/appears more than once in this calendar; the copy with the higher SEQUENCE \(2\) was used/),
      expect.stringMatching(/appears more than once in this calendar; the copy with the higher SEQUENCE \(3\) was used/),
    ]);
    expect(severities(r.problems)).toEqual(['warning', 'warning']);
  });

  it('a time zone read by its name, a repeated override and a line left out are warnings', () => {
    for (const file of ['node-ical/fixtures/bad_custom_ms_tz.ics', 'node-ical/fixtures/recurrence-sequence.ics', 'python-icalendar/calendars/issue_168_input.ics']) {
      const r = read(file);
      expect(r.problems.length, file).toBeGreaterThan(0);
      expect(new Set(severities(r.problems)), file).toEqual(new Set(['warning']));
    }
  });

  it('a VTIMEZONE without TZID is a warning: the events that use its zone are still read', () => {
    const source = [
      'BEGIN:VCALENDAR',
      'VERSION:2.0',
      'PRODID:-//Millbrook Town Council//EN',
      'BEGIN:VTIMEZONE',
      'BEGIN:STANDARD',
      'DTSTART:19701025T020000',
      'TZOFFSETFROM:+0100',
      'TZOFFSETTO:+0000',
      'END:STANDARD',
      'END:VTIMEZONE',
      'BEGIN:VEVENT',
      'UID:planning-2027-04@millbrook-tc.gov.uk',
      'DTSTAMP:20270301T090000Z',
      'DTSTART;TZID=Europe/London:20270414T190000',
      'SUMMARY:Planning Committee',
      'END:VEVENT',
      'END:VCALENDAR',
      '',
    ].join('\r\n');
    const r = parseCalendar(source, { calendarId: 'council-events', origin: 'planning.ics', timeZone: 'Europe/London', horizon: { from: '2027-01-01T00:00:00Z', to: '2028-01-01T00:00:00Z' } });
    expect(r.events.map((e) => e.start)).toEqual(['2027-04-14T18:00:00.000Z']);
    expect(r.problems).toEqual([
      { origin: 'planning.ics', kind: 'calendar', severity: 'warning', reason: expect.stringMatching(/^A time zone definition \(VTIMEZONE\) has no TZID and was ignored/) },
    ]);
  });

  it('a file that is not a calendar, or an event that could not be read, is an error', () => {
    expect(severities(read('python-icalendar/alarms/example.ics').problems)).toEqual(['error']);
    const r = read('node-ical/fixtures/large-file-with-late-error.ics');
    expect(r.problems.length).toBe(6);
    expect(new Set(severities(r.problems))).toEqual(new Set(['error']));
    expect(r.problems[0]?.reason).toMatch(/^Event "Event 060" \(UID event060@example\.com\) was not read/);
  });

  it('a file cut short has both: its complete events read with a warning, the unfinished ones not read', () => {
    const r = read('python-icalendar/calendars/small_bad_calendar.ics');
    expect(r.problems.map((p) => [p.severity ?? 'error', p.reason])).toEqual([
      ['warning', 'The calendar has no END:VCALENDAR, so the file may be cut short; the events that were complete have been read.'],
      ['error', 'An event with no UID or title was not read: it has no start date (DTSTART).'],
    ]);
  });
});

describe('problem lines for the report', () => {
  it('shows identical lines once, with a count, errors apart from warnings, in the order first reported', () => {
    const r = read('python-icalendar/calendars/big_bad_calendar.ics');
    expect(r.problems.length).toBe(21);
    const lines = problemLines(r.problems);
    expect(lines.errors).toEqual([
      { origin: 'python-icalendar/calendars/big_bad_calendar.ics', reason: 'An event with no UID or title was not read: it has no start date (DTSTART).', count: 20 },
    ]);
    expect(lines.warnings).toEqual([
      {
        origin: 'python-icalendar/calendars/big_bad_calendar.ics',
        reason: 'The calendar has no END:VCALENDAR, so the file may be cut short; the events that were complete have been read.',
        count: 1,
      },
    ]);
  });

  it('keeps the same reason from two files as two lines', () => {
    const a: Problem = { origin: 'calendars/council-events/a.ics', kind: 'calendar', reason: 'not an iCalendar file: the file is empty' };
    const b: Problem = { ...a, origin: 'calendars/council-events/b.ics' };
    expect(problemLines([a, b, a]).errors.map((l) => [l.origin, l.count])).toEqual([
      ['calendars/council-events/a.ics', 2],
      ['calendars/council-events/b.ics', 1],
    ]);
  });
});
