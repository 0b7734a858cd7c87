/// <reference path="../../node_modules/date-holidays-parser/types/index.d.ts" />
/**
 * Working days for election timetables (Representation of the People Act rules): every day except
 * Saturdays, Sundays, Christmas Eve, Christmas Day, Good Friday and bank holidays in England and
 * Wales. Maundy Thursday is a working day. Bank holidays come from `date-holidays`, with
 * observances (Mother's Day, Easter Sunday, …) filtered out.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import HolidaysParser from 'date-holidays-parser';
import { z } from 'zod';

const bankHolidayCache = new Map<number, Set<string>>();

const HolidayDataSchema = z.object({
  version: z.string(),
  license: z.string(),
  holidays: z.record(z.string(), z.unknown()),
  names: z.record(z.string(), z.unknown()),
});

let parser: HolidaysParser | undefined;

/**
 * England and Wales holidays from date-holidays' maintained data. Only the GB part of its
 * world-wide data set is kept (the rest would hold some 20 MB for the life of the service).
 */
function englandAndWales(): HolidaysParser {
  if (!parser) {
    const require = createRequire(import.meta.url);
    const file = path.join(path.dirname(require.resolve('date-holidays/package.json')), 'data', 'holidays.json');
    const all = HolidayDataSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
    const gb = all.holidays.GB;
    if (gb === undefined) throw new Error(`date-holidays data (${file}) has no GB holidays`);
    parser = new HolidaysParser({ version: all.version, license: all.license, holidays: { GB: gb }, names: all.names }, 'GB', 'ENG');
  }
  return parser;
}

function bankHolidays(year: number): Set<string> {
  let set = bankHolidayCache.get(year);
  if (!set) {
    const hd = englandAndWales();
    set = new Set(
      hd
        .getHolidays(year)
        .filter((h) => h.type === 'public' || h.type === 'bank')
        .map((h) => h.date.slice(0, 10)),
    );
    bankHolidayCache.set(year, set);
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
