/**
 * Calendar API v3, the calls the connector makes: events.list (full and incremental sync with
 * sync and page tokens, timeMin/timeMax, showDeleted, iCalUID, q), events.get and events.patch
 * (arrays replaced, If-Match etag precondition, sendUpdates, an attendee's own response on its
 * copy of an event), with Google's error reasons.
 */
import type { calendar_v3 } from 'googleapis/build/src/apis/calendar/v3.js';
import { SCOPES_FOR, type IssuedToken } from './auth.js';
import type { GoogleState, SentRecord, SimCalendar, StoredEvent } from './state.js';
import { badRequest, decodeToken, encodeToken, googleError, json, type SimRequest, type SimResponse } from './wire.js';

export const DEFAULT_EVENT_PAGE_SIZE = 250;
export const MAX_EVENT_PAGE_SIZE = 2500;

/** Parameters Google refuses alongside a syncToken (400 syncTokenWithRequestRestrictions). */
export const SYNC_TOKEN_EXCLUSIVE = ['iCalUID', 'orderBy', 'privateExtendedProperty', 'q', 'sharedExtendedProperty', 'timeMin', 'timeMax', 'updatedMin'] as const;

export interface CalendarQuirks {
  /** events.list: this many pages with no items but a nextPageToken come first. */
  emptyPagesBefore?: number;
}

interface SyncToken { c: string; g: number; s: number }
interface PageToken { c: string; since?: number; u: number; a: number; o?: number; e: number }

const lower = (s: string): string => s.trim().toLowerCase();
const domainOf = (a: string): string => lower(a).split('@')[1] ?? '';

function timeOf(t: calendar_v3.Schema$EventDateTime | undefined): number | undefined {
  if (!t) return undefined;
  if (t.dateTime) return Date.parse(t.dateTime);
  if (t.date) return Date.parse(`${t.date}T00:00:00Z`);
  return undefined;
}

const notFoundCal = (): SimResponse => googleError(404, 'Not Found', { reason: 'notFound' });

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Patch semantics: objects merged field by field, arrays and scalars replaced, null clears. */
function mergePatch(target: Record<string, unknown>, patch: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete target[k];
    else if (isPlainObject(v) && isPlainObject(target[k])) mergePatch(target[k], v);
    else target[k] = structuredClone(v);
  }
}

const READ_ONLY_FIELDS = ['id', 'etag', 'kind', 'iCalUID', 'htmlLink', 'created', 'updated', 'creator'];

export class CalendarApi {
  quirks: CalendarQuirks = {};

  constructor(private readonly state: GoogleState) {}

  /** May the user change events on this calendar ("make changes to events")? */
  canWrite(cal: SimCalendar, user: string): boolean {
    if (cal.owner === undefined && cal.delegates === undefined) return true;
    return cal.owner === user || (cal.delegates ?? []).includes(user);
  }

  route(req: SimRequest, segs: string[], token: IssuedToken): SimResponse {
    const [, , calendars, calendarId, events, eventId, extra] = segs;
    if (calendars !== 'calendars' || calendarId === undefined || events !== 'events' || extra !== undefined) {
      return googleError(404, `The simulator does not serve ${req.method} ${req.path}.`, { reason: 'notFound' });
    }
    const write = req.method !== 'GET';
    if (!(write ? SCOPES_FOR.calendarWrite : SCOPES_FOR.calendarRead).some((s) => token.scopes.includes(s))) {
      return googleError(403, 'Request had insufficient authentication scopes.', { reason: 'insufficientPermissions', message: 'Insufficient Permission' });
    }
    const cal = this.state.calendar(calendarId === 'primary' ? token.sub : calendarId);
    if (!cal) return notFoundCal();
    if (eventId === undefined) return req.method === 'GET' ? this.list(req, cal, token.sub) : methodNotAllowed();
    if (req.method === 'GET') return this.get(cal, eventId);
    if (req.method === 'PATCH') return this.patch(req, cal, eventId, token.sub);
    return methodNotAllowed();
  }

  get(cal: SimCalendar, id: string): SimResponse {
    const ev = cal.events.get(id);
    if (!ev) return notFoundCal();
    return json(200, this.state.eventView(cal, ev));
  }

  list(req: SimRequest, cal: SimCalendar, user: string): SimResponse {
    const q = req.query;
    const syncText = q.get('syncToken');
    const showDeleted = q.get('showDeleted') === 'true';
    const singleEvents = q.get('singleEvents') === 'true';
    const orderBy = q.get('orderBy');
    const maxText = q.get('maxResults');
    const size = maxText === null ? DEFAULT_EVENT_PAGE_SIZE : Number(maxText);
    if (!Number.isInteger(size) || size < 1) return badRequest(`Invalid value '${maxText ?? ''}'. Values must be within the range: [1, ${MAX_EVENT_PAGE_SIZE}]`, 'invalid', 'maxResults');
    const pageSize = Math.min(size, MAX_EVENT_PAGE_SIZE);
    if (orderBy !== null && orderBy !== 'startTime' && orderBy !== 'updated') return badRequest(`Invalid value for orderBy: ${orderBy}`, 'invalid', 'orderBy');
    if (orderBy === 'startTime' && !singleEvents) {
      return googleError(400, 'The requested ordering is not available for the particular query.', { reason: 'badRequest' });
    }
    let since: number | undefined;
    if (syncText !== null) {
      const restricted = SYNC_TOKEN_EXCLUSIVE.filter((p) => q.has(p));
      if (restricted.length > 0 || q.get('showDeleted') === 'false') {
        return googleError(400, 'Sync token cannot be used with other request restrictions.', { reason: 'syncTokenWithRequestRestrictions' });
      }
      const t = decodeToken<SyncToken>(syncText);
      if (!t || typeof t.s !== 'number' || t.c !== cal.id) return badRequest('Invalid sync token value.', 'invalid', 'syncToken');
      if (t.g !== cal.generation) {
        return googleError(410, 'Sync token is no longer valid, a full sync is required.', { domain: 'calendar', reason: 'fullSyncRequired' });
      }
      since = t.s;
    }
    const timeMin = q.get('timeMin');
    const timeMax = q.get('timeMax');
    const min = timeMin === null ? undefined : Date.parse(timeMin);
    const max = timeMax === null ? undefined : Date.parse(timeMax);
    if (min !== undefined && Number.isNaN(min)) return badRequest('Bad Request', 'badRequest', 'timeMin');
    if (max !== undefined && Number.isNaN(max)) return badRequest('Bad Request', 'badRequest', 'timeMax');
    if (min !== undefined && max !== undefined && min >= max) {
      return googleError(400, 'The specified time range is empty.', { domain: 'calendar', reason: 'timeRangeEmpty', location: 'timeMax', locationType: 'parameter' });
    }
    const updatedMinText = q.get('updatedMin');
    const updatedMin = updatedMinText === null ? undefined : Date.parse(updatedMinText);

    const pageText = q.get('pageToken');
    let page: PageToken;
    if (pageText !== null) {
      const t = decodeToken<PageToken>(pageText);
      if (!t || t.c !== cal.id || typeof t.u !== 'number') return badRequest('Invalid page token value.', 'invalid', 'pageToken');
      page = t;
    } else {
      page = { c: cal.id, ...(since !== undefined ? { since } : {}), u: cal.seq, a: 0, ...(orderBy === 'startTime' ? { o: 0 } : {}), e: this.quirks.emptyPagesBefore ?? 0 };
    }

    const out: calendar_v3.Schema$Events = {
      kind: 'calendar#events', etag: this.state.newEtag(), summary: cal.summary, description: '', updated: new Date(this.state.clock.now()).toISOString(),
      timeZone: cal.timeZone, accessRole: cal.owner === user ? 'owner' : this.canWrite(cal, user) ? 'writer' : 'reader', defaultReminders: [],
      items: [],
    };
    if (page.e > 0) {
      out.nextPageToken = encodeToken({ ...page, e: page.e - 1 } satisfies PageToken);
      return json(200, out);
    }
    const iCalUID = q.get('iCalUID');
    const text = q.get('q')?.toLowerCase();
    let candidates = [...cal.events.values()].filter((ev) => ev.seq <= page.u);
    if (page.since !== undefined) {
      const s = page.since;
      candidates = candidates.filter((ev) => ev.seq > s);
    } else {
      candidates = candidates.filter((ev) => {
        const e = ev.json;
        if (e.status === 'cancelled' && !showDeleted) return false;
        if (iCalUID !== null && e.iCalUID !== iCalUID) return false;
        if (text !== undefined && ![e.summary, e.description, e.location].some((f) => (f ?? '').toLowerCase().includes(text))) return false;
        if (updatedMin !== undefined && Date.parse(e.updated ?? '') < updatedMin) return false;
        const start = timeOf(e.start);
        const end = timeOf(e.end) ?? start;
        // A series master may have occurrences after timeMin whatever its first one's end (the
        // simulator does not expand rules, so it keeps every master).
        if (min !== undefined && end !== undefined && end <= min && !(e.recurrence?.length)) return false;
        if (max !== undefined && start !== undefined && start >= max) return false;
        return true;
      });
    }
    let slice: StoredEvent[];
    let more: boolean;
    if (page.o !== undefined) {
      candidates.sort((x, y) => (timeOf(x.json.start) ?? 0) - (timeOf(y.json.start) ?? 0) || x.seq - y.seq);
      slice = candidates.slice(page.o, page.o + pageSize);
      more = page.o + pageSize < candidates.length;
      if (more) out.nextPageToken = encodeToken({ ...page, o: page.o + pageSize } satisfies PageToken);
    } else {
      candidates = candidates.filter((ev) => ev.seq > page.a).sort((x, y) => x.seq - y.seq);
      slice = candidates.slice(0, pageSize);
      more = candidates.length > pageSize;
      if (more) out.nextPageToken = encodeToken({ ...page, a: slice[slice.length - 1]?.seq ?? page.a } satisfies PageToken);
    }
    // Google: deleted events in a sync are only sure to carry `id`; cancelled exceptions of a series
    // also `recurringEventId` and `originalStartTime`.
    out.items = slice.map((ev) => ev.json.status === 'cancelled' && page.since !== undefined
      ? {
        kind: 'calendar#event', etag: ev.json.etag, id: ev.json.id, status: 'cancelled',
        ...(ev.json.recurringEventId ? { recurringEventId: ev.json.recurringEventId } : {}),
        ...(ev.json.originalStartTime ? { originalStartTime: ev.json.originalStartTime } : {}),
      }
      : this.state.eventView(cal, ev));
    if (!more) out.nextSyncToken = encodeToken({ c: cal.id, g: cal.generation, s: page.u } satisfies SyncToken);
    return json(200, out);
  }

  patch(req: SimRequest, cal: SimCalendar, id: string, user: string): SimResponse {
    const ev = cal.events.get(id);
    if (!ev) return notFoundCal();
    const sendUpdates = req.query.get('sendUpdates') ?? 'none';
    if (!['all', 'externalOnly', 'none'].includes(sendUpdates)) return badRequest(`Invalid value for sendUpdates: ${sendUpdates}`, 'invalid', 'sendUpdates');
    if (!this.canWrite(cal, user)) return googleError(403, 'Forbidden', { reason: 'forbidden' });
    const ifMatch = req.headers['if-match'];
    if (ifMatch !== undefined && ifMatch !== '*' && ifMatch !== ev.json.etag) {
      return googleError(412, 'Precondition Failed', { reason: 'conditionNotMet', location: 'If-Match', locationType: 'header' });
    }
    if (!isPlainObject(req.body)) return badRequest('Invalid JSON payload received.', 'parseError');
    const body = structuredClone(req.body);
    for (const k of READ_ONLY_FIELDS) delete body[k];
    const before = structuredClone(ev.json);
    const ownBefore = before.attendees?.find((a) => a.email && lower(a.email) === cal.id)?.responseStatus;
    mergePatch(ev.json as unknown as Record<string, unknown>, body);
    const e = ev.json;
    if (e.organizer) delete e.organizer.self;
    for (const a of e.attendees ?? []) {
      delete a.self;
      if (!a.responseStatus) a.responseStatus = 'needsAction';
    }
    if (['start', 'end', 'recurrence', 'location'].some((k) => JSON.stringify(before[k as keyof typeof before]) !== JSON.stringify(e[k as keyof typeof e]))) {
      e.sequence = (e.sequence ?? 0) + 1;
    }
    this.state.touchEvent(cal, ev);

    const organizer = lower(e.organizer?.email ?? cal.owner ?? cal.id);
    const now = this.state.clock.now();
    const notify = (addr: string): boolean => sendUpdates === 'all' || (sendUpdates === 'externalOnly' && domainOf(addr) !== domainOf(organizer));
    const old = new Set((before.attendees ?? []).map((a) => lower(a.email ?? '')));
    for (const a of e.attendees ?? []) {
      const addr = lower(a.email ?? '');
      if (addr === '' || old.has(addr) || addr === organizer || addr === cal.id || !notify(addr)) continue;
      const rec: SentRecord = {
        kind: 'invitation', from: organizer, to: [addr], headers: { subject: `Invitation: ${e.summary ?? ''}`, method: 'REQUEST' },
        at: now, calendarId: cal.id, eventId: e.id, iCalUID: e.iCalUID,
      };
      this.state.sent.push(rec);
    }
    // The calendar's own attendee answered (a room declining): the organizer's copy learns it.
    const own = e.attendees?.find((a) => a.email && lower(a.email) === cal.id);
    if (own && own.responseStatus !== ownBefore && organizer !== cal.id) {
      const orgCal = this.state.calendar(organizer);
      const copy = orgCal ? [...orgCal.events.values()].find((x) => x.json.iCalUID === e.iCalUID) : undefined;
      const entry = copy?.json.attendees?.find((a) => a.email && lower(a.email) === cal.id);
      if (orgCal && copy && entry) {
        entry.responseStatus = own.responseStatus ?? null;
        this.state.touchEvent(orgCal, copy);
      }
      if (notify(organizer)) {
        this.state.sent.push({
          kind: 'response', from: cal.id, to: [organizer],
          headers: { subject: `${own.responseStatus === 'declined' ? 'Declined' : own.responseStatus === 'accepted' ? 'Accepted' : 'Updated invitation'}: ${e.summary ?? ''}`, method: 'REPLY' },
          at: now, calendarId: cal.id, eventId: e.id, iCalUID: e.iCalUID, ...(own.responseStatus ? { responseStatus: own.responseStatus } : {}),
        });
      }
    }
    return json(200, this.state.eventView(cal, ev));
  }
}

const methodNotAllowed = (): SimResponse => googleError(405, 'Method Not Allowed', { reason: 'httpMethodNotAllowed' });
