import { describe, expect, it } from 'vitest';
import { wallClockText, zonedParts, zonedToUtc } from '../../src/elections/zoned-time.js';

describe('zoned time', () => {
  it('converts wall-clock London times either side of the clocks changing, again and again', () => {
    for (let i = 0; i < 3; i++) {
      expect(zonedToUtc('2027-03-27', '12:00', 'Europe/London').toISOString()).toBe('2027-03-27T12:00:00.000Z');
      expect(zonedToUtc('2027-03-28', '12:00', 'Europe/London').toISOString()).toBe('2027-03-28T11:00:00.000Z');
      // 01:30 does not exist on the morning the clocks go forward: it moves on to 02:30 BST.
      expect(zonedToUtc('2027-03-28', '01:30', 'Europe/London').toISOString()).toBe('2027-03-28T01:30:00.000Z');
    }
  });

  it('keeps zones apart', () => {
    expect(zonedToUtc('2027-07-01', '09:00', 'Europe/London').toISOString()).toBe('2027-07-01T08:00:00.000Z');
    expect(zonedToUtc('2027-07-01', '09:00', 'America/New_York').toISOString()).toBe('2027-07-01T13:00:00.000Z');
    expect(zonedParts(new Date('2027-07-01T08:00:00.000Z'), 'Europe/London')).toEqual({ day: '2027-07-01', time: '09:00', weekday: 4 });
    expect(zonedParts(new Date('2027-07-01T08:00:00.000Z'), 'Asia/Tokyo')).toEqual({ day: '2027-07-01', time: '17:00', weekday: 4 });
  });

  it('refuses an unknown zone every time it is asked', () => {
    expect(() => zonedToUtc('2027-07-01', '09:00', 'Mars/Olympus')).toThrow(RangeError);
    expect(() => zonedToUtc('2027-07-01', '09:00', 'Mars/Olympus')).toThrow(RangeError);
    expect(() => zonedParts(new Date(), 'Mars/Olympus')).toThrow(RangeError);
  });

  it('writes an instant as the wall clock of a zone, with seconds, and knows no zone it cannot read', () => {
    expect(wallClockText(Date.parse('2027-06-01T17:30:15Z'), 'Europe/London')).toBe('2027-06-01T18:30:15');
    expect(wallClockText(Date.parse('2027-01-01T00:00:00Z'), 'Europe/London')).toBe('2027-01-01T00:00:00');
    expect(wallClockText(Date.parse('2027-01-01T00:00:00Z'), 'Not/AZone')).toBeUndefined();
  });
});
