import { describe, expect, it } from 'vitest';
import { isQuietTime, keepsQuietHours, nextAllowedTime, planDelivery, summaryTime, type QuietHours } from '../../src/outbox/schedule.js';
import { A, directory } from '../support/council.js';
import { planning } from './fixtures.js';

const LONDON = 'Europe/London';
const quiet: QuietHours = { start: '18:00', end: '08:00', weekends: true, roles: ['officer'] };
const next = (iso: string, q: QuietHours = quiet): string => nextAllowedTime(new Date(iso), q, LONDON).toISOString();

describe('quiet hours', () => {
  it('holds a Friday 18:30 nudge until Monday 08:00 (winter, GMT)', () => {
    // Friday 16 January 2026, 18:30 GMT.
    expect(next('2026-01-16T18:30:00Z')).toBe('2026-01-19T08:00:00.000Z');
  });

  it('holds it until Monday 08:00 BST when the clocks go forward over the weekend', () => {
    // Friday 27 March 2026, 18:30 GMT; BST starts Sunday 29 March; Monday 08:00 BST is 07:00 UTC.
    expect(next('2026-03-27T18:30:00Z')).toBe('2026-03-30T07:00:00.000Z');
  });

  it('holds it until Monday 08:00 GMT when the clocks go back over the weekend', () => {
    // Friday 23 October 2026, 18:30 BST (17:30 UTC); GMT from Sunday 25 October.
    expect(next('2026-10-23T17:30:00Z')).toBe('2026-10-26T08:00:00.000Z');
  });

  it('skips Good Friday, the weekend and Easter Monday, across the clock change', () => {
    // Thursday 25 March 2027, 19:00 GMT. Good Friday 26th, BST from Sunday 28th, Easter Monday 29th.
    expect(next('2027-03-25T19:00:00Z')).toBe('2027-03-30T07:00:00.000Z');
  });

  it('holds an early-morning nudge until 08:00 the same working day', () => {
    // Tuesday 13 January 2026, 06:15 GMT.
    expect(next('2026-01-13T06:15:00Z')).toBe('2026-01-13T08:00:00.000Z');
  });

  it('holds a weekday-evening nudge until 08:00 the next morning (local time in summer)', () => {
    // Tuesday 16 June 2026, 21:00 BST = 20:00 UTC → Wednesday 08:00 BST = 07:00 UTC.
    expect(next('2026-06-16T20:00:00Z')).toBe('2026-06-17T07:00:00.000Z');
  });

  it('lets a working-hours nudge go at once', () => {
    // Wednesday 14 January 2026, 10:00.
    expect(next('2026-01-14T10:00:00Z')).toBe('2026-01-14T10:00:00.000Z');
    expect(isQuietTime(new Date('2026-01-14T17:59:00Z'), quiet, LONDON)).toBe(false);
    expect(isQuietTime(new Date('2026-01-14T18:00:00Z'), quiet, LONDON)).toBe(true);
    expect(isQuietTime(new Date('2026-01-14T08:00:00Z'), quiet, LONDON)).toBe(false);
  });

  it('lets weekends through when the council says so', () => {
    const weekendsOk: QuietHours = { ...quiet, weekends: false };
    // Saturday 17 January 2026 11:00 is fine; Saturday 19:00 waits for Sunday 08:00.
    expect(next('2026-01-17T11:00:00Z', weekendsOk)).toBe('2026-01-17T11:00:00.000Z');
    expect(next('2026-01-17T19:00:00Z', weekendsOk)).toBe('2026-01-18T08:00:00.000Z');
  });

  it('handles a window that does not span midnight', () => {
    const lunch: QuietHours = { start: '12:00', end: '14:00', weekends: true, roles: ['officer'] };
    expect(next('2026-01-14T12:30:00Z', lunch)).toBe('2026-01-14T14:00:00.000Z');
    // Saturday → the start of Monday, which is outside the window.
    expect(next('2026-01-17T12:30:00Z', lunch)).toBe('2026-01-19T00:00:00.000Z');
  });

  it('applies only to personal messages to people whose role keeps quiet hours', () => {
    expect(keepsQuietHours('nudge', A.sam, planning)).toBe(true);
    expect(keepsQuietHours('notify', A.sam, planning)).toBe(true);
    expect(keepsQuietHours('nudge', A.tom, planning)).toBe(false);
    expect(keepsQuietHours('notify-clerk', A.clerk, planning)).toBe(false);
    expect(keepsQuietHours('block', '', planning)).toBe(false);
    expect(keepsQuietHours('nudge', 'stranger@example.com', planning)).toBe(false);
  });
});

describe('planDelivery', () => {
  const fridayEvening = new Date('2026-01-16T18:30:00Z');

  it('delays an officer nudge and counts it against the day it goes out', () => {
    const plan = planDelivery('nudge', A.sam, fridayEvening, planning);
    expect(plan.notBefore.toISOString()).toBe('2026-01-19T08:00:00.000Z');
    expect(plan.cap).toMatchObject({ person: A.sam, day: '2026-01-19', limit: 3, quiet: true });
    // Summary: the next working morning after Monday.
    expect(plan.cap?.summaryAt.toISOString()).toBe('2026-01-20T08:00:00.000Z');
  });

  it('sends a member nudge at once and counts it against today', () => {
    const plan = planDelivery('warn', A.tom, fridayEvening, planning);
    expect(plan.notBefore.toISOString()).toBe(fridayEvening.toISOString());
    expect(plan.cap).toMatchObject({ person: A.tom, day: '2026-01-16', quiet: false });
    expect(plan.cap?.summaryAt.toISOString()).toBe('2026-01-17T08:00:00.000Z');
  });

  it('counts a personal address against the person it belongs to', () => {
    const plan = planDelivery('nudge', A.tomPersonal, fridayEvening, planning);
    expect(plan.cap?.person).toBe(directory.person(A.tom)?.id);
  });

  it('does not cap notices, invitations or blocks', () => {
    expect(planDelivery('notify', A.tom, fridayEvening, planning).cap).toBeUndefined();
    expect(planDelivery('invite', A.tom, fridayEvening, planning).cap).toBeUndefined();
    expect(planDelivery('block', '', fridayEvening, planning)).toEqual({ notBefore: fridayEvening });
  });

  it('uses the council-timezone day near midnight in summer', () => {
    // 23:30 BST on Tuesday 16 June 2026 is 22:30 UTC: still the 16th in the council's day.
    const plan = planDelivery('nudge', A.tom, new Date('2026-06-16T22:30:00Z'), planning);
    expect(plan.cap?.day).toBe('2026-06-16');
    expect(summaryTime('2026-06-16', false, planning).toISOString()).toBe('2026-06-17T07:00:00.000Z');
  });
});
