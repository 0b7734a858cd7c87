/**
 * Gmail API v1, the calls the connector makes: users.getProfile, users.messages.list (q,
 * labelIds, pageToken, maxResults, includeSpamTrash), users.messages.get (format raw | metadata |
 * minimal | full), users.history.list, users.labels.list and users.messages.send ({ raw }), delivering into the
 * simulated mailboxes.
 */
import type { gmail_v1 } from 'googleapis/build/src/apis/gmail/v1.js';
import { SCOPES } from './auth.js';
import { bareMessageId, gmailMessageId, looksLikeMime, parseMime, withHeader, withoutHeader } from './mime.js';
import { SYSTEM_LABELS, type GoogleState, type HistoryEntry, type HistoryKind, type Mailbox, type SentRecord, type StoredMessage } from './state.js';
import { badRequest, decodeToken, encodeToken, googleError, json, notFound, type SimRequest, type SimResponse } from './wire.js';

/** Gmail quota units per method (developers.google.com/gmail/api/reference/quota). */
export const GMAIL_QUOTA_UNITS = {
  'getProfile': 1,
  'history.list': 2,
  'messages.list': 5,
  'messages.get': 5,
  'messages.send': 100,
  'messages.modify': 5,
  'messages.delete': 10,
  'messages.attachments.get': 5,
  'labels.list': 1,
  'threads.get': 10,
  'threads.list': 10,
  'drafts.send': 100,
} as const;

export const DEFAULT_LIST_PAGE_SIZE = 100;
export const MAX_LIST_PAGE_SIZE = 500;

export interface GmailQuirks {
  /** messages.list and history.list: this many pages with no results but a nextPageToken come first. */
  emptyPagesBefore?: number;
  /** messages.list: the last page with results still carries a nextPageToken, leading to an empty page. */
  trailingEmptyPage?: boolean;
}

interface ListPage { o: number; e: number; t?: boolean }
interface HistoryPage { a: number; e: number }

const HISTORY_TYPES: readonly HistoryKind[] = ['messageAdded', 'messageDeleted', 'labelAdded', 'labelRemoved'];

function snippet(m: StoredMessage): string {
  return m.parsed.text.replace(/\s+/g, ' ').trim().slice(0, 200);
}

function pageSize(req: SimRequest, dflt: number): number | SimResponse {
  const raw = req.query.get('maxResults');
  if (raw === null) return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) return badRequest(`Invalid value '${raw}'. Values must be within the range: [0, ${MAX_LIST_PAGE_SIZE}]`, 'invalid', 'maxResults');
  return Math.min(n === 0 ? dflt : n, MAX_LIST_PAGE_SIZE);
}

/** Epoch ms from an after:/before: operand (seconds since the epoch, or yyyy/mm/dd). */
function dateOperand(v: string): number | undefined {
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const m = /^(\d{4})[/-](\d{1,2})[/-](\d{1,2})$/.exec(v);
  return m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : undefined;
}

function tokenize(q: string): string[] {
  return [...q.matchAll(/(-?[a-z_]+:)?("[^"]*"|\S+)/gi)].map((m) => m[0]);
}

/** A small subset of Gmail's search language; see README.md. */
export function matchesQuery(m: StoredMessage, q: string): boolean {
  for (const term of tokenize(q)) {
    const neg = term.startsWith('-');
    const t = neg ? term.slice(1) : term;
    const i = t.indexOf(':');
    const op = i > 0 ? t.slice(0, i).toLowerCase() : '';
    const val = (i > 0 ? t.slice(i + 1) : t).replace(/^"|"$/g, '');
    const lv = val.toLowerCase();
    const h = m.parsed;
    let ok: boolean;
    switch (op) {
      case 'rfc822msgid': ok = h.messageId !== undefined && bareMessageId(h.messageId) === bareMessageId(val); break;
      case 'in': case 'label': ok = m.labelIds.includes(lv === 'anywhere' ? m.labelIds[0] ?? '' : val.toUpperCase()); break;
      case 'is': ok = lv === 'unread' ? m.labelIds.includes('UNREAD') : lv === 'read' ? !m.labelIds.includes('UNREAD')
        : lv === 'starred' ? m.labelIds.includes('STARRED') : lv === 'important' ? m.labelIds.includes('IMPORTANT') : false; break;
      case 'after': { const d = dateOperand(val); ok = d !== undefined && m.internalDate >= d; break; }
      case 'before': { const d = dateOperand(val); ok = d !== undefined && m.internalDate < d; break; }
      case 'from': ok = (h.headers['from'] ?? '').toLowerCase().includes(lv); break;
      case 'to': ok = [...h.to, ...h.cc, ...h.bcc].some((a) => a.includes(lv)); break;
      case 'cc': ok = h.cc.some((a) => a.includes(lv)); break;
      case 'bcc': ok = h.bcc.some((a) => a.includes(lv)); break;
      case 'subject': ok = h.subject.toLowerCase().includes(lv); break;
      default: ok = m.raw.toString('utf8').toLowerCase().includes(t.replace(/^"|"$/g, '').toLowerCase());
    }
    if (ok === neg) return false;
  }
  return true;
}

export class GmailApi {
  quirks: GmailQuirks = {};

  constructor(private readonly state: GoogleState) {}

  profile(mb: Mailbox): SimResponse {
    const threads = new Set([...mb.messages.values()].map((m) => m.threadId));
    const body: gmail_v1.Schema$Profile = {
      emailAddress: mb.address, messagesTotal: mb.messages.size, threadsTotal: threads.size, historyId: String(mb.historyId),
    };
    return json(200, body);
  }

  /** users.labels.list: the system labels (name = id), then the mailbox's user labels in the order they were added. */
  labels(mb: Mailbox): SimResponse {
    const system: gmail_v1.Schema$Label[] = SYSTEM_LABELS.map((id) => ({ id, name: id, type: 'system' }));
    const user: gmail_v1.Schema$Label[] = [...mb.labels.values()].map((l) => ({
      id: l.id, name: l.name, messageListVisibility: 'show', labelListVisibility: 'labelShow', type: 'user',
    }));
    const body: gmail_v1.Schema$ListLabelsResponse = { labels: [...system, ...user] };
    return json(200, body);
  }

  list(req: SimRequest, mb: Mailbox, scopes: readonly string[]): SimResponse {
    const q = req.query.get('q');
    if (q !== null && onlyMetadata(scopes)) return googleError(403, "Metadata scope does not support 'q' parameter", { reason: 'forbidden' });
    const size = pageSize(req, DEFAULT_LIST_PAGE_SIZE);
    if (typeof size !== 'number') return size;
    const labelIds = req.query.getAll('labelIds');
    const spamTrash = req.query.get('includeSpamTrash') === 'true';
    const all = [...mb.messages.values()]
      .filter((m) => spamTrash || labelIds.includes('SPAM') || labelIds.includes('TRASH') || !m.labelIds.some((l) => l === 'SPAM' || l === 'TRASH'))
      .filter((m) => labelIds.every((l) => m.labelIds.includes(l)))
      .filter((m) => q === null || q.trim() === '' || matchesQuery(m, q))
      .sort((a, b) => b.internalDate - a.internalDate || b.historyId - a.historyId);
    const tokenText = req.query.get('pageToken');
    let page: ListPage;
    if (tokenText) {
      const t = decodeToken<ListPage>(tokenText);
      if (!t || typeof t.o !== 'number') return badRequest('Invalid pageToken', 'invalid', 'pageToken');
      page = t;
    } else {
      page = { o: 0, e: this.quirks.emptyPagesBefore ?? 0 };
    }
    const out: gmail_v1.Schema$ListMessagesResponse = { resultSizeEstimate: page.t ? 0 : all.length };
    if (page.e > 0) {
      out.resultSizeEstimate = 0;
      out.nextPageToken = encodeToken({ o: page.o, e: page.e - 1 } satisfies ListPage);
      return json(200, out);
    }
    if (page.t) return json(200, out);
    const slice = all.slice(page.o, page.o + size);
    if (slice.length > 0) out.messages = slice.map((m) => ({ id: m.id, threadId: m.threadId }));
    if (page.o + size < all.length) out.nextPageToken = encodeToken({ o: page.o + size, e: 0 } satisfies ListPage);
    else if (this.quirks.trailingEmptyPage && slice.length > 0) out.nextPageToken = encodeToken({ o: all.length, e: 0, t: true } satisfies ListPage);
    return json(200, out);
  }

  get(req: SimRequest, mb: Mailbox, id: string, scopes: readonly string[]): SimResponse {
    const m = mb.messages.get(id);
    if (!m) return notFound();
    const format = (req.query.get('format') ?? 'full').toLowerCase();
    if (!['full', 'raw', 'metadata', 'minimal'].includes(format)) return badRequest(`Invalid value for format: ${format}`, 'invalidArgument', 'format');
    if ((format === 'raw' || format === 'full') && onlyMetadata(scopes)) {
      return googleError(403, `Metadata scope doesn't allow format ${format.toUpperCase()}`, { reason: 'forbidden' });
    }
    const out: gmail_v1.Schema$Message = {
      id: m.id, threadId: m.threadId, labelIds: [...m.labelIds], snippet: snippet(m), sizeEstimate: m.raw.length,
      historyId: String(m.historyId), internalDate: String(m.internalDate),
    };
    if (format === 'raw') out.raw = m.raw.toString('base64url');
    if (format === 'metadata' || format === 'full') {
      const wanted = req.query.getAll('metadataHeaders').map((x) => x.toLowerCase());
      const headers = m.parsed.headerList.filter((h) => format === 'full' || wanted.length === 0 || wanted.includes(h.name.toLowerCase()));
      const contentType = (m.parsed.headers['content-type'] ?? 'text/plain').split(';')[0]?.trim() ?? 'text/plain';
      out.payload = { partId: '', mimeType: contentType, filename: '', headers };
      if (format === 'full') {
        const text = Buffer.from(m.parsed.text, 'utf8');
        const textBody: gmail_v1.Schema$MessagePartBody = { size: text.length, data: text.toString('base64url') };
        if (contentType.startsWith('multipart/')) {
          out.payload.body = { size: 0 };
          out.payload.parts = [{ partId: '0', mimeType: 'text/plain', filename: '', headers: [{ name: 'Content-Type', value: 'text/plain; charset="UTF-8"' }], body: textBody }];
        } else {
          out.payload.body = textBody;
        }
      }
    }
    return json(200, out);
  }

  history(req: SimRequest, mb: Mailbox): SimResponse {
    const startText = req.query.get('startHistoryId');
    if (startText === null) return badRequest('Missing required parameter: startHistoryId', 'required', 'startHistoryId');
    if (!/^\d+$/.test(startText)) return badRequest(`Invalid value '${startText}' for startHistoryId`, 'invalid', 'startHistoryId');
    const start = Number(startText);
    if (start < mb.historyFloor) return notFound();
    const size = pageSize(req, DEFAULT_LIST_PAGE_SIZE);
    if (typeof size !== 'number') return size;
    const types = req.query.getAll('historyTypes');
    for (const t of types) if (!HISTORY_TYPES.includes(t as HistoryKind)) return badRequest(`Invalid value for historyTypes: ${t}`, 'invalidArgument', 'historyTypes');
    const labelId = req.query.get('labelId');
    const tokenText = req.query.get('pageToken');
    let page: HistoryPage;
    if (tokenText) {
      const t = decodeToken<HistoryPage>(tokenText);
      if (!t || typeof t.a !== 'number') return badRequest('Invalid pageToken', 'invalid', 'pageToken');
      page = t;
    } else {
      page = { a: start, e: this.quirks.emptyPagesBefore ?? 0 };
    }
    const out: gmail_v1.Schema$ListHistoryResponse = { historyId: String(mb.historyId) };
    if (page.e > 0) {
      out.nextPageToken = encodeToken({ a: page.a, e: page.e - 1 } satisfies HistoryPage);
      return json(200, out);
    }
    const entries = mb.history
      .filter((h) => h.id > page.a)
      .filter((h) => types.length === 0 || types.includes(h.kind))
      .filter((h) => labelId === null || h.labelIds.includes(labelId) || (h.changed ?? []).includes(labelId));
    const slice = entries.slice(0, size);
    if (slice.length > 0) out.history = slice.map(historyRecord);
    if (entries.length > size) {
      const last = slice[slice.length - 1];
      out.nextPageToken = encodeToken({ a: last?.id ?? page.a, e: 0 } satisfies HistoryPage);
    }
    return json(200, out);
  }

  async send(req: SimRequest, mb: Mailbox): Promise<SimResponse> {
    const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as gmail_v1.Schema$Message;
    if (typeof body.raw !== 'string' || body.raw === '') {
      return badRequest("'raw' RFC822 payload message string or uploading message via /upload/* URL required", 'invalidArgument');
    }
    let raw: Buffer = Buffer.from(body.raw, 'base64url');
    if (!looksLikeMime(raw)) return badRequest('Invalid raw: not an RFC 822 message', 'invalidArgument');
    let parsed = await parseMime(raw);
    const recipients = [...new Set([...parsed.to, ...parsed.cc, ...parsed.bcc])];
    if (recipients.length === 0) return badRequest('Recipient address required', 'invalidArgument');
    if (parsed.headers['from'] === undefined) raw = withHeader(raw, 'From', mb.address);
    if (parsed.messageId === undefined) raw = withHeader(raw, 'Message-ID', gmailMessageId());
    if (raw.length !== Buffer.from(body.raw, 'base64url').length) parsed = await parseMime(raw);
    const sentLabels = recipients.includes(mb.address) ? ['SENT', 'INBOX', 'UNREAD'] : ['SENT'];
    const id = this.state.store(mb, raw, parsed, sentLabels, body.threadId ?? undefined);
    const stored = mb.messages.get(id);
    const delivered = withoutHeader(raw, 'bcc');
    const deliveredParsed = await parseMime(delivered);
    for (const r of recipients) {
      if (r === mb.address) continue;
      const target = this.state.mailbox(r);
      if (target) this.state.store(target, delivered, deliveredParsed, ['INBOX', 'UNREAD', 'CATEGORY_PERSONAL']);
    }
    const record: SentRecord = {
      kind: 'mail', from: parsed.from ?? mb.address, to: recipients, raw: raw.toString('utf8'), headers: { ...parsed.headers }, at: this.state.clock.now(),
    };
    this.state.sent.push(record);
    const out: gmail_v1.Schema$Message = { id, threadId: stored?.threadId ?? id, labelIds: sentLabels };
    return json(200, out);
  }
}

function historyRecord(h: HistoryEntry): gmail_v1.Schema$History {
  const message: gmail_v1.Schema$Message = { id: h.messageId, threadId: h.threadId, labelIds: [...h.labelIds] };
  const rec: gmail_v1.Schema$History = { id: String(h.id), messages: [{ id: h.messageId, threadId: h.threadId }] };
  if (h.kind === 'messageAdded') rec.messagesAdded = [{ message }];
  if (h.kind === 'messageDeleted') rec.messagesDeleted = [{ message: { id: h.messageId, threadId: h.threadId } }];
  if (h.kind === 'labelAdded') rec.labelsAdded = [{ message, labelIds: [...(h.changed ?? [])] }];
  if (h.kind === 'labelRemoved') rec.labelsRemoved = [{ message, labelIds: [...(h.changed ?? [])] }];
  return rec;
}

/** True when the token's only Gmail read scope is gmail.metadata. */
function onlyMetadata(scopes: readonly string[]): boolean {
  return scopes.includes(SCOPES.gmailMetadata) && ![SCOPES.mail, SCOPES.gmailModify, SCOPES.gmailReadonly].some((s) => scopes.includes(s));
}
