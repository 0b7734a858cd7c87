/** A pre-election period ("purdah") for one election. */
export interface PreElectionPeriod {
  /** Polling day, YYYY-MM-DD. */
  poll: string;
  name?: string;
  /** First day of the period (the last day for publishing the notice of election), YYYY-MM-DD. */
  startDate: string;
  /** ISO 8601 UTC instant: start of `startDate` in the council's timezone. */
  start: string;
  /** ISO 8601 UTC instant: end of polling day (midnight after it) in the council's timezone. */
  end: string;
  /** Wards the election covers. */
  wards: 'all' | string[];
}

export interface ElectionCalendar {
  readonly periods: readonly PreElectionPeriod[];
  /** The period in force at `instant` for an item concerning `wards` (any ward when `wards` is empty and the election is `all`). */
  periodCovering(instant: string, wards: readonly string[]): PreElectionPeriod | undefined;
  /** The first period that any of the time from `start` to `end` falls in, for an item concerning `wards` (as `periodCovering`). */
  periodOverlapping(start: string, end: string, wards: readonly string[]): PreElectionPeriod | undefined;
  /** The period in force at `now`, or else the next one to start. */
  currentOrNext(now: string): PreElectionPeriod | undefined;
}
