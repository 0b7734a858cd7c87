/**
 * Calendars: `calendarView/delta` with the window baked into the opaque links (removals include
 * events that moved out of the window), event GET/PATCH with `@odata.etag` change keys and
 * `If-Match` → 412, `decline`, and a lookup by iCalUId. Recurrence is not expanded: tests add the
 * occurrences and exceptions they want (type, seriesMasterId, originalStart) as separate events,
 * which is how calendarView returns them.
 */
import { randomBytes } from 'node:crypto';
import type { Attendee, Event } from '@microsoft/microsoft-graph-types';
import { etagOf, isoSeconds, type Mailbox, type SimState, type StoredEvent } from './state.js';
import { graphError, json, preferredPageSize, type SimRequest, type SimResponse } from './wire.js';

interface Window { readonly start: number; readonly end: number }

type LinkState =
  | { kind: 'page'; mailboxId: string; generation: number; window: Window; items: ReadonlyArray<{ id: string; removed: boolean }>; offset: number; pageSize: number; highSeq: number }
  | { kind: 'delta'; mailboxId: string; generation: number; window: Window; since: number };

export const DEFAULT_EVENT_PAGE_SIZE = 10;

const utcMs = (dt: Event['start']): number => {
  const s = dt?.dateTime ?? '';
  return Date.parse(/[zZ]|[+-]\d\d:\d\d$/.test(s) ? s : `${s}Z`);
};

export class CalendarApi {
  private readonly links = new Map<string, LinkState>();

  constructor(private readonly state: SimState, private readonly origin: () => string) {}

  private link(mb: Mailbox, param: '$skiptoken' | '$deltatoken', st: LinkState): string {
    const token = randomBytes(18).toString('base64url');
    this.links.set(token, st);
    return `${this.origin()}/v1.0/users/${mb.id}/calendarView/delta?${param}=${token}`;
  }

  private inWindow(ev: StoredEvent, w: Window): boolean {
    return ev.json.type !== 'seriesMaster' && utcMs(ev.json.start) < w.end && utcMs(ev.json.end) > w.start;
  }

  render(ev: StoredEvent): Record<string, unknown> {
    return { '@odata.type': '#microsoft.graph.event', '@odata.etag': etagOf(ev.json.changeKey), ...ev.json };
  }

  delta(req: SimRequest, mb: Mailbox): SimResponse {
    const token = req.query.get('$skiptoken') ?? req.query.get('$deltatoken');
    let page: Extract<LinkState, { kind: 'page' }>;
    if (token !== null) {
      const st = this.links.get(token);
      if (!st || st.generation !== mb.syncGeneration || st.mailboxId !== mb.id) {
        return graphError(410, this.state.syncStateErrorCode, 'The sync state generation is not found. Start a full synchronization without a delta token.');
      }
      page = st.kind === 'page' ? st : this.startRound(req, mb, st.window, st.since);
    } else {
      const start = Date.parse(req.query.get('startDateTime') ?? '');
      const end = Date.parse(req.query.get('endDateTime') ?? '');
      if (!Number.isFinite(start) || !Number.isFinite(end) || end <= start) {
        return graphError(400, 'ErrorInvalidParameter', 'This request requires a time window specified by the query string parameters StartDateTime and EndDateTime.');
      }
      page = this.startRound(req, mb, { start, end }, undefined);
    }
    const slice = page.items.slice(page.offset, page.offset + page.pageSize);
    const value = slice.map((it) => {
      const ev = mb.events.get(it.id);
      return it.removed || !ev ? { '@odata.type': '#microsoft.graph.event', id: it.id, '@removed': { reason: 'deleted' } } : this.render(ev);
    });
    const offset = page.offset + slice.length;
    const context = `${this.origin()}/v1.0/$metadata#Collection(event)`;
    if (offset < page.items.length) {
      return json(200, { '@odata.context': context, '@odata.nextLink': this.link(mb, '$skiptoken', { ...page, offset }), value });
    }
    const deltaLink = this.link(mb, '$deltatoken', { kind: 'delta', mailboxId: mb.id, generation: page.generation, window: page.window, since: page.highSeq });
    return json(200, { '@odata.context': context, '@odata.deltaLink': deltaLink, value });
  }

  private startRound(req: SimRequest, mb: Mailbox, window: Window, since: number | undefined): Extract<LinkState, { kind: 'page' }> {
    const entries: Array<{ id: string; removed: boolean; seq: number }> = [];
    for (const ev of mb.events.values()) {
      if (since !== undefined && ev.seq <= since) continue;
      if (this.inWindow(ev, window)) entries.push({ id: ev.json.id, removed: false, seq: ev.seq });
      // A changed event now outside the window is reported removed, as Exchange does.
      else if (since !== undefined && ev.json.type !== 'seriesMaster') entries.push({ id: ev.json.id, removed: true, seq: ev.seq });
    }
    if (since !== undefined) for (const [id, seq] of mb.eventTombstones) if (seq > since) entries.push({ id, removed: true, seq });
    entries.sort((a, b) => a.seq - b.seq);
    return {
      kind: 'page', mailboxId: mb.id, generation: mb.syncGeneration, window, items: entries, offset: 0,
      pageSize: preferredPageSize(req.headers) ?? DEFAULT_EVENT_PAGE_SIZE, highSeq: mb.seq,
    };
  }

  get(mb: Mailbox, id: string): SimResponse {
    const ev = mb.events.get(id);
    return ev ? json(200, this.render(ev), { etag: etagOf(ev.json.changeKey) }) : graphError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
  }

  /** GET /users/{id}/events?$filter=iCalUId eq '…' */
  list(req: SimRequest, mb: Mailbox): SimResponse {
    const filter = req.query.get('$filter');
    let uid: string | undefined;
    if (filter !== null) {
      const m = /^iCalUId eq '((?:[^']|'')*)'$/.exec(filter.trim());
      if (!m || m[1] === undefined) return graphError(400, 'ErrorInvalidUrlQueryFilter', `The simulator supports only $filter=iCalUId eq '…', not: ${filter}`);
      uid = m[1].replace(/''/g, "'");
    }
    const value = [...mb.events.values()].filter((e) => uid === undefined || e.json.iCalUId === uid).map((e) => this.render(e));
    return json(200, { '@odata.context': `${this.origin()}/v1.0/$metadata#users('${mb.id}')/events`, value });
  }

  patch(req: SimRequest, mb: Mailbox, id: string): SimResponse {
    const ev = mb.events.get(id);
    if (!ev) return graphError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
    const ifMatch = req.headers['if-match'];
    if (ifMatch !== undefined && ifMatch !== '*' && ifMatch !== etagOf(ev.json.changeKey)) {
      return graphError(412, 'ErrorIrresolvableConflict', 'The change key passed in the request does not match the current change key for the item.');
    }
    if (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body)) {
      return graphError(400, 'RequestBodyRead', 'The request body must be an event resource.');
    }
    const change = req.body as Event;
    const before = new Set((ev.json.attendees ?? []).map((a) => a.emailAddress?.address?.toLowerCase() ?? ''));
    const { id: _id, changeKey: _ck, iCalUId: _uid, ...allowed } = change;
    const updated = this.state.alterEvent(mb.address, id, allowed);
    if (change.attendees) this.invite(mb, updated, change.attendees.filter((a) => !before.has(a.emailAddress?.address?.toLowerCase() ?? '')));
    const after = mb.events.get(id);
    return after ? json(200, this.render(after), { etag: etagOf(after.json.changeKey) }) : { status: 200 };
  }

  /** Exchange sends the organiser's invitations to newly added attendees. */
  private invite(mb: Mailbox, ev: Event, added: Attendee[]): void {
    for (const a of added) {
      const address = a.emailAddress?.address;
      if (!address) continue;
      this.state.recordSent({ kind: 'invitation', from: mb.address, to: [address], cc: [], bcc: [], subject: ev.subject ?? '', headers: [] });
      const theirs = this.state.findMailbox(address);
      if (theirs && ![...theirs.events.values()].some((e) => e.json.iCalUId === ev.iCalUId)) {
        const { id: _id, changeKey: _ck, ...copy } = ev;
        this.state.addEvent(address, { ...copy, isOrganizer: false, responseStatus: { response: 'notResponded', time: '0001-01-01T00:00:00Z' } });
      }
    }
  }

  decline(req: SimRequest, mb: Mailbox, id: string): SimResponse {
    const ev = mb.events.get(id);
    if (!ev) return graphError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
    if (mb.denied.has('decline')) return graphError(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
    const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as { comment?: string; sendResponse?: boolean };
    this.state.alterEvent(mb.address, id, { responseStatus: { response: 'declined', time: isoSeconds(this.state.clock.now()) } });
    const organiser = ev.json.organizer?.emailAddress?.address;
    if (body.sendResponse !== false && organiser) {
      this.state.recordSent({
        kind: 'eventResponse', from: mb.address, to: [organiser], cc: [], bcc: [], subject: `Declined: ${ev.json.subject ?? ''}`,
        headers: [], mime: body.comment ?? '',
      });
    }
    return { status: 202 };
  }
}
