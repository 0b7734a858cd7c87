/**
 * When an effect may go out. Two limits protect people from Wardwatch itself:
 * Which kinds wait or count is each kind's spec (src/actions/kinds/: `waitsForWorkingHours`, `cap`).
 * - quiet hours: nudges to people whose role is in `limits.quietHours.roles` (officers by default)
 *   wait outside the working day (18:00–08:00, weekends and bank holidays by default) and go out
 *   the next working morning, in the council's timezone;
 * - a daily cap: at most `limits.nudgesPerPersonPerDay` nudges or warnings per person per day; the
 *   rest fold into one summary sent the next morning. The Clerk, whom every routed copy and notice
 *   reaches, has a cap of their own, `limits.clerkMessagesPerDay`, over all of those together, so
 *   a storm of mail cannot become a storm in the Clerk's inbox; quiet hours apply to the Clerk
 *   when `clerk` is among their roles.
 */
import { actionSpec } from '../actions/kinds/index.js';
import type { ActionKind, Config } from '../config/schema.js';
import type { Directory } from '../directory/directory.js';
import { isWorkingDay } from '../elections/working-days.js';
import { nextDay, zonedParts, zonedToUtc } from '../elections/zoned-time.js';

export type Limits = Config['limits'];
export type QuietHours = Limits['quietHours'];

const MINUTES_PER_DAY = 24 * 60;

function minutesOf(hhmm: string): number {
  const m = /^(\d{2}):(\d{2})$/.exec(hhmm);
  if (!m) throw new Error(`"${hhmm}" is not a time of day; quiet hours are written as HH:MM, e.g. 18:00.`);
  const total = Number(m[1]) * 60 + Number(m[2]);
  if (total >= MINUTES_PER_DAY || Number(m[2]) >= 60) throw new Error(`"${hhmm}" is not a time of day between 00:00 and 23:59.`);
  return total;
}

/** True when minute-of-day `t` is inside the window [start, end), which may span midnight. */
function inWindow(t: number, start: number, end: number): boolean {
  if (start === end) return false;
  return start < end ? t >= start && t < end : t >= start || t < end;
}

/** A non-working day for quiet-hours purposes: Saturday, Sunday, a bank holiday, Christmas Eve or Day. */
function isRestDay(day: string): boolean {
  return !isWorkingDay(day);
}

/** True when `instant` falls in quiet hours in `timeZone`. */
export function isQuietTime(instant: Date, quiet: QuietHours, timeZone: string): boolean {
  const { day, time } = zonedParts(instant, timeZone);
  if (quiet.weekends && isRestDay(day)) return true;
  return inWindow(minutesOf(time), minutesOf(quiet.start), minutesOf(quiet.end));
}

/** The first moment of a day that is outside the daily window. */
function firstAllowedTimeOfDay(quiet: QuietHours): string {
  return inWindow(0, minutesOf(quiet.start), minutesOf(quiet.end)) ? quiet.end : '00:00';
}

/**
 * The earliest instant at or after `instant` outside quiet hours, e.g. Friday 18:30 → Monday 08:00
 * (Tuesday after a bank holiday Monday), in the council's timezone, across clock changes.
 */
export function nextAllowedTime(instant: Date, quiet: QuietHours, timeZone: string): Date {
  const start = minutesOf(quiet.start);
  const end = minutesOf(quiet.end);
  let t = instant;
  // Each step moves to a later day or to the end of today's window; a month of steps covers any holiday run.
  for (let step = 0; step < 62 && isQuietTime(t, quiet, timeZone); step++) {
    const { day, time } = zonedParts(t, timeZone);
    const now = minutesOf(time);
    if (quiet.weekends && isRestDay(day)) {
      t = zonedToUtc(nextDay(day), firstAllowedTimeOfDay(quiet), timeZone);
    } else if (start > end && now >= start) {
      t = zonedToUtc(nextDay(day), quiet.end, timeZone);
    } else {
      t = zonedToUtc(day, quiet.end, timeZone);
    }
  }
  return t;
}

/** Who is who: enough of the directory to find a recipient's person and role. */
export type People = Pick<Directory, 'person'>;

export interface DeliveryContext {
  timeZone: string;
  limits: Limits;
  people: People;
}

export interface CapPlan {
  /** The person's id (primary address), or the address itself for someone not in the directory. */
  person: string;
  /** The council-timezone day the effect counts against. */
  day: string;
  limit: number;
  /** When that day's summary of folded effects goes out. */
  summaryAt: Date;
  /** Whether the person keeps quiet hours (the summary respects them too). */
  quiet: boolean;
}

export interface DeliveryPlan {
  notBefore: Date;
  cap?: CapPlan;
}

/** True when an effect of this kind to this recipient waits for the working day. */
export function keepsQuietHours(kind: ActionKind, recipient: string, ctx: DeliveryContext): boolean {
  if (recipient === '' || !actionSpec(kind).waitsForWorkingHours) return false;
  const role = ctx.people.person(recipient)?.role;
  return role !== undefined && ctx.limits.quietHours.roles.includes(role);
}

/** When the summary of `day`'s folded effects goes out: the next morning, at the end of quiet hours. */
export function summaryTime(day: string, quiet: boolean, ctx: DeliveryContext): Date {
  const morning = zonedToUtc(nextDay(day), ctx.limits.quietHours.end, ctx.timeZone);
  return quiet ? nextAllowedTime(morning, ctx.limits.quietHours, ctx.timeZone) : morning;
}

/** When an effect may go out, and which daily cap (if any) it counts against. */
export function planDelivery(kind: ActionKind, recipient: string, now: Date, ctx: DeliveryContext): DeliveryPlan {
  const quiet = keepsQuietHours(kind, recipient, ctx);
  const notBefore = quiet ? nextAllowedTime(now, ctx.limits.quietHours, ctx.timeZone) : now;
  if (recipient === '') return { notBefore };
  const { cap } = actionSpec(kind);
  if (cap === 'none') return { notBefore };
  const known = ctx.people.person(recipient);
  // Kinds capped for the Clerk only always go to the Clerks; a per-person kind to the Clerk counts against the Clerk's cap.
  const clerk = cap === 'clerk' || known?.role === 'clerk';
  const person = known?.id ?? recipient.trim().toLowerCase();
  const day = zonedParts(notBefore, ctx.timeZone).day;
  const limit = clerk ? ctx.limits.clerkMessagesPerDay : ctx.limits.nudgesPerPersonPerDay;
  return { notBefore, cap: { person, day, limit, summaryAt: summaryTime(day, quiet, ctx), quiet } };
}
