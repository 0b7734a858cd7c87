/**
 * The simulator's Workspace domain: users with a Gmail mailbox (messages with their MIME source,
 * labels, a history log) and a primary calendar, resource calendars, and the logs tests read
 * (what was sent, what was requested). Tests change it through these methods; the HTTP handlers
 * change it through the same ones, so every change advances the mailbox's historyId or the
 * calendar's change sequence that incremental sync reads.
 */
import { randomBytes } from 'node:crypto';
import type { calendar_v3 } from 'googleapis/build/src/apis/calendar/v3.js';
import type { gmail_v1 } from 'googleapis/build/src/apis/gmail/v1.js';
import { bareMessageId, parseMime, type ParsedMime } from './mime.js';

export interface Clock {
  now(): number;
}

/** Gmail's system labels (every mailbox has them; user labels are added per mailbox with addLabel). */
export const SYSTEM_LABELS = ['INBOX', 'SENT', 'DRAFT', 'UNREAD', 'STARRED', 'IMPORTANT', 'SPAM', 'TRASH',
  'CATEGORY_PERSONAL', 'CATEGORY_SOCIAL', 'CATEGORY_PROMOTIONS', 'CATEGORY_UPDATES', 'CATEGORY_FORUMS'] as const;

export interface StoredMessage {
  readonly id: string;
  readonly threadId: string;
  labelIds: string[];
  /** The MIME source as stored (a SENT copy keeps Bcc; recipients' copies have none). */
  readonly raw: Buffer;
  readonly parsed: ParsedMime;
  /** Epoch ms. */
  readonly internalDate: number;
  /** The history id of the message's last change. */
  historyId: number;
}

/** A user label of one mailbox (Gmail's `type: 'user'`). */
export interface UserLabel {
  /** `Label_<n>`, n counting from 1 per mailbox. */
  readonly id: string;
  readonly name: string;
}

export type HistoryKind = 'messageAdded' | 'messageDeleted' | 'labelAdded' | 'labelRemoved';

export interface HistoryEntry {
  readonly id: number;
  readonly kind: HistoryKind;
  readonly messageId: string;
  readonly threadId: string;
  /** The message's labels just after the change. */
  readonly labelIds: string[];
  /** For labelAdded / labelRemoved: the labels that changed. */
  readonly changed?: string[];
}

export interface Mailbox {
  readonly address: string;
  readonly name: string;
  readonly messages: Map<string, StoredMessage>;
  readonly history: HistoryEntry[];
  historyId: number;
  /** history.list with a startHistoryId below this answers 404. */
  historyFloor: number;
  /** User labels by id, in the order they were added. */
  readonly labels: Map<string, UserLabel>;
}

export interface StoredEvent {
  /** As stored: without `self` flags (added per calendar on the way out). */
  json: calendar_v3.Schema$Event & { id: string; etag: string; iCalUID: string };
  /** The calendar's change sequence at the event's last change. */
  seq: number;
}

export interface SimCalendar {
  readonly id: string;
  readonly summary: string;
  readonly timeZone: string;
  /** The user whose calendar it is (for a user's primary calendar: that user). */
  readonly owner?: string;
  /** Users with "make changes to events" access. */
  readonly delegates?: string[];
  readonly events: Map<string, StoredEvent>;
  seq: number;
  /** Bumped by expireSyncTokens: older sync tokens answer 410. */
  generation: number;
}

export type SentKind = 'mail' | 'invitation' | 'response';

export interface SentRecord {
  readonly kind: SentKind;
  readonly from: string;
  readonly to: string[];
  /** The MIME as sent (for `mail`: Bcc kept). */
  readonly raw?: string;
  /** Header fields, names lower-cased, values unfolded. For invitations and responses: subject and method. */
  readonly headers: Record<string, string>;
  readonly at: number;
  /** For invitations and responses. */
  readonly calendarId?: string;
  readonly eventId?: string;
  readonly iCalUID?: string;
  /** For responses: the attendee's new responseStatus. */
  readonly responseStatus?: string;
}

export type Api = 'gmail' | 'calendar' | 'oauth';

export interface RequestRecord {
  readonly method: string;
  /** The path as sent, decoded. */
  readonly path: string;
  /** `me` as the token's user, `primary` as the calendar id (see SimRequest.canonicalPath). */
  readonly canonicalPath: string;
  readonly query: string;
  /** 0 when the connection was dropped without an answer. */
  readonly status: number;
  /** The token's subject (for oauth: the `sub` asked for). */
  readonly user?: string;
  readonly api: Api;
  /** Gmail quota units this request cost (0 for Calendar, OAuth and unauthenticated requests). */
  readonly quotaUnits: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly at: number;
}

export const FIRST_HISTORY_ID = 1000;

const lower = (s: string): string => s.trim().toLowerCase();
const BASE32HEX = '0123456789abcdefghijklmnopqrstuv';
/** An event id as Google mints them: base32hex, lower case. */
export const newEventId = (): string => Array.from(randomBytes(26), (b) => BASE32HEX[b % 32]).join('');

export class GoogleState {
  readonly mailboxes = new Map<string, Mailbox>();
  readonly calendars = new Map<string, SimCalendar>();
  readonly sent: SentRecord[] = [];
  readonly requests: RequestRecord[] = [];
  private messageCounter = 0;
  private etagCounter = 0;
  private readonly messageBase = 0x18f2a40000000000n + BigInt(Math.floor(Math.random() * 0xffffff)) * 0x100000n;

  constructor(readonly clock: Clock) {}

  // ---- users, mailboxes and history ---------------------------------------------------------

  addUser(address: string, name = address): Mailbox {
    const key = lower(address);
    const existing = this.mailboxes.get(key);
    if (existing) return existing;
    const mb: Mailbox = { address: key, name, messages: new Map(), history: [], historyId: FIRST_HISTORY_ID, historyFloor: FIRST_HISTORY_ID, labels: new Map() };
    this.mailboxes.set(key, mb);
    if (!this.calendars.has(key)) this.addCalendar(key, { owner: key, delegates: [], summary: key });
    return mb;
  }

  mailbox(address: string): Mailbox | undefined {
    return this.mailboxes.get(lower(address));
  }

  private mustMailbox(address: string): Mailbox {
    const mb = this.mailbox(address);
    if (!mb) throw new Error(`google-sim: no user ${address} (addUser first)`);
    return mb;
  }

  /**
   * Adds a user label to a mailbox → its id, `Label_<n>`. A name another label has already
   * (without regard to case, system labels included) is refused, as Gmail refuses it.
   */
  addLabel(user: string, name: string): string {
    const mb = this.mustMailbox(user);
    const wanted = name.trim();
    if (wanted === '') throw new Error('google-sim: a label needs a name');
    const clash = [...SYSTEM_LABELS, ...[...mb.labels.values()].map((l) => l.name)].find((n) => n.toLowerCase() === wanted.toLowerCase());
    if (clash !== undefined) throw new Error(`google-sim: ${mb.address} already has a label named "${clash}"`);
    const id = `Label_${mb.labels.size + 1}`;
    mb.labels.set(id, { id, name: wanted });
    return id;
  }

  /** Throws unless every id is a system label or one of the mailbox's user labels. */
  private mustLabels(mb: Mailbox, labelIds: readonly string[]): void {
    for (const l of labelIds) {
      if (!(SYSTEM_LABELS as readonly string[]).includes(l) && !mb.labels.has(l)) throw new Error(`google-sim: no label ${l} in ${mb.address} (addLabel first)`);
    }
  }

  newMessageId(): string {
    this.messageCounter++;
    return (this.messageBase + BigInt(this.messageCounter) * 0x1a3n).toString(16);
  }

  private record(mb: Mailbox, kind: HistoryKind, m: StoredMessage, changed?: string[]): void {
    mb.historyId += 1 + (this.messageCounter % 3); // Gmail's history ids increase, not always by one.
    m.historyId = mb.historyId;
    mb.history.push({ id: mb.historyId, kind, messageId: m.id, threadId: m.threadId, labelIds: [...m.labelIds], ...(changed ? { changed } : {}) });
  }

  /** Stores a message in a mailbox (the MIME as given) and records `messagesAdded`. `labelIds`: system labels and ids from addLabel. */
  async deliver(user: string, raw: string | Buffer, labelIds: string[] = ['INBOX']): Promise<string> {
    const buf = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
    const mb = this.mustMailbox(user);
    this.mustLabels(mb, labelIds);
    return this.store(mb, buf, await parseMime(buf), labelIds);
  }

  /** As deliver, with the MIME already parsed (the send path). */
  store(mb: Mailbox, raw: Buffer, parsed: ParsedMime, labelIds: string[], threadId?: string): string {
    const id = this.newMessageId();
    const refs = [parsed.inReplyTo, ...parsed.references].filter((r): r is string => r !== undefined).map(bareMessageId);
    if (threadId !== undefined && ![...mb.messages.values()].some((m) => m.threadId === threadId)) threadId = undefined;
    if (threadId === undefined) threadId = id;
    if (threadId === id && refs.length > 0) {
      for (const m of mb.messages.values()) {
        if (m.parsed.messageId && refs.includes(bareMessageId(m.parsed.messageId))) { threadId = m.threadId; break; }
      }
    }
    const m: StoredMessage = { id, threadId: threadId ?? id, labelIds: [...new Set(labelIds)], raw, parsed, internalDate: this.clock.now(), historyId: 0 };
    mb.messages.set(id, m);
    this.record(mb, 'messageAdded', m);
    return id;
  }

  /** Adds and removes labels (records labelsAdded / labelsRemoved). */
  modifyLabels(user: string, id: string, add: string[], remove: string[] = []): void {
    const mb = this.mustMailbox(user);
    const m = mb.messages.get(id);
    if (!m) throw new Error(`google-sim: no message ${id} in ${user}`);
    this.mustLabels(mb, [...add, ...remove]);
    const added = add.filter((l) => !m.labelIds.includes(l));
    const removed = remove.filter((l) => m.labelIds.includes(l));
    if (added.length > 0) { m.labelIds.push(...added); this.record(mb, 'labelAdded', m, added); }
    if (removed.length > 0) { m.labelIds = m.labelIds.filter((l) => !removed.includes(l)); this.record(mb, 'labelRemoved', m, removed); }
  }

  /** Deletes a message for good (records messagesDeleted). */
  deleteMessage(user: string, id: string): void {
    const mb = this.mustMailbox(user);
    const m = mb.messages.get(id);
    if (!m) return;
    mb.messages.delete(id);
    this.record(mb, 'messageDeleted', m);
  }

  /** history.list from any startHistoryId older than the current one answers 404 from now on. */
  expireHistory(user: string): void {
    const mb = this.mustMailbox(user);
    mb.historyFloor = mb.historyId;
  }

  /** A mailbox's messages, newest first, optionally with one label. `raw` is the MIME text. */
  messages(user: string, label?: string): Array<{ id: string; threadId: string; labelIds: string[]; raw: string }> {
    const mb = this.mustMailbox(user);
    return [...mb.messages.values()]
      .filter((m) => label === undefined || m.labelIds.includes(label))
      .sort((a, b) => b.internalDate - a.internalDate || b.historyId - a.historyId)
      .map((m) => ({ id: m.id, threadId: m.threadId, labelIds: [...m.labelIds], raw: m.raw.toString('utf8') }));
  }

  // ---- calendars and events -----------------------------------------------------------------

  addCalendar(calendarId: string, opts: { owner?: string; delegates?: string[]; summary?: string; timeZone?: string } = {}): SimCalendar {
    const key = lower(calendarId);
    const existing = this.calendars.get(key);
    if (existing) return existing;
    const cal: SimCalendar = {
      id: key, summary: opts.summary ?? key, timeZone: opts.timeZone ?? 'Europe/London',
      ...(opts.owner !== undefined ? { owner: lower(opts.owner) } : {}),
      ...(opts.delegates !== undefined ? { delegates: opts.delegates.map(lower) } : {}),
      events: new Map(), seq: 1, generation: 1,
    };
    this.calendars.set(key, cal);
    return cal;
  }

  calendar(calendarId: string): SimCalendar | undefined {
    return this.calendars.get(lower(calendarId));
  }

  private mustCalendar(calendarId: string): SimCalendar {
    const cal = this.calendar(calendarId);
    if (!cal) throw new Error(`google-sim: no calendar ${calendarId} (addUser or addCalendar first)`);
    return cal;
  }

  newEtag(): string {
    this.etagCounter++;
    return `"${(3_400_000_000_000_000 + this.clock.now() * 1000 + this.etagCounter).toString()}"`;
  }

  private touch(cal: SimCalendar, ev: StoredEvent): void {
    cal.seq++;
    ev.seq = cal.seq;
    ev.json.etag = this.newEtag();
    ev.json.updated = new Date(this.clock.now()).toISOString();
  }

  /** Adds an event as stored on the calendar: id, iCalUID, etag, created/updated assigned unless given. */
  addEvent(calendarId: string, event: calendar_v3.Schema$Event): calendar_v3.Schema$Event {
    const cal = this.mustCalendar(calendarId);
    const id = event.id ?? newEventId();
    const now = new Date(this.clock.now()).toISOString();
    const json: StoredEvent['json'] = {
      kind: 'calendar#event', status: 'confirmed', sequence: 0, created: now,
      organizer: { email: cal.owner ?? cal.id },
      creator: { email: cal.owner ?? cal.id },
      eventType: 'default',
      ...structuredClone(event),
      id, iCalUID: event.iCalUID ?? `${id}@google.com`, etag: '', updated: now,
      htmlLink: `https://www.google.com/calendar/event?eid=${Buffer.from(`${id} ${cal.id}`).toString('base64url')}`,
    };
    stripSelf(json);
    const ev: StoredEvent = { json, seq: 0 };
    cal.events.set(id, ev);
    this.touch(cal, ev);
    return this.eventView(cal, ev);
  }

  /** Changes an event (a function editing it in place, or fields merged over it); etag and sequence of change advance. */
  alterEvent(calendarId: string, id: string, change: calendar_v3.Schema$Event | ((e: calendar_v3.Schema$Event) => void)): calendar_v3.Schema$Event {
    const cal = this.mustCalendar(calendarId);
    const ev = cal.events.get(id);
    if (!ev) throw new Error(`google-sim: no event ${id} on ${calendarId}`);
    if (typeof change === 'function') change(ev.json);
    else Object.assign(ev.json, structuredClone(change));
    stripSelf(ev.json);
    this.touch(cal, ev);
    return this.eventView(cal, ev);
  }

  /** Deletes an event: it stays as `status: 'cancelled'` (incremental sync and showDeleted return it). */
  deleteEvent(calendarId: string, id: string): void {
    const cal = this.mustCalendar(calendarId);
    const ev = cal.events.get(id);
    if (!ev) throw new Error(`google-sim: no event ${id} on ${calendarId}`);
    ev.json.status = 'cancelled';
    this.touch(cal, ev);
  }

  /** events.list with a syncToken issued before now answers 410 fullSyncRequired. */
  expireSyncTokens(calendarId: string): void {
    this.mustCalendar(calendarId).generation++;
  }

  /** The calendar's events as the API would show them (cancelled ones included). */
  events(calendarId: string): calendar_v3.Schema$Event[] {
    const cal = this.mustCalendar(calendarId);
    return [...cal.events.values()].sort((a, b) => a.seq - b.seq).map((ev) => this.eventView(cal, ev));
  }

  /** An event as one calendar sees it: `self` set on its own attendee and organizer entries. */
  eventView(cal: SimCalendar, ev: StoredEvent): calendar_v3.Schema$Event {
    const out = structuredClone(ev.json);
    if (out.organizer?.email && lower(out.organizer.email) === cal.id) out.organizer.self = true;
    if (out.creator?.email && lower(out.creator.email) === cal.id) out.creator.self = true;
    for (const a of out.attendees ?? []) if (a.email && lower(a.email) === cal.id) a.self = true;
    return out;
  }

  /** Bumps a stored event after the handlers changed it. */
  touchEvent(cal: SimCalendar, ev: StoredEvent): void {
    this.touch(cal, ev);
  }

  // ---- logs ---------------------------------------------------------------------------------

  /** Sends whose header `name` (without regard to case) has exactly this value. */
  sentCount(header: string, value: string): number {
    const name = header.toLowerCase();
    return this.sent.filter((s) => s.headers[name] === value).length;
  }
}

function stripSelf(e: calendar_v3.Schema$Event): void {
  if (e.organizer) delete e.organizer.self;
  if (e.creator) delete e.creator.self;
  for (const a of e.attendees ?? []) delete a.self;
}

export type { gmail_v1 };
