/** The pre-election period: working days as the election rules count them, and its per-ward reach. */
import { describe, expect, test } from 'vitest';
import { buildElectionCalendar, preElectionPeriod } from '../../src/elections/pre-election.js';
import { isWorkingDay, noticeOfElectionDate, workingDaysBefore } from '../../src/elections/working-days.js';
import { zonedToUtc } from '../../src/elections/zoned-time.js';

describe('working days', () => {
  test.each([
    ['2023-03-27', true, 'an ordinary Monday'],
    ['2023-04-01', false, 'a Saturday'],
    ['2023-04-02', false, 'a Sunday'],
    ['2023-04-06', true, 'Maundy Thursday counts'],
    ['2023-04-07', false, 'Good Friday'],
    ['2023-04-10', false, 'Easter Monday'],
    ['2023-05-01', false, 'Early May bank holiday'],
    ['2023-05-08', false, 'the Coronation bank holiday'],
    ['2026-12-24', false, 'Christmas Eve'],
    ['2026-12-25', false, 'Christmas Day'],
    ['2026-12-28', false, 'Boxing Day substitute'],
    ['2026-03-15', false, "Mother's Day is an observance on a Sunday anyway"],
    ['2023-03-19', false, "Mother's Day (a Sunday)"],
    ['2023-03-20', true, 'the Monday after an observance'],
  ])('%s is a working day: %s (%s)', (day, expected) => {
    expect(isWorkingDay(day)).toBe(expected);
  });

  test('counting back skips the day itself and every non-working day', () => {
    expect(workingDaysBefore('2023-04-11', 1)).toBe('2023-04-06');
    expect(workingDaysBefore('2023-04-12', 2)).toBe('2023-04-06');
  });
});

describe('notice of election (the start of the pre-election period)', () => {
  test('poll 4 May 2023 → 27 March 2023 (the design’s example)', () => {
    expect(noticeOfElectionDate('2023-05-04')).toBe('2023-03-27');
  });
  test('poll 6 May 2027 → 31 March 2027 (Easter on 28 March)', () => {
    expect(noticeOfElectionDate('2027-05-06')).toBe('2027-03-31');
  });
  test('a January by-election counts over Christmas and New Year', () => {
    // 21 Jan 2027 back 25 working days: skips 24–28 Dec 2026 and 1 Jan 2027.
    expect(noticeOfElectionDate('2027-01-21')).toBe('2026-12-11');
  });
});

describe('the election calendar', () => {
  const calendar = buildElectionCalendar(
    [
      { poll: '2027-01-21', wards: ['northfield'], name: 'Northfield by-election' },
      { poll: '2027-05-06', wards: 'all' },
    ],
    'Europe/London',
  );

  test('the period runs from the start of the notice day to the end of polling day, in council time', () => {
    const p = preElectionPeriod({ poll: '2027-05-06', wards: 'all' }, 'Europe/London');
    expect(p.startDate).toBe('2027-03-31');
    expect(p.start).toBe('2027-03-30T23:00:00.000Z'); // midnight BST
    expect(p.end).toBe('2027-05-06T23:00:00.000Z');
  });

  test('a by-election covers only its wards', () => {
    expect(calendar.periodCovering('2027-01-10T10:00:00Z', ['northfield'])?.poll).toBe('2027-01-21');
    expect(calendar.periodCovering('2027-01-10T10:00:00Z', ['castle'])).toBeUndefined();
    expect(calendar.periodCovering('2027-01-10T10:00:00Z', [])).toBeUndefined();
  });

  test('an all-out election covers every ward, and polling day until midnight', () => {
    expect(calendar.periodCovering('2027-05-06T21:59:00Z', ['castle'])?.poll).toBe('2027-05-06');
    expect(calendar.periodCovering('2027-05-06T23:00:00Z', ['castle'])).toBeUndefined();
    expect(calendar.periodCovering('2027-03-30T22:59:00Z', ['castle'])).toBeUndefined();
  });

  test('a stretch of time overlaps a period when any of it falls inside', () => {
    // Starts the day before the period, runs into it.
    expect(calendar.periodOverlapping('2027-03-29T23:00:00Z', '2027-04-01T23:00:00Z', ['castle'])?.poll).toBe('2027-05-06');
    // Ends as the period starts: not inside.
    expect(calendar.periodOverlapping('2027-03-29T23:00:00Z', '2027-03-30T23:00:00Z', ['castle'])).toBeUndefined();
    // Starts as polling day ends: not inside.
    expect(calendar.periodOverlapping('2027-05-06T23:00:00Z', '2027-05-08T23:00:00Z', ['castle'])).toBeUndefined();
    // Runs across the whole period.
    expect(calendar.periodOverlapping('2027-03-01T00:00:00Z', '2027-06-01T00:00:00Z', ['riverside'])?.poll).toBe('2027-05-06');
    // The by-election covers Northfield only.
    expect(calendar.periodOverlapping('2027-01-20T10:00:00Z', '2027-01-25T10:00:00Z', ['castle'])).toBeUndefined();
    expect(calendar.periodOverlapping('2027-01-20T10:00:00Z', '2027-01-25T10:00:00Z', ['northfield'])?.poll).toBe('2027-01-21');
    // No length: the instant it starts, as periodCovering.
    expect(calendar.periodOverlapping('2027-04-01T10:00:00Z', '2027-04-01T10:00:00Z', ['castle'])?.poll).toBe('2027-05-06');
    expect(calendar.periodOverlapping('2027-05-06T23:00:00Z', '2027-05-06T23:00:00Z', ['castle'])).toBeUndefined();
  });

  test('a preElectionStart override wins', () => {
    expect(preElectionPeriod({ poll: '2027-05-06', wards: 'all', preElectionStart: '2027-03-01' }, 'Europe/London').startDate).toBe('2027-03-01');
  });

  test('current or next period', () => {
    expect(calendar.currentOrNext('2026-11-22T09:00:00Z')?.poll).toBe('2027-01-21');
    expect(calendar.currentOrNext('2027-02-01T09:00:00Z')?.poll).toBe('2027-05-06');
    expect(calendar.currentOrNext('2027-06-01T09:00:00Z')).toBeUndefined();
  });
});

test('wall-clock to UTC across the clock changes', () => {
  expect(zonedToUtc('2027-03-28', '00:30', 'Europe/London').toISOString()).toBe('2027-03-28T00:30:00.000Z');
  expect(zonedToUtc('2027-03-28', '02:30', 'Europe/London').toISOString()).toBe('2027-03-28T01:30:00.000Z');
  expect(zonedToUtc('2026-10-25', '12:00', 'Europe/London').toISOString()).toBe('2026-10-25T12:00:00.000Z');
});
