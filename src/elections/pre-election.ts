/** The council's election calendar: each election's pre-election period, per ward. */
import type { ElectionConfig } from '../config/schema.js';
import type { ElectionCalendar, PreElectionPeriod } from './types.js';
import { noticeOfElectionDate } from './working-days.js';
import { nextDay, zonedToUtc } from './zoned-time.js';

export function preElectionPeriod(election: ElectionConfig, timeZone: string): PreElectionPeriod {
  const startDate = election.preElectionStart ?? noticeOfElectionDate(election.poll);
  return {
    poll: election.poll,
    ...(election.name !== undefined ? { name: election.name } : {}),
    startDate,
    start: zonedToUtc(startDate, '00:00', timeZone).toISOString(),
    end: zonedToUtc(nextDay(election.poll), '00:00', timeZone).toISOString(),
    wards: election.wards === 'all' ? 'all' : [...election.wards],
  };
}

export function buildElectionCalendar(elections: readonly ElectionConfig[], timeZone: string): ElectionCalendar {
  const periods = elections.map((e) => preElectionPeriod(e, timeZone)).sort((a, b) => a.start.localeCompare(b.start));
  return {
    periods,
    periodCovering(instant, wards) {
      const t = Date.parse(instant);
      return periods.find((p) => {
        if (t < Date.parse(p.start) || t >= Date.parse(p.end)) return false;
        if (p.wards === 'all') return true;
        return wards.some((w) => (p.wards as string[]).includes(w));
      });
    },
    periodOverlapping(start, end, wards) {
      const from = Date.parse(start);
      // An item with no length (or an end before its start) is the instant it starts.
      const to = Math.max(Date.parse(end), from + 1);
      return periods.find((p) => {
        if (to <= Date.parse(p.start) || from >= Date.parse(p.end)) return false;
        if (p.wards === 'all') return true;
        return wards.some((w) => (p.wards as string[]).includes(w));
      });
    },
    currentOrNext(now) {
      const t = Date.parse(now);
      return periods.find((p) => t < Date.parse(p.end));
    },
  };
}
