/** The council's election calendar: each election's pre-election period, per ward. */
import type { ElectionConfig } from '../config/parts.js';
import type { ElectionCalendar, PreElectionPeriod } from './types.js';
import { noticeOfElectionDate, prepareBankHolidays } from './working-days.js';
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
  // Worked out when first asked for: the notice-of-election dates need date-holidays (a worker
  // thread that takes a quarter of a second or more), which a pass meeting no event and no mail to
  // the media never needs. The worker starts now, so that by the time the first item asks, it has
  // usually finished; a command that never asks does not wait for it.
  const polls = elections.filter((e) => e.preElectionStart === undefined).map((e) => Number(e.poll.slice(0, 4)));
  if (polls.length > 0) prepareBankHolidays(polls);
  let worked: PreElectionPeriod[] | undefined;
  const all = (): PreElectionPeriod[] => {
    worked ??= elections.map((e) => preElectionPeriod(e, timeZone)).sort((a, b) => a.start.localeCompare(b.start));
    return worked;
  };
  return {
    get periods() {
      return all();
    },
    periodCovering(instant, wards) {
      const t = Date.parse(instant);
      return all().find((p) => {
        if (t < Date.parse(p.start) || t >= Date.parse(p.end)) return false;
        if (p.wards === 'all') return true;
        return wards.some((w) => (p.wards as string[]).includes(w));
      });
    },
    periodOverlapping(start, end, wards) {
      const from = Date.parse(start);
      // An item with no length (or an end before its start) is the instant it starts.
      const to = Math.max(Date.parse(end), from + 1);
      return all().find((p) => {
        if (to <= Date.parse(p.start) || from >= Date.parse(p.end)) return false;
        if (p.wards === 'all') return true;
        return wards.some((w) => (p.wards as string[]).includes(w));
      });
    },
    currentOrNext(now) {
      const t = Date.parse(now);
      return all().find((p) => t < Date.parse(p.end));
    },
  };
}
