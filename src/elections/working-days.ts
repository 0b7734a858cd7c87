/**
 * Working days for election timetables (Representation of the People Act rules): every day except
 * Saturdays, Sundays, Christmas Eve, Christmas Day, Good Friday and bank holidays in England and
 * Wales. Maundy Thursday is a working day. Bank holidays come from `date-holidays`, with
 * observances (Mother's Day, Easter Sunday, …) filtered out.
 */
import { englandAndWalesBankHolidays } from './bank-holidays.js';

const bankHolidayCache = new Map<number, Set<string>>();

/** Years asked of date-holidays at once: an election timetable runs back from polling day into the year before. */
const YEARS_AROUND = 2;

function bankHolidays(year: number): Set<string> {
  let set = bankHolidayCache.get(year);
  if (!set) {
    const years: number[] = [];
    for (let y = year - YEARS_AROUND; y <= year + YEARS_AROUND; y++) if (!bankHolidayCache.has(y)) years.push(y);
    for (const [y, days] of englandAndWalesBankHolidays(years)) bankHolidayCache.set(y, new Set(days));
    set = bankHolidayCache.get(year);
    if (!set) throw new Error(`date-holidays gave no bank holidays for ${year}`);
  }
  return set;
}

/** YYYY-MM-DD of a UTC-midnight date. */
export function isoDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

export function parseDay(day: string): Date {
  const d = new Date(`${day}T00:00:00Z`);
  if (Number.isNaN(d.getTime())) throw new Error(`not a date: ${day}`);
  return d;
}

export function isWorkingDay(day: string): boolean {
  const d = parseDay(day);
  const weekday = d.getUTCDay();
  if (weekday === 0 || weekday === 6) return false;
  const md = day.slice(5);
  if (md === '12-24' || md === '12-25') return false;
  return !bankHolidays(d.getUTCFullYear()).has(day);
}

/** The day `n` working days before `day` (not counting `day` itself). */
export function workingDaysBefore(day: string, n: number): string {
  const d = parseDay(day);
  let counted = 0;
  while (counted < n) {
    d.setUTCDate(d.getUTCDate() - 1);
    if (isWorkingDay(isoDay(d))) counted += 1;
  }
  return isoDay(d);
}

/** Statutory last day for publishing the notice of election: the 25th working day before polling day. */
export function noticeOfElectionDate(poll: string): string {
  return workingDaysBefore(poll, 25);
}
