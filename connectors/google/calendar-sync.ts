/**
 * One sync round of a Google calendar (a user's own, or a room's read as its delegate):
 * `events.list` as the calendar's `actAs` user, paged, from the stored `nextSyncToken`; the new
 * token is stored only once every record and removal of the round has been taken.
 *
 * singleEvents=false. Google then gives a series as its master (with `recurrence`: RRULE, EXDATE
 * and RDATE lines) and its changed occurrences as exceptions (`recurringEventId`,
 * `originalStartTime`), never the plain occurrences: exactly iCalendar's shape, whose keys the
 * engine uses (UID for the series, UID#RECURRENCE-ID for a changed occurrence). With
 * singleEvents=true every occurrence of every series would come as an event of its own, with no
 * way to tell a changed one from a plain one, and a series without end would be cut at the
 * window. The master's expansion is the engine's, the same as for an .ics file.
 *
 * A record is a whole series: `{ kind: 'events', origin: <master id>, etag, events: [master,
 * ...exceptions] }`, exactly as a CalDAV server would give the series (a record that left out an
 * exception would let the master's expansion put the moved occurrence back at its old time). A
 * round that brings any part of a series (its master, an exception, a cancelled occurrence)
 * therefore reads the series whole, once: `events.list` with its `iCalUID` (every instance of a
 * series shares it) and showDeleted, so cancelled occurrences are written as EXDATE on the master.
 *
 * First round (and after the token was lost): `timeMin` = now − backfillDays, showDeleted=true so
 * that what was cancelled meanwhile arrives as cancelled. Later rounds: `syncToken` alone (Google
 * refuses it together with timeMin, timeMax, orderBy, q, iCalUID or updatedMin: 400). A 410 (failure
 * 'gone': Google forgot the token) clears it and reads afresh in the same round; the pipeline
 * recognises what it has already judged, so nothing is acted on twice, and the fresh read's
 * cancelled events (showDeleted) withdraw what was deleted meanwhile.
 *
 * Cancelled entries (`status: 'cancelled'`): a whole event or series deleted (Google says nothing
 * more than its id is sure) is withdrawn as 'deleted', by its iCalUID when Google gave it and else
 * by origin (the event id every record of it carried); a cancelled occurrence of a series is
 * withdrawn as 'cancelled' by UID and RECURRENCE-ID.
 *
 * An occurrence whose series is not on the calendar (a room added to one occurrence of someone
 * else's series) is handed over as a record of its own, under its own id: its key, UID#RECURRENCE-ID,
 * is the one it has with its series (see `series`).
 */
import { z } from 'zod';
import type { RecordSink } from '../../src/sources/types.js';
import type { GoogleCalendar } from './config.js';
import type { GoogleDeps, RoundResult } from './deps.js';
import { GoogleApiError } from './errors.js';
import { googleEventToNormalised, recurrenceKeyOf, type GoogleEvent } from './events.js';
import type { CalendarClient } from './transport.js';
import { nonBlankString as str, parseStoredJson, record } from '../../src/sources/untrusted-json.js';

const DAY_MS = 86_400_000;

export const calendarCursorKey = (calendarId: string): string => `calendar:${calendarId}`;

/** The stored position: Google's sync token, and the first sync's `timeMin` (for logs). */
const CursorSchema = z.object({ v: z.literal(1), syncToken: z.string().min(1).optional(), since: z.string().optional() });
type CalendarCursor = z.infer<typeof CursorSchema>;

function readCursor(raw: string | undefined): CalendarCursor | undefined {
  return parseStoredJson(CursorSchema, raw);
}

/** A series touched by this round: the ids of its occurrences the round said were cancelled. */
interface SeriesChange {
  /** iCalUID when an entry of the round gave it. */
  uid?: string;
  cancelled: Map<string, GoogleEvent>;
}

interface Tally {
  records: number;
  removed: number;
}

export class CalendarSync {
  constructor(private readonly deps: GoogleDeps) {}

  async round(calendar: GoogleCalendar, sink: RecordSink, signal?: AbortSignal): Promise<RoundResult> {
    const { settings, cursors, logger } = this.deps;
    const key = calendarCursorKey(calendar.id);
    const cursor = readCursor(await cursors.getCursor(settings.source, key));
    const token = cursor?.syncToken;
    try {
      return await this.pass(calendar, token, sink, signal);
    } catch (err) {
      if (!(err instanceof GoogleApiError && err.failure === 'gone') || token === undefined) throw err;
      logger.warn({ calendar: calendar.id, actAs: calendar.actAs, reason: err.reason }, 'Google no longer knows the calendar\'s sync token: reading the calendar afresh');
      // Cleared first: should the fresh read fail, the next round starts afresh rather than meet the 410 again.
      await cursors.setCursor(settings.source, key, JSON.stringify({ v: 1 } satisfies CalendarCursor));
      return await this.pass(calendar, undefined, sink, signal);
    }
  }

  private async pass(calendar: GoogleCalendar, syncToken: string | undefined, sink: RecordSink, signal?: AbortSignal): Promise<RoundResult> {
    const { settings, cursors, transport } = this.deps;
    const client = transport.calendar(calendar.actAs);
    const tally: Tally = { records: 0, removed: 0 };
    const since = syncToken === undefined ? new Date(this.deps.now().getTime() - settings.backfillDays * DAY_MS).toISOString() : undefined;
    const what = `reading the calendar ${calendar.id}`;
    const series = new Map<string, SeriesChange>();
    const deleted = new Set<string>();
    const seriesOf = (id: string): SeriesChange => {
      let s = series.get(id);
      if (!s) {
        s = { cancelled: new Map() };
        series.set(id, s);
      }
      return s;
    };
    let nextSyncToken: string | undefined;
    let zone: string | undefined;
    const callOptions = signal ? { signal } : {};
    for await (const page of transport.pages(
      client,
      what,
      (sdk, pageToken, o) =>
        sdk.events.list(
          {
            calendarId: calendar.googleId,
            singleEvents: false,
            maxResults: settings.pageSize,
            ...(syncToken !== undefined ? { syncToken } : { timeMin: since, showDeleted: true }),
            ...(pageToken !== undefined ? { pageToken } : {}),
          },
          o,
        ),
      callOptions,
    )) {
      zone ??= str(page.timeZone);
      for (const item of page.items ?? []) {
        signal?.throwIfAborted();
        const e = record(item);
        const id = str(e?.id);
        if (!e || id === undefined) {
          sink.problem({ origin: `google:${calendar.googleId}`, kind: 'calendar', reason: `Google gave an entry without an id in the calendar ${calendar.id}; it was skipped.` });
          continue;
        }
        const event = item;
        const seriesId = str(e.recurringEventId);
        if (e.status === 'cancelled') {
          if (seriesId !== undefined) {
            const s = seriesOf(seriesId);
            s.uid ??= str(e.iCalUID);
            s.cancelled.set(id, event);
          } else {
            deleted.add(id);
            await sink.removed({ kind: 'event', calendarId: calendar.id, reason: 'deleted', ...(str(e.iCalUID) !== undefined ? { uid: str(e.iCalUID) } : {}), origin: id });
            tally.removed++;
          }
          continue;
        }
        if (seriesId !== undefined || (Array.isArray(e.recurrence) && e.recurrence.length > 0)) {
          const s = seriesOf(seriesId ?? id);
          s.uid ??= str(e.iCalUID);
          continue;
        }
        const normalised = googleEventToNormalised(event, zone !== undefined ? { calendarTimeZone: zone } : {});
        if (!normalised) {
          sink.problem({ origin: id, kind: 'calendar', reason: `Google gave an event in the calendar ${calendar.id} that could not be read (no iCalUID or no usable start); it was skipped.` });
          continue;
        }
        await sink.record({ kind: 'events', calendarId: calendar.id, origin: id, ...etagOf(event), events: [normalised] });
        tally.records++;
      }
      if (page.nextPageToken === undefined || page.nextPageToken === null || page.nextPageToken === '') nextSyncToken = str(page.nextSyncToken);
    }
    if (nextSyncToken === undefined) {
      throw new GoogleApiError(`Google ended the listing of the calendar ${calendar.id} (${calendar.googleId}) without a sync token; Wardwatch will read it again at the next round.`, {
        status: 200, reason: 'noSyncToken', failure: 'other', subject: calendar.actAs,
      });
    }

    for (const [masterId, change] of series) {
      if (deleted.has(masterId)) continue; // The whole series went: withdrawn with its master.
      signal?.throwIfAborted();
      await this.series(calendar, client, masterId, change, zone, sink, tally, signal);
    }

    // Everything is taken: now (and only now) the position moves on.
    const stored: CalendarCursor = { v: 1, syncToken: nextSyncToken, ...(since !== undefined ? { since } : {}) };
    await cursors.setCursor(settings.source, calendarCursorKey(calendar.id), JSON.stringify(stored));
    return tally;
  }

  /**
   * A series some part of which changed: read whole by its iCalUID, handed over as one record
   * (master with EXDATE for cancelled occurrences, then every live exception); the occurrences
   * this round reported cancelled are withdrawn one by one.
   */
  private async series(
    calendar: GoogleCalendar,
    client: CalendarClient,
    masterId: string,
    change: SeriesChange,
    zone: string | undefined,
    sink: RecordSink,
    tally: Tally,
    signal?: AbortSignal,
  ): Promise<void> {
    const { transport, settings, logger } = this.deps;
    let uid = change.uid;
    if (uid === undefined) {
      // Only cancelled occurrences came, which Google gives with no more than their series' id.
      const master = await this.readEvent(client, calendar, masterId, signal);
      uid = str(master?.iCalUID);
      if (master === undefined || uid === undefined) {
        // Gone, or never on this calendar: an occurrence handed over on its own (its master being
        // elsewhere, see below) was kept under its own id, so it is withdrawn by that.
        logger.debug({ calendar: calendar.id }, 'the series of cancelled occurrences is not in the calendar');
        for (const id of change.cancelled.keys()) {
          await sink.removed({ kind: 'event', calendarId: calendar.id, reason: 'cancelled', origin: id });
          tally.removed++;
        }
        return;
      }
    }
    let master: GoogleEvent | undefined;
    const exceptions: GoogleEvent[] = [];
    const cancelled: GoogleEvent[] = [];
    const seriesUid = uid;
    for await (const page of transport.pages(
      client,
      'reading a repeating event',
      (sdk, pageToken, o) =>
        sdk.events.list(
          { calendarId: calendar.googleId, iCalUID: seriesUid, showDeleted: true, singleEvents: false, maxResults: settings.pageSize, ...(pageToken !== undefined ? { pageToken } : {}) },
          o,
        ),
      signal ? { signal } : {},
    )) {
      for (const item of page.items ?? []) {
        const e = record(item);
        const id = str(e?.id);
        if (!e || id === undefined) continue;
        if (id === masterId) master = item;
        else if (str(e.recurringEventId) === masterId) (e.status === 'cancelled' ? cancelled : exceptions).push(item);
      }
    }
    if (master === undefined) {
      // The series' master is not on this calendar: a room (or a colleague) added to one occurrence
      // of someone else's series gets only that occurrence. Each live one is handed over as a
      // record of its own, keyed correctly: its iCalUID is the series' (Google gives every instance
      // of a series the same one) and its originalStartTime is its RECURRENCE-ID, so its key
      // (UID#RECURRENCE-ID) is the one the same occurrence has when read with its series elsewhere,
      // and the engine keys an overridden occurrence on its own, master or not. Its origin is its
      // own id, so a later cancellation naming only that id withdraws it.
      const options = zone !== undefined ? { calendarTimeZone: zone } : {};
      logger.debug({ calendar: calendar.id, occurrences: exceptions.length }, 'occurrences of a series whose master is not in the calendar: handed over one by one');
      for (const x of exceptions) {
        const id = str(x.id) ?? masterId;
        const n = googleEventToNormalised(x, options);
        if (!n) {
          sink.problem({ origin: id, kind: 'calendar', reason: `Google gave an occurrence of a repeating event in the calendar ${calendar.id} whose series is not in that calendar, and it could not be read (no iCalUID or no usable start or original start); it was skipped.` });
          continue;
        }
        await sink.record({ kind: 'events', calendarId: calendar.id, origin: id, ...etagOf(x), events: [n] });
        tally.records++;
      }
      for (const [id, c] of change.cancelled) {
        const rid = recurrenceKeyOf(seriesUid, c.originalStartTime, settings.timeZone);
        await sink.removed({ kind: 'event', calendarId: calendar.id, reason: 'cancelled', ...(rid !== undefined ? { uid: seriesUid, recurrenceId: rid } : {}), origin: id });
        tally.removed++;
      }
      return;
    }
    if (master.status === 'cancelled') {
      await sink.removed({ kind: 'event', calendarId: calendar.id, reason: 'deleted', uid: seriesUid, origin: masterId });
      tally.removed++;
      return;
    }
    const options = zone !== undefined ? { calendarTimeZone: zone } : {};
    const normalisedMaster = googleEventToNormalised(master, { ...options, cancelled: cancelled.flatMap((c) => (c.originalStartTime ? [c.originalStartTime] : [])) });
    if (!normalisedMaster) {
      sink.problem({ origin: masterId, kind: 'calendar', reason: `Google gave a repeating event in the calendar ${calendar.id} that could not be read (no iCalUID or no usable start); it was skipped.` });
      return;
    }
    const events = [normalisedMaster];
    for (const x of exceptions) {
      const n = googleEventToNormalised(x, { ...options, master });
      if (!n) {
        sink.problem({ origin: str(x.id) ?? masterId, kind: 'calendar', reason: `Google gave an occurrence of "${normalisedMaster.summary ?? ''}" in the calendar ${calendar.id} that could not be read (no usable original start); it was skipped.` });
        continue;
      }
      events.push(n);
    }
    await sink.record({ kind: 'events', calendarId: calendar.id, origin: masterId, ...etagOf(master), events });
    tally.records++;
    for (const [id, c] of change.cancelled) {
      const rid = recurrenceKeyOf(normalisedMaster.uid, c.originalStartTime, settings.timeZone);
      if (rid === undefined) {
        sink.problem({ origin: id, kind: 'calendar', reason: `Google reported a cancelled occurrence of "${normalisedMaster.summary ?? ''}" in the calendar ${calendar.id} without a usable original start; nothing was withdrawn for it.` });
        continue;
      }
      await sink.removed({ kind: 'event', calendarId: calendar.id, reason: 'cancelled', uid: normalisedMaster.uid, recurrenceId: rid, origin: id });
      tally.removed++;
    }
  }

  /** One event by its id (cancelled ones included), or undefined when the calendar has none. */
  private async readEvent(client: CalendarClient, calendar: GoogleCalendar, id: string, signal?: AbortSignal): Promise<GoogleEvent | undefined> {
    try {
      const { data } = await this.deps.transport.call(client, 'reading a repeating event', (sdk, o) => sdk.events.get({ calendarId: calendar.googleId, eventId: id }, o), signal ? { signal } : {});
      return data;
    } catch (err) {
      if (err instanceof GoogleApiError && (err.failure === 'not-found' || err.status === 410)) return undefined;
      throw err;
    }
  }
}

/** The event's etag as the record's version token. */
function etagOf(event: GoogleEvent): { etag?: string } {
  const etag = str(record(event)?.etag);
  return etag === undefined ? {} : { etag };
}
