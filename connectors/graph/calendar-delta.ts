/**
 * One delta round of a calendar (a council calendar or a room mailbox) through Microsoft Graph:
 * `GET /users/{mailbox}/calendarView/delta` over a rolling window, paged by opaque links to the
 * delta link, which is stored only once every record of the round has been taken.
 *
 * The window is baked into the delta token, so a round carries on from the stored link only while
 * the window it was made for still fits (moved by at most a day, the same `pastDays` and
 * `futureDays`); otherwise it starts afresh. A fresh sync hands everything over again, which the
 * pipeline recognises: an item whose content has not changed is not judged (nor acted on) twice.
 * A 410 (`syncStateNotFound`: Graph forgot the token) is a fresh sync too.
 *
 * calendarView/delta gives single events, and the occurrences and exceptions of a series, never
 * the series master. iCalendar keys a series by its master's UID and each changed occurrence by
 * `UID#RECURRENCE-ID`, and expands the plain occurrences from the master's rule; so for a series
 * whose instances changed, the master is read (once per round) and handed over with all its
 * exceptions in one record, exactly as a CalDAV server would give the series. The exceptions not
 * in this round are re-read by the ids remembered from earlier rounds, so a record never drops
 * one (the master's expansion would otherwise put the moved occurrence back at its old time).
 *
 * Graph says only the id of what it removed (`@removed`, also for an event that moved out of the
 * window). To withdraw by the event's UID, each calendar keeps a bounded map Graph id → UID and
 * RECURRENCE-ID (and, for an instance, its series) in the cursor store under
 * `calendar:<id>:events`; beyond the bound the least recently seen are forgotten, and a removal of
 * a forgotten id still withdraws by origin (the Graph id a single event was read from).
 */
import type { Event } from '@microsoft/microsoft-graph-types';
import { z } from 'zod';
import { eventItemsFromNormalised, type NormalisedEvent } from '../../src/items/normalised-event.js';
import type { RecordSink } from '../../src/sources/types.js';
import type { GraphCalendar, GraphSettings } from './config.js';
import type { GraphDeps, RoundResult } from './deps.js';
import { GraphApiError } from './errors.js';
import { eventKind, graphEventToNormalised } from './events.js';
import { pageOf, type GraphTransport, type Page } from './transport.js';
import { nonBlankString as str, parseStoredJson, record } from '../../src/sources/untrusted-json.js';
import { parseGraphEvent } from './event-schema.js';

const DAY_MS = 86_400_000;
/** How many Graph ids each calendar remembers (about 300 bytes each in the cursor store). */
export const KNOWN_EVENTS_LIMIT = 5_000;

/**
 * What the mapper reads of an event (events.ts), asked for by `$select` where Graph allows it
 * (a single event's GET; calendarView/delta takes no `$select`). The tests check each against the
 * v1.0 schema.
 */
export const EVENT_SELECT = [
  'id', 'changeKey', 'iCalUId', 'type', 'seriesMasterId', 'subject', 'body', 'bodyPreview', 'start', 'end', 'isAllDay',
  'originalStart', 'originalStartTimeZone', 'originalEndTimeZone', 'recurrence', 'cancelledOccurrences', 'location',
  'locations', 'categories', 'sensitivity', 'showAs', 'isCancelled', 'organizer', 'attendees',
] as const;

/** Times in UTC (the mapper reads them so), ids that survive a move, and pages of the configured size. */
export function calendarPrefer(settings: Pick<GraphSettings, 'pageSize'>): string {
  return `outlook.timezone="UTC", IdType="ImmutableId", odata.maxpagesize=${settings.pageSize}`;
}

/** The stored position: the link and the window it was made for. */
const CursorSchema = z.object({
  link: z.string().min(1),
  windowStart: z.string(),
  windowEnd: z.string(),
  pastDays: z.number().int().optional(),
  futureDays: z.number().int().optional(),
});
type CalendarCursor = z.infer<typeof CursorSchema>;

/** What is remembered of a Graph id: the UID, the RECURRENCE-ID (ISO UTC, as in the item key), its series, whether it is a changed occurrence. */
const KnownSchema = z.object({
  id: z.string().min(1),
  uid: z.string().min(1),
  rid: z.string().optional(),
  master: z.string().optional(),
  exception: z.boolean().optional(),
});
export type KnownEvent = z.infer<typeof KnownSchema>;
const KnownListSchema = z.object({ v: z.literal(1), events: z.array(KnownSchema) });

export const calendarCursorKey = (calendarId: string): string => `calendar:${calendarId}`;
export const knownEventsKey = (calendarId: string): string => `calendar:${calendarId}:events`;

/** The map of Graph ids a calendar has seen, most recently seen last, as the cursor store keeps it. */
export async function readKnownEvents(deps: Pick<GraphDeps, 'cursors' | 'settings'>, calendarId: string): Promise<Map<string, KnownEvent>> {
  const raw = await deps.cursors.getCursor(deps.settings.source, knownEventsKey(calendarId));
  const out = new Map<string, KnownEvent>();
  if (raw === undefined) return out;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return out;
  }
  const parsed = KnownListSchema.safeParse(value);
  if (parsed.success) for (const e of parsed.data.events) out.set(e.id, e);
  return out;
}

interface Window {
  start: number;
  end: number;
}

/** Whole UTC days, so that the first request of a day is the same whichever minute it is made. */
function windowAt(now: Date, w: GraphSettings['window']): Window {
  const today = Math.floor(now.getTime() / DAY_MS) * DAY_MS;
  return { start: today - w.pastDays * DAY_MS, end: today + (w.futureDays + 1) * DAY_MS };
}

function readCursor(raw: string | undefined): CalendarCursor | undefined {
  return parseStoredJson(CursorSchema, raw);
}

/** Why the stored link cannot be used (the window has moved on or changed), or undefined when it can. */
function staleBecause(cursor: CalendarCursor, desired: Window, w: GraphSettings['window']): string | undefined {
  if (cursor.pastDays !== undefined && cursor.pastDays !== w.pastDays) return 'the window reaches a different number of days back';
  if (cursor.futureDays !== undefined && cursor.futureDays !== w.futureDays) return 'the window reaches a different number of days ahead';
  const start = Date.parse(cursor.windowStart);
  const end = Date.parse(cursor.windowEnd);
  if (!Number.isFinite(start) || !Number.isFinite(end)) return 'the stored window could not be read';
  if (Math.abs(desired.start - start) > DAY_MS || Math.abs(desired.end - end) > DAY_MS) return 'the window has moved on by more than a day';
  return undefined;
}

/** A series touched in this round: its instances as the round gave them, and those removed. */
interface SeriesChange {
  instances: Map<string, Event>;
  removed: Set<string>;
}

/** Everything one pass hands over; counted for the round's result. */
interface Tally {
  records: number;
  removed: number;
}

export class CalendarDelta {
  private readonly transport: GraphTransport;

  constructor(private readonly deps: GraphDeps) {
    this.transport = deps.transport;
  }

  /**
   * The request a round would start with, when the calendar has a stored link still good for the
   * window: the connector asks it in one $batch with the mailbox's folders when it polls.
   */
  async firstRequest(calendar: GraphCalendar): Promise<{ link: string; prefer: string } | undefined> {
    const { settings, cursors } = this.deps;
    const cursor = readCursor(await cursors.getCursor(settings.source, calendarCursorKey(calendar.id)));
    if (cursor === undefined || staleBecause(cursor, windowAt(this.deps.now(), settings.window), settings.window) !== undefined) return undefined;
    return { link: cursor.link, prefer: calendarPrefer(settings) };
  }

  /**
   * One delta round of the calendar. `firstPage` is the answer to `firstRequest`, already fetched
   * (in a $batch); it is used only if the stored link is still the one it answers.
   */
  async round(calendar: GraphCalendar, sink: RecordSink, signal?: AbortSignal, firstPage?: { link: string; page: unknown }): Promise<RoundResult> {
    const { settings, cursors, logger } = this.deps;
    const desired = windowAt(this.deps.now(), settings.window);
    const cursor = readCursor(await cursors.getCursor(settings.source, calendarCursorKey(calendar.id)));
    const why = cursor === undefined ? 'first round' : staleBecause(cursor, desired, settings.window);
    if (cursor !== undefined && why !== undefined) logger.info({ calendar: calendar.id, mailbox: calendar.mailbox, reason: why }, 'calendar window changed: reading the calendar afresh');
    const known = await readKnownEvents(this.deps, calendar.id);
    try {
      const fromLink = cursor !== undefined && why === undefined;
      const prefetched = fromLink && firstPage !== undefined && firstPage.link === cursor.link ? pageOf(firstPage.page) : undefined;
      return await this.pass(calendar, fromLink ? { link: cursor.link, window: desiredOf(cursor) } : { window: desired }, known, sink, signal, prefetched);
    } catch (err) {
      // Graph forgot the token (410 syncStateNotFound): read the whole window again; the pipeline
      // recognises what it has already judged. A fresh pass that fails so is not retried here.
      if (!(err instanceof GraphApiError && err.failure === 'gone') || cursor === undefined || why !== undefined) throw err;
      logger.warn({ calendar: calendar.id, mailbox: calendar.mailbox, code: err.code }, 'Microsoft 365 no longer knows the calendar\'s delta token: reading the calendar afresh');
      return await this.pass(calendar, { window: desired, sweep: true }, known, sink, signal);
    }
  }

  /** One pass from a stored link, or from the start of a window; stores the new link at the end. */
  /**
   * `sweep`: the pass replaces a delta token Graph forgot, so nothing deleted meanwhile comes back
   * as @removed: every remembered event the pass does not see is withdrawn at its end.
   */
  private async pass(calendar: GraphCalendar, from: { link?: string; window: Window; sweep?: boolean }, known: Map<string, KnownEvent>, sink: RecordSink, signal?: AbortSignal, prefetched?: Page<unknown>): Promise<RoundResult> {
    const { settings, cursors } = this.deps;
    const mailbox = calendar.mailbox;
    const headers = { Prefer: calendarPrefer(settings) };
    const tally: Tally = { records: 0, removed: 0 };
    const series = new Map<string, SeriesChange>();
    let changed = false;
    const remember = (entry: KnownEvent): void => {
      known.delete(entry.id);
      known.set(entry.id, entry);
      changed = true;
    };
    const seriesOf = (masterId: string): SeriesChange => {
      let s = series.get(masterId);
      if (!s) {
        s = { instances: new Map(), removed: new Set() };
        series.set(masterId, s);
      }
      return s;
    };

    let request =
      from.link !== undefined
        ? { url: from.link }
        : {
            url: `/users/${encodeURIComponent(mailbox)}/calendarView/delta`,
            query: { startDateTime: new Date(from.window.start).toISOString(), endDateTime: new Date(from.window.end).toISOString() },
          };
    let deltaLink: string | undefined;
    const seen = new Set<string>();
    while (deltaLink === undefined) {
      const page =
        prefetched ??
        (await this.transport.json(
          { mailbox, method: 'GET', ...request, headers, what: `reading the calendar ${calendar.id}`, ...(signal ? { signal } : {}) },
          pageOf,
        ));
      prefetched = undefined;
      for (const entry of page.value) {
        signal?.throwIfAborted();
        const e = record(entry);
        const id = str(e?.id);
        if (!e || id === undefined) {
          sink.problem({ origin: `graph:${mailbox}`, kind: 'calendar', reason: `Microsoft 365 gave an entry without an id in the calendar ${calendar.id}; it was skipped.` });
          continue;
        }
        if (e['@removed'] !== undefined) {
          const was = known.get(id);
          if (was?.master !== undefined) {
            // An occurrence gone: withdraw for it, and hand the series over again (its master now says so).
            seriesOf(was.master).removed.add(id);
          }
          await sink.removed({ kind: 'event', calendarId: calendar.id, reason: 'deleted', ...(was ? { uid: was.uid } : {}), ...(was?.rid !== undefined ? { recurrenceId: was.rid } : {}), origin: id });
          tally.removed++;
          if (was) {
            known.delete(id);
            changed = true;
          }
          continue;
        }
        seen.add(id);
        const event = parseGraphEvent(e);
        if (!event) continue;
        const kind = eventKind(event);
        if (kind === 'occurrence' || kind === 'exception') {
          const masterId = str(event.seriesMasterId);
          if (masterId !== undefined) {
            seriesOf(masterId).instances.set(id, event);
            continue;
          }
        }
        await this.single(calendar, id, event, sink, tally, remember);
      }
      if (page.deltaLink !== undefined) deltaLink = page.deltaLink;
      else if (page.nextLink !== undefined) request = { url: page.nextLink };
      else throw new GraphApiError(`Microsoft 365 ended a page of the calendar ${calendar.id} (${mailbox}) with neither a next nor a delta link; Wardwatch will read it again at the next round.`, { status: 200, code: 'NoLink', failure: 'other', mailbox });
    }

    for (const [masterId, change] of series) {
      signal?.throwIfAborted();
      seen.add(masterId);
      await this.series(calendar, masterId, change, known, sink, tally, remember, signal);
    }

    if (from.sweep === true) {
      for (const k of [...known.values()].filter((e) => !seen.has(e.id))) {
        known.delete(k.id);
        changed = true;
        // An occurrence of a series still there is withdrawn alone; the rest of a series gone whole
        // goes with its master, withdrawn (like a single event) by its UID.
        const alone = k.master !== undefined && seen.has(k.master);
        if (k.master !== undefined && !alone) continue;
        await sink.removed({ kind: 'event', calendarId: calendar.id, reason: 'deleted', uid: k.uid, ...(alone && k.rid !== undefined ? { recurrenceId: k.rid } : {}), origin: k.id });
        tally.removed++;
      }
    }

    // Everything is taken: now (and only now) the position moves on. The map first, so that a
    // link is never ahead of the ids it needs.
    if (changed) {
      while (known.size > KNOWN_EVENTS_LIMIT) {
        const oldest = known.keys().next().value;
        if (oldest === undefined) break;
        known.delete(oldest);
      }
      await cursors.setCursor(settings.source, knownEventsKey(calendar.id), JSON.stringify({ v: 1, events: [...known.values()] }));
    }
    const stored: CalendarCursor = {
      link: deltaLink,
      windowStart: new Date(from.window.start).toISOString(),
      windowEnd: new Date(from.window.end).toISOString(),
      pastDays: settings.window.pastDays,
      futureDays: settings.window.futureDays,
    };
    await cursors.setCursor(settings.source, calendarCursorKey(calendar.id), JSON.stringify(stored));
    return { records: tally.records, removed: tally.removed };
  }

  /** A single event: one record, and a removal too when it is cancelled. */
  private async single(calendar: GraphCalendar, id: string, event: Event, sink: RecordSink, tally: Tally, remember: (e: KnownEvent) => void): Promise<void> {
    const normalised = graphEventToNormalised(event);
    if (!normalised) {
      sink.problem({ origin: id, kind: 'calendar', reason: `Microsoft 365 gave an event in the calendar ${calendar.id} that could not be read (no iCalUId or no usable start); it was skipped.` });
      return;
    }
    await sink.record({ kind: 'events', calendarId: calendar.id, origin: id, ...etagOf(event), events: [normalised] });
    tally.records++;
    remember({ id, uid: normalised.uid });
    if (event.isCancelled === true) {
      await sink.removed({ kind: 'event', calendarId: calendar.id, reason: 'cancelled', uid: normalised.uid, origin: id });
      tally.removed++;
    }
  }

  /**
   * A series whose instances changed: its master with every exception known (this round's, and
   * earlier ones re-read), in one record; cancelled instances withdrawn one by one.
   */
  private async series(
    calendar: GraphCalendar,
    masterId: string,
    change: SeriesChange,
    known: Map<string, KnownEvent>,
    sink: RecordSink,
    tally: Tally,
    remember: (e: KnownEvent) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    const { logger } = this.deps;
    const master = await this.readEvent(calendar.mailbox, masterId, signal);
    if (master === undefined) {
      // The whole series went: Graph reports its instances as removed (handled above).
      logger.debug({ calendar: calendar.id, mailbox: calendar.mailbox }, 'the series master of changed occurrences is gone');
      return;
    }
    const normalisedMaster = graphEventToNormalised(master);
    if (!normalisedMaster) {
      sink.problem({ origin: masterId, kind: 'calendar', reason: `Microsoft 365 gave a repeating event in the calendar ${calendar.id} that could not be read (no iCalUId or no usable start); it was skipped.` });
      return;
    }
    const uid = normalisedMaster.uid;
    remember({ id: masterId, uid });

    // Exceptions this round did not bring, read again so the record holds them all.
    const instances = new Map(change.instances);
    for (const k of known.values()) {
      if (k.master !== masterId || k.exception !== true || instances.has(k.id) || change.removed.has(k.id)) continue;
      const again = await this.readEvent(calendar.mailbox, k.id, signal);
      if (again === undefined || eventKind(again) !== 'exception') {
        known.delete(k.id);
        continue;
      }
      instances.set(k.id, again);
    }

    const exceptions: NormalisedEvent[] = [];
    const cancelled: { id: string; rid: string }[] = [];
    for (const [id, instance] of instances) {
      const n = graphEventToNormalised(instance, { master });
      const rid = n ? this.recurrenceIdOf(n, calendar.id, id) : undefined;
      if (!n || rid === undefined) {
        sink.problem({ origin: id, kind: 'calendar', reason: `Microsoft 365 gave an occurrence of "${normalisedMaster.summary ?? ''}" in the calendar ${calendar.id} that could not be read (no usable original start); it was skipped.` });
        continue;
      }
      const exception = eventKind(instance) === 'exception';
      remember({ id, uid, rid, master: masterId, ...(exception ? { exception: true } : {}) });
      if (exception) exceptions.push(n);
      if (instance.isCancelled === true) cancelled.push({ id, rid });
    }

    await sink.record({ kind: 'events', calendarId: calendar.id, origin: masterId, ...etagOf(master), events: [normalisedMaster, ...exceptions] });
    tally.records++;
    if (master.isCancelled === true) {
      await sink.removed({ kind: 'event', calendarId: calendar.id, reason: 'cancelled', uid, origin: masterId });
      tally.removed++;
    }
    for (const c of cancelled) {
      await sink.removed({ kind: 'event', calendarId: calendar.id, reason: 'cancelled', uid, recurrenceId: c.rid, origin: c.id });
      tally.removed++;
    }
  }

  /**
   * The RECURRENCE-ID as the item key writes it (ISO UTC with milliseconds), read by the engine's
   * own parser so that an all-day occurrence's date is placed exactly as the item's key places it.
   */
  private recurrenceIdOf(event: NormalisedEvent, calendarId: string, origin: string): string | undefined {
    const now = this.deps.now().getTime();
    const parsed = eventItemsFromNormalised([event], {
      calendarId,
      origin,
      timeZone: this.deps.settings.timeZone,
      horizon: { from: new Date(now).toISOString(), to: new Date(now + DAY_MS).toISOString() },
    });
    return parsed.events[0]?.recurrenceId;
  }

  /** One event by its id, or undefined when the mailbox no longer has it. */
  private async readEvent(mailbox: string, id: string, signal?: AbortSignal): Promise<Event | undefined> {
    try {
      return await this.transport.json(
        {
          mailbox,
          method: 'GET',
          url: `/users/${encodeURIComponent(mailbox)}/events/${encodeURIComponent(id)}`,
          query: { $select: EVENT_SELECT.join(',') },
          headers: { Prefer: calendarPrefer(this.deps.settings) },
          what: 'reading a repeating event',
          ...(signal ? { signal } : {}),
        },
        (value) => {
          const event = parseGraphEvent(value);
          if (!event) throw new GraphApiError(`Microsoft 365 answered a read of an event in ${mailbox} with something that is not an event.`, { status: 200, code: 'NotAnEvent', failure: 'other', mailbox });
          return event;
        },
      );
    } catch (err) {
      if (err instanceof GraphApiError && err.failure === 'not-found') return undefined;
      throw err;
    }
  }
}

function desiredOf(cursor: CalendarCursor): Window {
  return { start: Date.parse(cursor.windowStart), end: Date.parse(cursor.windowEnd) };
}

/** The change key as the record's version token. */
function etagOf(event: Event): { etag?: string } {
  const key = str(record(event)?.changeKey);
  return key === undefined ? {} : { etag: key };
}
