/// <reference path="../../node_modules/date-holidays-parser/types/index.d.ts" />
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import HolidaysParser from 'date-holidays-parser';
import { describe, expect, it } from 'vitest';
import { englandAndWalesBankHolidays } from '../../src/elections/bank-holidays.js';

describe('England and Wales bank holidays, worked out in a worker thread', () => {
  it('gives the holidays of the years asked, the coronation bank holiday of 2023 included', () => {
    const days = englandAndWalesBankHolidays([2023, 2027]);
    expect([...days.keys()]).toEqual([2023, 2027]);
    expect(days.get(2023)).toEqual(expect.arrayContaining(['2023-04-07', '2023-04-10', '2023-05-01', '2023-05-08', '2023-05-29', '2023-08-28', '2023-12-25', '2023-12-26']));
    expect(days.get(2027)).toEqual(expect.arrayContaining(['2027-03-26', '2027-03-29', '2027-05-03', '2027-05-31', '2027-08-30', '2027-12-27', '2027-12-28']));
    // Observances are not holidays: Mother's Day, Easter Sunday, Maundy Thursday.
    expect(days.get(2027)).not.toContain('2027-03-25');
    expect(days.get(2027)).not.toContain('2027-03-28');
  });

  it('gives exactly what date-holidays gives in this thread, year after year', () => {
    const require = createRequire(import.meta.url);
    const file = path.join(path.dirname(require.resolve('date-holidays/package.json')), 'data', 'holidays.json');
    const all = JSON.parse(readFileSync(file, 'utf8')) as { version: string; license: string; holidays: Record<string, unknown>; names: Record<string, unknown> };
    const hd = new HolidaysParser({ version: all.version, license: all.license, holidays: { GB: all.holidays.GB }, names: all.names }, 'GB', 'ENG');
    const years = [2019, 2020, 2021, 2022, 2023, 2024, 2025, 2026, 2027, 2028, 2029, 2030];
    const fromWorker = englandAndWalesBankHolidays(years);
    for (const year of years) {
      const here = hd
        .getHolidays(year)
        .filter((h) => h.type === 'public' || h.type === 'bank')
        .map((h) => h.date.slice(0, 10));
      expect(fromWorker.get(year), String(year)).toEqual(here);
    }
  });
});
