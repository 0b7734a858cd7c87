/**
 * The configured CalDAV calendars: incremental reading (sync-collection where the server has
 * it, else the collection's CTag and its members' ETags), each changed object handed over as a
 * raw calendar record; and safe writes to one event (GET, edit, PUT with If-Match, read again
 * and retry once when someone else changed it meanwhile).
 */
import { z } from 'zod';
import type { RawRecord } from '../../src/items/types.js';
import type { CursorStore, EventRef, RecordSink, SourceHealth } from '../../src/sources/types.js';
import type { CaldavCalendar, CaldavSettings } from './config.js';
import { CaldavHttp, InvalidSyncToken, type CalendarObject, type FetchFunction, type SyncChanges } from './caldav-http.js';
import { ConnectorError } from './errors.js';
import { KeyedLock } from './keyed-lock.js';
import { errorText, silentLogger, type ConnectorLogger } from './logger.js';
import { pause } from './timing.js';

const CursorSchema = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('sync'), token: z.string().min(1) }),
  z.object({ mode: z.literal('etag'), ctag: z.string().optional(), etags: z.record(z.string(), z.string()) }),
]);
type CalendarCursor = z.infer<typeof CursorSchema>;

export interface CaldavSourceOptions {
  settings: CaldavSettings;
  /** Name of the source in cursors. */
  source: string;
  cursors: CursorStore;
  logger?: ConnectorLogger;
  /** HTTP client (the global fetch by default). */
  fetch?: FetchFunction;
  now?: () => Date;
}

export interface EventWrite<T> {
  /** The object as it is on the server now. */
  ics: string;
  url: string;
  etag?: string;
  /** Whether anything had to be written. */
  written: boolean;
  result: T;
}

/** An edit of one calendar object: the new text (or `undefined` when nothing needs to change) and a result. */
export type ObjectEdit<T> = (ics: string) => { ics: string | undefined; result: T };

/** Consecutive failed polls of a calendar before the pipeline is told. */
const PROBLEM_AFTER_FAILURES = 3;

class SinkFailure extends Error {
  override readonly name = 'SinkFailure';
}

export class CaldavSource {
  private readonly http: CaldavHttp;
  private readonly settings: CaldavSettings;
  private readonly source: string;
  private readonly cursors: CursorStore;
  private readonly logger: ConnectorLogger;
  private readonly now: () => Date;
  private readonly locks = new KeyedLock();
  private readonly syncSupport = new Map<string, boolean>();
  private readonly healthByCalendar = new Map<string, SourceHealth>();

  constructor(opts: CaldavSourceOptions) {
    this.settings = opts.settings;
    this.source = opts.source;
    this.cursors = opts.cursors;
    this.logger = opts.logger ?? silentLogger;
    this.now = opts.now ?? (() => new Date());
    this.http = new CaldavHttp(opts.settings.credentials, opts.fetch);
  }

  get calendars(): readonly CaldavCalendar[] {
    return this.settings.calendars;
  }

  health(): SourceHealth[] {
    return [...this.healthByCalendar.values()].map((h) => ({ ...h }));
  }

  /** One pass over every calendar. Rejects, after reading the others, if any could not be read. */
  async sync(sink: RecordSink): Promise<void> {
    const failures: string[] = [];
    for (const calendar of this.settings.calendars) {
      try {
        await this.syncCalendar(calendar, sink);
        this.mark(calendar, undefined);
      } catch (err) {
        if (err instanceof SinkFailure) throw err.cause instanceof Error ? err.cause : err;
        const message = `Calendar "${calendar.id}": ${err instanceof ConnectorError ? err.message : `could not be read (${errorText(err)}).`}`;
        this.mark(calendar, message);
        failures.push(message);
      }
    }
    if (failures.length > 0) throw new ConnectorError(failures.join(' '));
  }

  /** Polls every `intervalMs` until `signal` aborts (CalDAV has no push). Never rejects for a server problem. */
  async watch(sink: RecordSink, signal: AbortSignal, intervalMs: number): Promise<void> {
    let failures = 0;
    let reported: string | undefined;
    while (!signal.aborted) {
      try {
        await this.sync(sink);
        if (failures > 0) this.logger.info({ calendars: this.settings.calendars.length }, 'The calendar server answers again');
        failures = 0;
        reported = undefined;
      } catch (err) {
        failures++;
        const message = errorText(err);
        this.logger.warn({ attempt: failures, error: message }, 'Reading the calendars failed; trying again at the next check');
        if (failures >= PROBLEM_AFTER_FAILURES && message !== reported) {
          sink.problem({ origin: this.settings.url, kind: 'source', reason: message });
          reported = message;
        }
      }
      await pause(intervalMs, signal);
    }
  }

  private mark(calendar: CaldavCalendar, error: string | undefined): void {
    const source = `${this.source}:caldav/${calendar.id}`;
    const previous = this.healthByCalendar.get(source);
    const at = this.now().toISOString();
    this.healthByCalendar.set(source, error ? { ...previous, source, lastError: { at, message: error } } : { ...previous, source, lastSuccess: at });
  }

  private cursorKey(calendar: CaldavCalendar): string {
    return `caldav:${calendar.id}`;
  }

  private async readCursor(calendar: CaldavCalendar): Promise<CalendarCursor | undefined> {
    const raw = await this.cursors.getCursor(this.source, this.cursorKey(calendar));
    if (raw === undefined) return undefined;
    try {
      const parsed = CursorSchema.safeParse(JSON.parse(raw));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }

  private async writeCursor(calendar: CaldavCalendar, cursor: CalendarCursor): Promise<void> {
    await this.cursors.setCursor(this.source, this.cursorKey(calendar), JSON.stringify(cursor));
  }

  private async useSyncCollection(calendar: CaldavCalendar): Promise<boolean> {
    if (this.settings.syncMethod !== 'auto') return this.settings.syncMethod === 'sync-collection';
    const known = this.syncSupport.get(calendar.url);
    if (known !== undefined) return known;
    const supported = await this.http.supportsSyncCollection(calendar.url);
    this.syncSupport.set(calendar.url, supported);
    this.logger.debug({ calendar: calendar.id, method: supported ? 'sync-collection' : 'etag' }, 'Calendar sync method chosen');
    return supported;
  }

  private syncCalendar(calendar: CaldavCalendar, sink: RecordSink): Promise<number> {
    return this.locks.run(calendar.id, async () => {
      const cursor = await this.readCursor(calendar);
      const handed = (await this.useSyncCollection(calendar)) ? await this.syncByToken(calendar, cursor, sink) : await this.syncByEtags(calendar, cursor, sink);
      if (handed > 0) this.logger.info({ calendar: calendar.id, events: handed }, 'Changed calendar objects handed over');
      return handed;
    });
  }

  private async syncByToken(calendar: CaldavCalendar, cursor: CalendarCursor | undefined, sink: RecordSink): Promise<number> {
    const token = cursor?.mode === 'sync' ? cursor.token : undefined;
    let changes: SyncChanges;
    try {
      changes = await this.http.syncCollection(calendar.url, token);
    } catch (err) {
      if (!(err instanceof InvalidSyncToken)) throw err;
      this.logger.warn({ calendar: calendar.id }, 'The calendar server no longer knows the sync token: reading the whole calendar again');
      changes = await this.http.syncCollection(calendar.url, undefined);
    }
    if (changes.removed.length > 0) this.logger.debug({ calendar: calendar.id, removed: changes.removed.length }, 'Calendar objects removed');
    const handed = await this.handOver(calendar, changes.changed.map((c) => c.url), sink);
    await this.reportRemoved(calendar, changes.removed, sink);
    await this.writeCursor(calendar, { mode: 'sync', token: changes.token });
    return handed;
  }

  private async syncByEtags(calendar: CaldavCalendar, cursor: CalendarCursor | undefined, sink: RecordSink): Promise<number> {
    const previous = cursor?.mode === 'etag' ? cursor : undefined;
    const ctag = await this.http.ctag(calendar.url);
    if (previous && ctag !== undefined && previous.ctag === ctag) return 0;
    const etags = await this.http.etags(calendar.url);
    const changed = [...etags].filter(([url, etag]) => previous?.etags[url] !== etag).map(([url]) => url);
    const handed = await this.handOver(calendar, changed, sink);
    await this.reportRemoved(calendar, previous ? Object.keys(previous.etags).filter((url) => !etags.has(url)) : [], sink);
    await this.writeCursor(calendar, { mode: 'etag', ...(ctag !== undefined ? { ctag } : {}), etags: Object.fromEntries(etags) });
    return handed;
  }

  /**
   * Each calendar object deleted from the server since the last look: what was planned for its
   * events and not yet carried out is withdrawn. Reported before the cursor moves on, so a
   * removal the pipeline could not take is reported again.
   */
  private async reportRemoved(calendar: CaldavCalendar, urls: readonly string[], sink: RecordSink): Promise<void> {
    for (const origin of urls) {
      try {
        await sink.removed({ kind: 'event', calendarId: calendar.id, reason: 'deleted', origin });
      } catch (err) {
        throw new SinkFailure(`The pipeline did not take the removal of an event from the calendar ${calendar.id}: ${errorText(err)}`, { cause: err });
      }
    }
  }

  private async handOver(calendar: CaldavCalendar, urls: string[], sink: RecordSink): Promise<number> {
    if (urls.length === 0) return 0;
    const objects: CalendarObject[] = await this.http.multiget(calendar.url, urls);
    for (const object of objects) {
      const record: RawRecord = { kind: 'calendar', source: object.data, calendarId: calendar.id, origin: object.url };
      if (object.etag !== undefined) record.etag = object.etag;
      try {
        await sink.record(record);
      } catch (err) {
        throw new SinkFailure(`The pipeline did not take an event from the calendar ${calendar.id}: ${errorText(err)}`, { cause: err });
      }
    }
    return objects.length;
  }

  /**
   * The object's URL for an event reference: its origin (the href the event was read from),
   * resolved against its calendar; without one (an event read from another calendar, or known
   * only by its UID) the calendar is searched for the UID.
   */
  async objectUrl(ref: EventRef): Promise<string> {
    const calendar = this.settings.calendars.find((c) => c.id === ref.calendarId);
    if (!calendar) throw new ConnectorError(`The calendar ${ref.calendarId} is not one the CalDAV connector reads (connectors.imap.caldav.calendars).`);
    if (ref.origin.trim() === '') {
      const found = await this.http.findByUid(calendar.url, ref.uid);
      if (found === undefined) {
        throw new ConnectorError(`The event ${ref.uid} is not on the calendar ${ref.calendarId}; it may have been deleted or moved.`, { permanent: true });
      }
      return found;
    }
    const url = new URL(ref.origin, calendar.url);
    if (url.origin !== new URL(calendar.url).origin) {
      throw new ConnectorError(`The event ${ref.uid} is at ${url.href}, not on the calendar server of ${ref.calendarId}.`);
    }
    return url.href;
  }

  /**
   * Reads the object, applies `edit`, and writes it back with If-Match on the ETag just read.
   * When the server answers 412 (someone changed it meanwhile), reads it again and retries once.
   */
  async modify<T>(ref: EventRef, edit: ObjectEdit<T>): Promise<EventWrite<T>> {
    const url = await this.objectUrl(ref);
    for (let attempt = 1; attempt <= 2; attempt++) {
      const current = await this.http.get(url);
      const { ics, result } = edit(current.data);
      if (ics === undefined) {
        return { ics: current.data, url, ...(current.etag ? { etag: current.etag } : {}), written: false, result };
      }
      const outcome = await this.http.put(url, ics, current.etag);
      if (outcome !== 'conflict') {
        this.logger.info({ calendar: ref.calendarId, uid: ref.uid }, 'Event updated on the calendar server');
        return { ics, url, ...(outcome.etag ? { etag: outcome.etag } : {}), written: true, result };
      }
      this.logger.info({ calendar: ref.calendarId, uid: ref.uid, attempt }, 'The event changed on the server meanwhile; reading it again');
    }
    throw new ConnectorError(`The event ${ref.uid} in ${ref.calendarId} kept changing while Wardwatch was updating it; the change will be tried again later.`);
  }
}
