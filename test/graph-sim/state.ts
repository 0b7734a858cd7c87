/**
 * The simulator's tenant: mailboxes with folders, messages (JSON as Graph returns it plus the
 * MIME source), calendars, and the logs tests read (what was sent, what was requested). Tests
 * change it directly through these methods; the HTTP handlers change it through the same ones,
 * so every change advances the folder's or calendar's change sequence that delta reads.
 */
import { randomUUID } from 'node:crypto';
import type { Event, InternetMessageHeader, Message, Recipient } from '@microsoft/microsoft-graph-types';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { customHeadersOf, withoutHeader } from './mime.js';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';

export interface Clock {
  now(): number;
}

export const WELL_KNOWN_FOLDERS = ['inbox', 'sentitems', 'drafts', 'deleteditems'] as const;
export type WellKnownFolder = (typeof WELL_KNOWN_FOLDERS)[number];

export interface Folder {
  readonly id: string;
  readonly displayName: string;
  readonly wellKnownName?: WellKnownFolder;
  /** Message id → change sequence at which it left this folder. */
  readonly tombstones: Map<string, number>;
}

export interface StoredMessage {
  json: Message & { id: string; parentFolderId: string; changeKey: string };
  mime: string;
  seq: number;
  /**
   * A draft's custom headers: Graph keeps them for sending but does not return
   * internetMessageHeaders for drafts or Sent Items copies (only for mail that came in through
   * transport), so they are not in `json`. The headers remain in the MIME (`$value`).
   */
  draftHeaders?: InternetMessageHeader[];
  /**
   * A draft created from MIME (`Content-Type: text/plain`): `mime` is the message as the client
   * gave it, and sending it sends that MIME rather than one composed from `json`.
   */
  fromMime?: boolean;
}

export interface StoredEvent {
  json: Event & { id: string; changeKey: string };
  seq: number;
}

export interface Mailbox {
  readonly id: string;
  readonly address: string;
  readonly displayName: string;
  readonly folders: Map<string, Folder>;
  readonly messages: Map<string, StoredMessage>;
  readonly events: Map<string, StoredEvent>;
  /** Event id → change sequence at which it was deleted. */
  readonly eventTombstones: Map<string, number>;
  /** Bumped to invalidate every delta token of this mailbox (410 syncStateNotFound). */
  syncGeneration: number;
  /** Actions this mailbox's permissions refuse (403 ErrorAccessDenied), e.g. 'decline'. */
  readonly denied: Set<string>;
  seq: number;
}

export type SentKind = 'mail' | 'forward' | 'invitation' | 'eventResponse';

export interface SentRecord {
  readonly kind: SentKind;
  readonly from: string;
  readonly to: string[];
  readonly cc: string[];
  readonly bcc: string[];
  readonly subject: string;
  readonly internetMessageId?: string;
  /** Custom `x-` headers as given by the client (names as sent). */
  readonly headers: InternetMessageHeader[];
  readonly mime?: string;
  readonly at: number;
}

export interface RequestRecord {
  readonly method: string;
  /** The path as sent, below /v1.0. */
  readonly path: string;
  /** Mailbox as address, folder by name (see SimRequest.canonicalPath). */
  readonly canonicalPath: string;
  readonly query: string;
  readonly status: number;
  readonly mailbox?: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly inBatch: boolean;
  readonly at: number;
  /** The JSON body as the client sent it (not for $batch envelopes). */
  readonly body?: unknown;
}

export type ChangeListener = (change:
  | { kind: 'message'; mailbox: Mailbox; folderId: string; messageId: string; changeType: 'created' | 'updated' | 'deleted' }
  | { kind: 'event'; mailbox: Mailbox; eventId: string; changeType: 'created' | 'updated' | 'deleted' }) => void;

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const newId = (prefix: string): string => `${prefix}${randomUUID().replace(/-/g, '')}`;
const changeKey = (): string => randomUUID().replace(/-/g, '').slice(0, 24);

function recipients(list: AddressObject | AddressObject[] | undefined): Recipient[] {
  const out: Recipient[] = [];
  for (const obj of list === undefined ? [] : Array.isArray(list) ? list : [list]) {
    for (const a of obj.value) {
      if (a.address) out.push({ emailAddress: { name: a.name || a.address, address: a.address } });
    }
  }
  return out;
}

export const addressesOf = (list: readonly Recipient[] | null | undefined): string[] =>
  (list ?? []).map((r) => r.emailAddress?.address ?? '').filter((a) => a !== '');

export class SimState {
  readonly mailboxes = new Map<string, Mailbox>();
  readonly sent: SentRecord[] = [];
  readonly requests: RequestRecord[] = [];
  /**
   * The error code of a 410 for an expired delta link. Graph's documentation spells it
   * syncStateNotFound; Outlook resources have been seen answering SyncStateNotFound, so a client
   * should compare without regard to case (set this to test that it does).
   */
  syncStateErrorCode = 'syncStateNotFound';
  private readonly listeners: ChangeListener[] = [];

  constructor(readonly clock: Clock) {}

  onChange(listener: ChangeListener): void {
    this.listeners.push(listener);
  }

  private emit(change: Parameters<ChangeListener>[0]): void {
    for (const l of this.listeners) l(change);
  }

  addMailbox(address: string, displayName = address): Mailbox {
    const existing = this.findMailbox(address);
    if (existing) return existing;
    const folders = new Map<string, Folder>();
    const names: Record<WellKnownFolder, string> = {
      inbox: 'Inbox', sentitems: 'Sent Items', drafts: 'Drafts', deleteditems: 'Deleted Items',
    };
    for (const w of WELL_KNOWN_FOLDERS) {
      const f: Folder = { id: newId('AAMkFolder'), displayName: names[w], wellKnownName: w, tombstones: new Map() };
      folders.set(f.id, f);
    }
    const mb: Mailbox = {
      id: randomUUID(), address: address.toLowerCase(), displayName, folders, messages: new Map(),
      events: new Map(), eventTombstones: new Map(), syncGeneration: 0, denied: new Set(), seq: 0,
    };
    this.mailboxes.set(mb.id, mb);
    return mb;
  }

  /** By object id or address, case-insensitive. */
  findMailbox(idOrAddress: string): Mailbox | undefined {
    const key = idOrAddress.toLowerCase();
    for (const mb of this.mailboxes.values()) if (mb.id === key || mb.address === key) return mb;
    return undefined;
  }

  mailbox(idOrAddress: string): Mailbox {
    const mb = this.findMailbox(idOrAddress);
    if (!mb) throw new Error(`The simulator has no mailbox ${idOrAddress}.`);
    return mb;
  }

  addFolder(mailbox: string, displayName: string): Folder {
    const mb = this.mailbox(mailbox);
    const f: Folder = { id: newId('AAMkFolder'), displayName, tombstones: new Map() };
    mb.folders.set(f.id, f);
    return f;
  }

  /** A well-known name (inbox, sentitems, drafts, deleteditems), a folder id or a display name. */
  findFolder(mb: Mailbox, ref: string): Folder | undefined {
    const lower = ref.toLowerCase();
    for (const f of mb.folders.values()) {
      if (f.id === ref || f.wellKnownName === lower || f.displayName.toLowerCase() === lower) return f;
    }
    return undefined;
  }

  folder(mb: Mailbox, ref: string): Folder {
    const f = this.findFolder(mb, ref);
    if (!f) throw new Error(`Mailbox ${mb.address} has no folder ${ref}.`);
    return f;
  }

  /** Delivers a raw RFC 5322 message into a folder, as the transport would; returns its Graph id. */
  async deliverMime(mailbox: string, folder: string, raw: string | Buffer): Promise<string> {
    const mb = this.mailbox(mailbox);
    const f = this.folder(mb, folder);
    const mime = typeof raw === 'string' ? raw : raw.toString('utf8');
    const json = this.messageFromMime(mb, f, await simpleParser(mime));
    this.putMessage(mb, { json, mime, seq: 0 }, 'created');
    return json.id;
  }

  /**
   * A message resource as Exchange derives it from parsed MIME, filed in `f`. Mail the mailbox's
   * owner wrote (Sent Items, Drafts) never went through transport: Graph returns no
   * internetMessageHeaders for it, though the headers are in the MIME.
   */
  messageFromMime(mb: Mailbox, f: Folder, p: ParsedMail): StoredMessage['json'] {
    const now = this.clock.now();
    const sent = p.date ? p.date.getTime() : now;
    const from = recipients(p.from)[0];
    const text = p.text ?? '';
    const json: StoredMessage['json'] = {
      id: newId('AAMkMsg'),
      createdDateTime: iso(now),
      lastModifiedDateTime: iso(now),
      changeKey: changeKey(),
      categories: [],
      receivedDateTime: iso(now),
      sentDateTime: iso(sent),
      hasAttachments: p.attachments.length > 0,
      internetMessageId: p.messageId ?? `<${randomUUID()}@graph-sim.invalid>`,
      subject: p.subject ?? '',
      bodyPreview: text.slice(0, 255),
      importance: 'normal',
      parentFolderId: f.id,
      conversationId: newId('AAQkConv'),
      isDeliveryReceiptRequested: false,
      isReadReceiptRequested: false,
      isRead: false,
      isDraft: false,
      webLink: `https://outlook.office365.com/owa/?ItemID=${encodeURIComponent(mb.id)}`,
      inferenceClassification: 'focused',
      body: p.html ? { contentType: 'html', content: p.html } : { contentType: 'text', content: text },
      sender: from ?? null,
      from: from ?? null,
      toRecipients: recipients(p.to),
      ccRecipients: recipients(p.cc),
      bccRecipients: recipients(p.bcc),
      replyTo: recipients(p.replyTo),
      internetMessageHeaders: p.headerLines.map((h) => {
        const colon = h.line.indexOf(':');
        return { name: h.line.slice(0, colon).trim(), value: h.line.slice(colon + 1).replace(/\r?\n[ \t]+/g, ' ').trim() };
      }),
    };
    if (f.wellKnownName === 'sentitems' || f.wellKnownName === 'drafts') delete json.internetMessageHeaders;
    return json;
  }

  putMessage(mb: Mailbox, msg: StoredMessage, changeType: 'created' | 'updated'): void {
    msg.seq = ++mb.seq;
    msg.json.lastModifiedDateTime = iso(this.clock.now());
    if (changeType === 'updated') msg.json.changeKey = changeKey();
    mb.messages.set(msg.json.id, msg);
    this.folderOf(mb, msg).tombstones.delete(msg.json.id);
    this.emit({ kind: 'message', mailbox: mb, folderId: msg.json.parentFolderId, messageId: msg.json.id, changeType });
  }

  private folderOf(mb: Mailbox, msg: StoredMessage): Folder {
    const f = mb.folders.get(msg.json.parentFolderId);
    if (!f) throw new Error(`Message ${msg.json.id} is in a folder that no longer exists.`);
    return f;
  }

  /** Marks a message read or unread (an update that delta reports again). */
  alterMessage(mailbox: string, id: string, change: Partial<Pick<Message, 'isRead' | 'subject' | 'categories'>>): void {
    const mb = this.mailbox(mailbox);
    const msg = mb.messages.get(id);
    if (!msg) throw new Error(`No message ${id} in ${mb.address}.`);
    Object.assign(msg.json, change);
    this.putMessage(mb, msg, 'updated');
  }

  moveMessage(mailbox: string, id: string, toFolder: string): void {
    const mb = this.mailbox(mailbox);
    const msg = mb.messages.get(id);
    if (!msg) throw new Error(`No message ${id} in ${mb.address}.`);
    const from = this.folderOf(mb, msg);
    from.tombstones.set(id, ++mb.seq);
    this.emit({ kind: 'message', mailbox: mb, folderId: from.id, messageId: id, changeType: 'deleted' });
    msg.json.parentFolderId = this.folder(mb, toFolder).id;
    this.putMessage(mb, msg, 'updated');
  }

  deleteMessage(mailbox: string, id: string): void {
    const mb = this.mailbox(mailbox);
    const msg = mb.messages.get(id);
    if (!msg) throw new Error(`No message ${id} in ${mb.address}.`);
    const from = this.folderOf(mb, msg);
    mb.messages.delete(id);
    from.tombstones.set(id, ++mb.seq);
    this.emit({ kind: 'message', mailbox: mb, folderId: from.id, messageId: id, changeType: 'deleted' });
  }

  messagesIn(mailbox: string, folder: string): StoredMessage[] {
    const mb = this.mailbox(mailbox);
    const f = this.folder(mb, folder);
    return [...mb.messages.values()].filter((m) => m.json.parentFolderId === f.id);
  }

  /** Renders a Graph message resource to MIME; `keepBcc` for the sender's own copy. */
  async composeMime(from: string, msg: Message, keepBcc: boolean): Promise<string> {
    const fmt = (list: readonly Recipient[] | null | undefined): string[] =>
      (list ?? []).map((r) => (r.emailAddress?.name ? `"${r.emailAddress.name}" <${r.emailAddress.address ?? ''}>` : r.emailAddress?.address ?? ''));
    const headers: Record<string, string> = {};
    for (const h of msg.internetMessageHeaders ?? []) if (h.name && h.value !== undefined && h.value !== null) headers[h.name] = h.value;
    const html = msg.body?.contentType === 'html';
    const composer = new MailComposer({
      from: msg.from?.emailAddress?.address ?? from,
      to: fmt(msg.toRecipients), cc: fmt(msg.ccRecipients), bcc: fmt(msg.bccRecipients),
      subject: msg.subject ?? '',
      ...(html ? { html: msg.body?.content ?? '' } : { text: msg.body?.content ?? '' }),
      messageId: msg.internetMessageId ?? `<${randomUUID()}@graph-sim.invalid>`,
      date: new Date(this.clock.now()),
      headers,
    });
    const node = composer.compile();
    node.keepBcc = keepBcc;
    const buf = await node.build();
    return buf.toString('utf8');
  }

  /**
   * Carries out a send: a copy in each simulated recipient's Inbox (no Bcc header), the sender's
   * copy in Sent Items (Bcc kept) unless `saveToSentItems` is false, and a record in `sent`.
   */
  async deliverSend(mb: Mailbox, msg: Message, opts: { saveToSentItems: boolean; draftId?: string; kind?: SentKind }): Promise<void> {
    const { saveToSentItems, draftId, kind = 'mail' } = opts;
    const internetMessageId = msg.internetMessageId ?? `<${randomUUID()}@graph-sim.invalid>`;
    const full: Message = { ...msg, internetMessageId, from: msg.from ?? { emailAddress: { address: mb.address, name: mb.displayName } } };
    const to = addressesOf(full.toRecipients);
    const cc = addressesOf(full.ccRecipients);
    const bcc = addressesOf(full.bccRecipients);
    const sentMime = await this.composeMime(mb.address, full, true);
    const recipientMime = await this.composeMime(mb.address, full, false);
    this.sent.push({
      kind, from: mb.address, to, cc, bcc, subject: full.subject ?? '', internetMessageId,
      headers: full.internetMessageHeaders ?? [], mime: sentMime, at: this.clock.now(),
    });
    for (const address of new Set([...to, ...cc, ...bcc].map((a) => a.toLowerCase()))) {
      if (this.findMailbox(address)) await this.deliverMime(address, 'inbox', recipientMime);
    }
    if (draftId !== undefined) {
      const draft = mb.messages.get(draftId);
      if (draft) this.deleteMessage(mb.address, draftId);
    }
    if (saveToSentItems) {
      const id = await this.deliverMime(mb.address, 'sentitems', sentMime);
      const copy = mb.messages.get(id);
      if (copy) copy.json.isRead = true;
    }
  }

  /**
   * Sends a message given as MIME (a MIME draft, or sendMail with a MIME body): the sender's copy
   * in Sent Items is the MIME as given (Bcc kept); each simulated recipient gets it without its
   * Bcc field; the `sent` record carries the MIME's `X-…` and `Auto-Submitted` fields.
   */
  async deliverSendMime(mb: Mailbox, mime: string, opts: { draftId?: string } = {}): Promise<void> {
    const p = await simpleParser(mime);
    const to = addressesOf(recipients(p.to));
    const cc = addressesOf(recipients(p.cc));
    const bcc = addressesOf(recipients(p.bcc));
    const internetMessageId = p.messageId ?? `<${randomUUID()}@graph-sim.invalid>`;
    this.sent.push({
      kind: 'mail', from: mb.address, to, cc, bcc, subject: p.subject ?? '', internetMessageId,
      headers: customHeadersOf(p), mime, at: this.clock.now(),
    });
    const recipientMime = withoutHeader(mime, 'bcc');
    for (const address of new Set([...to, ...cc, ...bcc].map((a) => a.toLowerCase()))) {
      if (this.findMailbox(address)) await this.deliverMime(address, 'inbox', recipientMime);
    }
    if (opts.draftId !== undefined && mb.messages.has(opts.draftId)) this.deleteMessage(mb.address, opts.draftId);
    const id = await this.deliverMime(mb.address, 'sentitems', mime);
    const copy = mb.messages.get(id);
    if (copy) copy.json.isRead = true;
  }

  /** How many sends carried a header (case-insensitive name) with this value: the effect-key count. */
  sentCount(header: string, value: string): number {
    const name = header.toLowerCase();
    return this.sent.filter((s) => s.headers.some((h) => h.name?.toLowerCase() === name && h.value === value)).length;
  }

  recordSent(rec: Omit<SentRecord, 'at'>): void {
    this.sent.push({ ...rec, at: this.clock.now() });
  }

  addEvent(mailbox: string, event: Event): StoredEvent['json'] {
    const mb = this.mailbox(mailbox);
    const now = iso(this.clock.now());
    const json: StoredEvent['json'] = {
      type: 'singleInstance', isCancelled: false, isOrganizer: false, showAs: 'busy',
      responseStatus: { response: 'none', time: '0001-01-01T00:00:00Z' }, attendees: [],
      createdDateTime: now,
      ...event,
      id: event.id ?? newId('AAMkEvt'),
      iCalUId: event.iCalUId ?? newId('040000008200E00074C5B7101A82E008'),
      changeKey: changeKey(),
    };
    const stored: StoredEvent = { json, seq: 0 };
    this.putEvent(mb, stored, 'created');
    return json;
  }

  putEvent(mb: Mailbox, ev: StoredEvent, changeType: 'created' | 'updated'): void {
    ev.seq = ++mb.seq;
    ev.json.lastModifiedDateTime = iso(this.clock.now());
    if (changeType === 'updated') ev.json.changeKey = changeKey();
    mb.events.set(ev.json.id, ev);
    mb.eventTombstones.delete(ev.json.id);
    this.emit({ kind: 'event', mailbox: mb, eventId: ev.json.id, changeType });
  }

  alterEvent(mailbox: string, id: string, change: Partial<Event>): StoredEvent['json'] {
    const mb = this.mailbox(mailbox);
    const ev = mb.events.get(id);
    if (!ev) throw new Error(`No event ${id} in ${mb.address}.`);
    Object.assign(ev.json, change);
    this.putEvent(mb, ev, 'updated');
    return ev.json;
  }

  deleteEvent(mailbox: string, id: string): void {
    const mb = this.mailbox(mailbox);
    if (!mb.events.delete(id)) throw new Error(`No event ${id} in ${mb.address}.`);
    mb.eventTombstones.set(id, ++mb.seq);
    this.emit({ kind: 'event', mailbox: mb, eventId: id, changeType: 'deleted' });
  }

  /** Every delta token of the mailbox answers 410 syncStateNotFound from now on. */
  expireSyncState(mailbox: string): void {
    this.mailbox(mailbox).syncGeneration++;
  }
}

export const etagOf = (changeKey: string): string => `W/"${changeKey}"`;
export { iso as isoSeconds, newId };
