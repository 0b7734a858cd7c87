import { createTask } from 'node-cron';
import { describe, expect, it } from 'vitest';
import { cronMatches, CronSyntaxError, parseCron } from '../../src/digest/cron.js';
import { digestDateOf, lastDigestTime, nextDigestTime } from '../../src/digest/scheduler.js';

const LONDON = 'Europe/London';
const sorted = (s: ReadonlySet<number>): number[] => [...s].sort((a, b) => a - b);

describe('parseCron', () => {
  it('reads numbers, ranges, lists and steps', () => {
    const c = parseCron('0,15,30-32 */6 1-10/3 * 1-5');
    expect(sorted(c.minutes)).toEqual([0, 15, 30, 31, 32]);
    expect(sorted(c.hours)).toEqual([0, 6, 12, 18]);
    expect(sorted(c.daysOfMonth)).toEqual([1, 4, 7, 10]);
    expect(sorted(c.months)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(sorted(c.weekdays)).toEqual([1, 2, 3, 4, 5]);
  });

  it('reads month and weekday names, 7 as Sunday, a start with a step, and the nicknames', () => {
    const c = parseCron('5/20 7 * jan,Dec mon-fri,7');
    expect(sorted(c.minutes)).toEqual([5, 25, 45]);
    expect(sorted(c.months)).toEqual([1, 12]);
    expect(sorted(c.weekdays)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(sorted(parseCron('@daily').hours)).toEqual([0]);
    expect(sorted(parseCron('@weekly').weekdays)).toEqual([0]);
  });

  it('ignores a leading seconds field, which node-cron accepts', () => {
    const c = parseCron('0 30 7 * * 1-5');
    expect(sorted(c.minutes)).toEqual([30]);
    expect(sorted(c.hours)).toEqual([7]);
  });

  it('explains what is wrong, naming the field', () => {
    expect(() => parseCron('30 7 * *')).toThrow(CronSyntaxError);
    expect(() => parseCron('30 7 * *')).toThrow(/has 4 fields.*five fields/);
    expect(() => parseCron('61 7 * * *')).toThrow(/61 is outside the minute field's range 0–59/);
    expect(() => parseCron('30 7 * * 5-1')).toThrow(/runs backwards/);
    expect(() => parseCron('30 7 L * *')).toThrow(/"L" is not a number in the day of month field/);
    expect(() => parseCron('*/0 7 * * *')).toThrow(/step "\/0"/);
  });
});

describe('nextDigestTime', () => {
  it('skips the weekend for "30 7 * * 1-5"', () => {
    // Friday 9 January 2026, 08:00 GMT → Monday 12 January 07:30 GMT.
    expect(nextDigestTime('30 7 * * 1-5', LONDON, new Date('2026-01-09T08:00:00Z')).toISOString()).toBe('2026-01-12T07:30:00.000Z');
    // Saturday → Monday; Monday 07:00 → the same morning.
    expect(nextDigestTime('30 7 * * 1-5', LONDON, new Date('2026-01-10T12:00:00Z')).toISOString()).toBe('2026-01-12T07:30:00.000Z');
    expect(nextDigestTime('30 7 * * 1-5', LONDON, new Date('2026-01-12T07:00:00Z')).toISOString()).toBe('2026-01-12T07:30:00.000Z');
  });

  it('is strictly after the given instant', () => {
    expect(nextDigestTime('30 7 * * *', LONDON, new Date('2026-01-12T07:30:00Z')).toISOString()).toBe('2026-01-13T07:30:00.000Z');
    expect(nextDigestTime('30 7 * * *', LONDON, new Date('2026-01-12T07:29:59.999Z')).toISOString()).toBe('2026-01-12T07:30:00.000Z');
  });

  it('keeps 07:30 on the wall clock when British Summer Time starts and ends', () => {
    // Clocks go forward on Sunday 29 March 2026: Friday 07:30 GMT, then Monday 07:30 BST (06:30 UTC).
    expect(nextDigestTime('30 7 * * 1-5', LONDON, new Date('2026-03-27T06:00:00Z')).toISOString()).toBe('2026-03-27T07:30:00.000Z');
    expect(nextDigestTime('30 7 * * 1-5', LONDON, new Date('2026-03-27T08:00:00Z')).toISOString()).toBe('2026-03-30T06:30:00.000Z');
    // Clocks go back on Sunday 25 October 2026: Friday 07:30 BST (06:30 UTC), then Monday 07:30 GMT.
    expect(nextDigestTime('30 7 * * 1-5', LONDON, new Date('2026-10-23T05:00:00Z')).toISOString()).toBe('2026-10-23T06:30:00.000Z');
    expect(nextDigestTime('30 7 * * 1-5', LONDON, new Date('2026-10-23T08:00:00Z')).toISOString()).toBe('2026-10-26T07:30:00.000Z');
  });

  it('skips a time the clocks jump over, and meets a repeated time twice', () => {
    // 01:30 does not exist in London on 29 March 2026.
    expect(nextDigestTime('30 1 * * *', LONDON, new Date('2026-03-28T12:00:00Z')).toISOString()).toBe('2026-03-30T00:30:00.000Z');
    // 01:30 happens twice on 25 October 2026: at 00:30 UTC (BST) and 01:30 UTC (GMT).
    expect(nextDigestTime('30 1 * * *', LONDON, new Date('2026-10-24T12:00:00Z')).toISOString()).toBe('2026-10-25T00:30:00.000Z');
    expect(nextDigestTime('30 1 * * *', LONDON, new Date('2026-10-25T00:30:00Z')).toISOString()).toBe('2026-10-25T01:30:00.000Z');
  });

  it('works in another timezone', () => {
    expect(nextDigestTime('0 9 * * *', 'America/New_York', new Date('2026-07-01T00:00:00Z')).toISOString()).toBe('2026-07-01T13:00:00.000Z');
  });

  it('says so when the schedule never falls within 400 days', () => {
    expect(() => nextDigestTime('0 7 30 2 *', LONDON, new Date('2026-01-01T00:00:00Z'))).toThrow(/does not fall on any day in the next 400 days/);
  });
});

describe('lastDigestTime', () => {
  it('finds the latest occurrence at or before an instant', () => {
    // Monday 12 January 2026 at 07:30 exactly, and a little after.
    expect(lastDigestTime('30 7 * * 1-5', LONDON, new Date('2026-01-12T07:30:00Z'))?.toISOString()).toBe('2026-01-12T07:30:00.000Z');
    expect(lastDigestTime('30 7 * * 1-5', LONDON, new Date('2026-01-12T07:30:59Z'))?.toISOString()).toBe('2026-01-12T07:30:00.000Z');
    // Monday 07:29 → the Friday before; Sunday → Friday.
    expect(lastDigestTime('30 7 * * 1-5', LONDON, new Date('2026-01-12T07:29:00Z'))?.toISOString()).toBe('2026-01-09T07:30:00.000Z');
    expect(lastDigestTime('30 7 * * 1-5', LONDON, new Date('2026-01-11T20:00:00Z'))?.toISOString()).toBe('2026-01-09T07:30:00.000Z');
  });

  it('crosses the change to summer time', () => {
    expect(lastDigestTime('30 7 * * 1-5', LONDON, new Date('2026-03-30T09:00:00Z'))?.toISOString()).toBe('2026-03-30T06:30:00.000Z');
    expect(lastDigestTime('30 7 * * 1-5', LONDON, new Date('2026-03-30T06:29:00Z'))?.toISOString()).toBe('2026-03-27T07:30:00.000Z');
  });

  it('is undefined when nothing fell within 400 days', () => {
    expect(lastDigestTime('0 7 30 2 *', LONDON, new Date('2026-06-01T00:00:00Z'))).toBeUndefined();
  });
});

describe('digestDateOf', () => {
  it('is the date in the council timezone', () => {
    expect(digestDateOf(new Date('2026-06-30T23:30:00Z'), LONDON)).toBe('2026-07-01');
    expect(digestDateOf(new Date('2026-12-31T23:30:00Z'), LONDON)).toBe('2026-12-31');
  });
});

describe('agreement with node-cron', () => {
  it('matches exactly the minutes node-cron would run, across a clock change', async () => {
    const expressions = ['30 7 * * 1-5', '*/20 6-9 * * *', '0 0 1,15 * *', '45 1 * * 0', '15 8 * mar-apr sat,sun', '0 12 * * 7'];
    for (const expression of expressions) {
      const task = createTask(expression, () => undefined, { timezone: LONDON });
      try {
        const ours = parseCron(expression);
        const mismatches: string[] = [];
        // Every 10 minutes from 20 March to 10 April 2026 (summer time starts on 29 March).
        for (let t = Date.parse('2026-03-20T00:00:00Z'); t < Date.parse('2026-04-10T00:00:00Z'); t += 10 * 60_000) {
          const instant = new Date(t);
          if (cronMatches(ours, instant, LONDON) !== task.match(instant)) mismatches.push(instant.toISOString());
        }
        expect(mismatches, expression).toEqual([]);
      } finally {
        await task.destroy();
      }
    }
  });
});
