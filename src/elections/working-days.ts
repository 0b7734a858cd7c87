/**
 * Working days for election timetables (Representation of the People Act rules): every day except
 * Saturdays, Sundays, Christmas Eve, Christmas Day, Good Friday and bank holidays in England and
 * Wales. Maundy Thursday is a working day. Bank holidays come from `date-holidays`, with
 * observances (Mother's Day, Easter Sunday, …) filtered out.
 */
import { requestBankHolidays, type BankHolidayRequest } from './bank-holidays.js';

const bankHolidayCache = new Map<number, Set<string>>();
/** Years asked for ahead (see `prepareBankHolidays`) whose answer has not been needed yet. */
const pending = new Map<number, BankHolidayRequest>();

/** Years asked of date-holidays at once: an election timetable runs back from polling day into the year before. */
const YEARS_AROUND = 2;

function yearsAround(year: number): number[] {
  const years: number[] = [];
  for (let y = year - YEARS_AROUND; y <= year + YEARS_AROUND; y++) if (!bankHolidayCache.has(y) && !pending.has(y)) years.push(y);
  return years;
}

function settle(request: BankHolidayRequest): void {
  for (const y of request.years) pending.delete(y);
  for (const [y, days] of request.wait()) bankHolidayCache.set(y, new Set(days));
}

/**
 * Starts working out the bank holidays around these years in the background, so that the first
 * working-day question about them waits less (or not at all). Asking again costs nothing.
 */
export function prepareBankHolidays(years: readonly number[]): void {
  const wanted = new Set<number>();
  for (const year of years) for (const y of yearsAround(year)) wanted.add(y);
  if (wanted.size === 0) return;
  const request = requestBankHolidays([...wanted].sort((a, b) => a - b));
  for (const y of request.years) pending.set(y, request);
}

function bankHolidays(year: number): Set<string> {
  let set = bankHolidayCache.get(year);
  if (!set) {
    const early = pending.get(year);
    if (early) settle(early);
    else {
      const years = yearsAround(year);
      if (years.length > 0) settle(requestBankHolidays(years));
    }
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
