/**
 * Expanding a recurring series (RRULE, RDATE, EXDATE) into the occurrences inside a window.
 * Expansion is bounded three ways (occurrences kept, iterator steps, and ical.js's inner search
 * loop), so a rule that repeats every second or can never match cannot hang the service.
 */
import { errorMessage } from '../model/error-message.js';
import ICAL from 'ical.js';
import type { Occurrence } from './types.js';
import { naiveMillis, wallDay, type WallClock } from './timezones.js';

/** One RRULE, with its UNTIL taken out of ical.js's hands: ical.js compares it ignoring zones. */
export interface RuleSpec {
  recur: ICAL.Recur;
  until?: { kind: 'instant'; ms: number } | { kind: 'day'; day: string };
}

/** An RDATE, already converted to instants. `day` is its calendar date as written, for date-only EXDATEs. */
export interface ExtraDate {
  startMs: number;
  endMs: number;
  day: string;
}

export interface ExpansionLimits {
  /** Most occurrences listed for one series. */
  maxOccurrences: number;
  /** Most occurrences one RRULE may generate (inside the window or before it). */
  maxSteps: number;
  /** Most candidate dates ical.js may test while looking for the next occurrence, over the whole rule. */
  maxChecks: number;
}

export const DEFAULT_LIMITS: ExpansionLimits = { maxOccurrences: 1000, maxSteps: 50_000, maxChecks: 200_000 };

export interface ExpansionInput {
  /** DTSTART as written. */
  start: WallClock;
  rules: RuleSpec[];
  rdates: ExtraDate[];
  /** EXDATE instants, and the calendar dates of date-only EXDATEs. */
  exdates: { instants: number[]; days: string[] };
  /** Original starts (instants) of occurrences that have their own RECURRENCE-ID component. */
  overridden: ReadonlySet<number>;
  /** The instant of a wall-clock time written in the series' zone. */
  toInstant: (wall: WallClock) => number;
  /** The end of the occurrence starting at `wall` (= `startMs`). */
  endOf: (wall: WallClock, startMs: number) => number;
  /** An upper bound on any occurrence's length, used to skip far-away occurrences cheaply. */
  maxLengthMs: number;
  window: { fromMs: number; toMs: number };
  limits?: ExpansionLimits;
}

export interface ExpansionResult {
  occurrences: Occurrence[];
  /** Plain-English notes on what could not be expanded, for the calendar's problems. */
  notes: string[];
}

/** Zone offsets never exceed a day; two leaves room for any wall-clock reading. */
const SLACK_MS = 2 * 86_400_000;

class CheckBudgetExceeded extends Error {}
/** Thrown from inside ical.js's search once it has moved past every date that could matter. */
class PastWindow extends Error {}

const UNITS: Record<string, { ms: number; name: string }> = {
  SECONDLY: { ms: 1000, name: 'seconds' },
  MINUTELY: { ms: 60_000, name: 'minutes' },
  HOURLY: { ms: 3_600_000, name: 'hours' },
  DAILY: { ms: 86_400_000, name: 'days' },
  WEEKLY: { ms: 7 * 86_400_000, name: 'weeks' },
  MONTHLY: { ms: 28 * 86_400_000, name: 'months' },
  YEARLY: { ms: 365 * 86_400_000, name: 'years' },
};
/** ical.js steps through an interval unit by unit; an interval longer than this would take hours. */
const LONGEST_INTERVAL_MS = 1000 * 365 * 86_400_000;

interface Candidate {
  startMs: number;
  endMs: number;
}

function toWall(time: ICAL.Time): WallClock {
  return { year: time.year, month: time.month, day: time.day, hour: time.hour, minute: time.minute, second: time.second, isDate: time.isDate };
}

function formatDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Hands each occurrence of one RRULE near the window to `keep`, in order; returns why it stopped early, if it did. */
function expandRule(spec: RuleSpec, input: ExpansionInput, limits: ExpansionLimits, keep: (c: Candidate, day: string) => boolean): string | undefined {
  const { window } = input;
  const recur = spec.recur.clone();
  recur.until = null;
  const dtstart = ICAL.Time.fromData({ ...input.start });
  const unit = UNITS[recur.freq];
  if (unit && recur.interval * unit.ms > LONGEST_INTERVAL_MS) {
    const startMs = input.toInstant(input.start);
    keep({ startMs, endMs: input.endOf(input.start, startMs) }, wallDay(input.start));
    return `its repeat rule (RRULE) repeats only once every ${recur.interval} ${unit.name}, so only its first date was considered`;
  }
  // Nothing after this (wall-clock, read as UTC) can fall inside the window or before UNTIL.
  let stopAfter = window.toMs + SLACK_MS;
  if (spec.until?.kind === 'instant') stopAfter = Math.min(stopAfter, spec.until.ms + SLACK_MS);
  const iterator = recur.iterator(dtstart);
  const check = iterator.check_contracting_rules.bind(iterator);
  let checks = 0;
  iterator.check_contracting_rules = () => {
    checks += 1;
    if (checks > limits.maxChecks) throw new CheckBudgetExceeded();
    if (naiveMillis(toWall(iterator.last)) > stopAfter) throw new PastWindow();
    return check();
  };
  let kept = 0;
  let lastReached: number | undefined;
  for (let step = 0; ; step += 1) {
    if (step >= limits.maxSteps) {
      return (
        `its repeat rule (RRULE) produces more than ${limits.maxSteps} dates` +
        (lastReached === undefined ? '' : `; only those up to ${formatDay(lastReached)} were considered`)
      );
    }
    let next: ICAL.Time | null;
    try {
      next = iterator.next();
    } catch (err) {
      if (err instanceof PastWindow) return undefined;
      if (err instanceof CheckBudgetExceeded) return 'its repeat rule (RRULE) finds no further dates in any reasonable time, so its later dates were not listed';
      return `its repeat rule (RRULE) could not be followed (${errorMessage(err)})`;
    }
    if (!next) return undefined;
    const wall = toWall(next);
    const naive = naiveMillis(wall);
    lastReached = naive;
    if (naive - SLACK_MS >= window.toMs) return undefined;
    const until = spec.until;
    if (until?.kind === 'day' && wallDay(wall) > until.day) return undefined;
    if (until?.kind === 'instant' && naive - SLACK_MS > until.ms) return undefined;
    if (naive + input.maxLengthMs + SLACK_MS <= window.fromMs) continue;
    const startMs = input.toInstant(wall);
    if (until?.kind === 'instant' && startMs > until.ms) return undefined;
    if (!keep({ startMs, endMs: input.endOf(wall, startMs) }, wallDay(wall))) continue;
    kept += 1;
    if (kept > limits.maxOccurrences) return undefined;
  }
}

/** Every occurrence of the series that overlaps the window, EXDATEs and overridden instances left out. */
export function expandOccurrences(input: ExpansionInput): ExpansionResult {
  const limits = input.limits ?? DEFAULT_LIMITS;
  const notes: string[] = [];
  const excludedInstants = new Set([...input.exdates.instants, ...input.overridden]);
  const excludedDays = new Set(input.exdates.days);
  const found = new Map<number, Candidate>();
  const keep = (c: Candidate, day: string): boolean => {
    if (excludedInstants.has(c.startMs) || excludedDays.has(day)) return false;
    if (!(c.endMs > input.window.fromMs && c.startMs < input.window.toMs)) return false;
    if (!found.has(c.startMs)) found.set(c.startMs, c);
    return true;
  };
  for (const spec of input.rules) {
    const note = expandRule(spec, input, limits, keep);
    if (note) notes.push(note);
  }
  for (const rdate of input.rdates) keep(rdate, rdate.day);
  const sorted = [...found.values()].sort((a, b) => a.startMs - b.startMs);
  if (sorted.length > limits.maxOccurrences) {
    const last = sorted[limits.maxOccurrences - 1];
    notes.push(
      `it has more than ${limits.maxOccurrences} occurrences in the period checked, so only the first ${limits.maxOccurrences}` +
        (last ? ` (up to ${formatDay(last.startMs)})` : '') +
        ' were listed',
    );
  }
  return {
    occurrences: sorted.slice(0, limits.maxOccurrences).map((c) => {
      const start = new Date(c.startMs).toISOString();
      return { start, end: new Date(c.endMs).toISOString(), recurrenceId: start };
    }),
    notes,
  };
}
