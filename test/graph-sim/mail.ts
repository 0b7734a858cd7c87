/**
 * Mail: per-folder message delta with opaque next/delta links, single messages and their MIME
 * (`$value`), lookups by internetMessageId, drafts with custom `x-` headers or from base64 MIME
 * (`Content-Type: text/plain`, see mime.ts), `send`, `sendMail` (JSON or MIME) and `forward`. Without `Prefer: IdType="ImmutableId"` ids change when a message moves, as
 * Exchange's REST ids do.
 */
import { randomBytes } from 'node:crypto';
import type { InternetMessageHeader, Message, Recipient } from '@microsoft/microsoft-graph-types';
import { etagOf, isoSeconds, newId, type Folder, type Mailbox, type SimState, type StoredMessage } from './state.js';
import { customHeadersOf, decodeMimeBody, ensureMessageId, isMimeBody, isMimeRequest } from './mime.js';
import { graphError, json, preferredPageSize, prefers, selectProps, type SimRequest, type SimResponse } from './wire.js';

export interface MailDeltaQuirks {
  /** The first item of every non-empty page appears twice in that page. */
  duplicateInPage?: boolean;
  /** Empty pages (value: [], with a next link) served before the items of each round. */
  emptyPagesBefore?: number;
  /** Each incremental round also replays the items of the round before it. */
  replayPreviousRound?: boolean;
}

interface Round {
  readonly mailboxId: string;
  readonly folderId: string;
  readonly generation: number;
  readonly items: ReadonlyArray<{ id: string; removed: boolean }>;
  readonly select: string | null;
  /** `$filter=receivedDateTime ge|gt …` of the first request, kept in every link of the sync. */
  readonly received: ReceivedFilter | undefined;
  readonly pageSize: number;
  readonly highSeq: number;
  readonly since: number;
}

type LinkState =
  | { kind: 'page'; round: Round; offset: number; emptyLeft: number }
  | { kind: 'delta'; mailboxId: string; folderId: string; generation: number; since: number; previousSince: number; select: string | null; received: ReceivedFilter | undefined };

/** The one `$filter` Graph documents for message delta: `receivedDateTime ge|gt <DateTimeOffset>`. */
interface ReceivedFilter { readonly at: number; readonly strict: boolean }

function receivedFilter(filter: string): ReceivedFilter | undefined {
  const m = /^receivedDateTime\s+(ge|gt)\s+(\S+)$/i.exec(filter.trim());
  const at = m?.[2] !== undefined ? Date.parse(m[2]) : Number.NaN;
  return m && !Number.isNaN(at) ? { at, strict: m[1]?.toLowerCase() === 'gt' } : undefined;
}

export const DEFAULT_MESSAGE_PAGE_SIZE = 10;
export const MAX_CUSTOM_HEADERS = 5;

export class MailApi {
  private readonly links = new Map<string, LinkState>();
  quirks: MailDeltaQuirks = {};

  constructor(private readonly state: SimState, private readonly origin: () => string) {}

  private link(path: string, param: '$skiptoken' | '$deltatoken', st: LinkState): string {
    const token = randomBytes(18).toString('base64url');
    this.links.set(token, st);
    return `${this.origin()}/v1.0${path}?${param}=${token}`;
  }

  /** The id a client sees: immutable when asked for, otherwise tied to the folder. */
  private clientId(req: SimRequest, msg: StoredMessage): string {
    return prefers(req.headers, 'IdType="ImmutableId"') ? msg.json.id : `${msg.json.id}.${msg.json.parentFolderId.slice(-6)}`;
  }

  findMessage(mb: Mailbox, id: string): StoredMessage | undefined {
    const direct = mb.messages.get(id);
    if (direct) return direct;
    const dot = id.lastIndexOf('.');
    const m = dot > 0 ? mb.messages.get(id.slice(0, dot)) : undefined;
    // A folder-bound id is stale once the message has moved: Exchange answers 404 for it.
    return m && `${m.json.id}.${m.json.parentFolderId.slice(-6)}` === id ? m : undefined;
  }

  render(req: SimRequest, msg: StoredMessage, select: string | null): Record<string, unknown> {
    const { internetMessageHeaders, ...rest } = msg.json;
    const selected = select?.split(',').some((s) => s.trim() === 'internetMessageHeaders') === true;
    const withHeaders = selected && internetMessageHeaders !== undefined ? { ...rest, internetMessageHeaders } : rest;
    return {
      '@odata.type': '#microsoft.graph.message',
      '@odata.etag': etagOf(msg.json.changeKey),
      ...selectProps({ ...withHeaders, id: this.clientId(req, msg) }, select),
    };
  }

  private preferenceApplied(req: SimRequest): Record<string, string> {
    const applied: string[] = [];
    if (prefers(req.headers, 'IdType="ImmutableId"')) applied.push('IdType="ImmutableId"');
    const size = preferredPageSize(req.headers);
    if (size !== undefined) applied.push(`odata.maxpagesize=${size}`);
    return applied.length > 0 ? { 'preference-applied': applied.join(', ') } : {};
  }

  delta(req: SimRequest, mb: Mailbox, folder: Folder): SimResponse {
    const path = `/users/${mb.id}/mailFolders/${folder.id}/messages/delta`;
    const skip = req.query.get('$skiptoken');
    const deltaToken = req.query.get('$deltatoken');
    let page: Extract<LinkState, { kind: 'page' }>;
    if (skip !== null || deltaToken !== null) {
      const st = this.links.get(skip ?? deltaToken ?? '');
      const ownGeneration = st && (st.kind === 'page' ? st.round.generation : st.generation);
      if (!st || ownGeneration !== mb.syncGeneration) {
        return graphError(410, this.state.syncStateErrorCode, 'The sync state generation is not found. Start a full synchronization without a delta token.');
      }
      if (st.kind === 'page') page = st;
      else {
        const since = this.quirks.replayPreviousRound ? st.previousSince : st.since;
        page = this.startRound(req, mb, folder, since, st.select, st.received);
      }
    } else {
      const filter = req.query.get('$filter');
      const received = filter !== null ? receivedFilter(filter) : undefined;
      if (filter !== null && !received) return graphError(400, 'ErrorInvalidUrlQueryFilter', `Message delta supports only $filter=receivedDateTime ge|gt <date>, not: ${filter}`);
      page = this.startRound(req, mb, folder, undefined, req.query.get('$select'), received);
    }
    return this.servePage(req, mb, path, page);
  }

  private startRound(req: SimRequest, mb: Mailbox, folder: Folder, since: number | undefined, select: string | null, received: ReceivedFilter | undefined): Extract<LinkState, { kind: 'page' }> {
    const entries: Array<{ id: string; removed: boolean; seq: number }> = [];
    const inWindow = (m: StoredMessage): boolean => {
      if (!received) return true;
      const at = Date.parse(m.json.receivedDateTime ?? '');
      return received.strict ? at > received.at : at >= received.at;
    };
    for (const m of mb.messages.values()) {
      if (m.json.parentFolderId === folder.id && (since === undefined || m.seq > since) && inWindow(m)) entries.push({ id: m.json.id, removed: false, seq: m.seq });
    }
    if (since !== undefined) {
      for (const [id, seq] of folder.tombstones) if (seq > since) entries.push({ id, removed: true, seq });
    }
    entries.sort((a, b) => a.seq - b.seq);
    const round: Round = {
      mailboxId: mb.id, folderId: folder.id, generation: mb.syncGeneration, items: entries, select, received,
      pageSize: preferredPageSize(req.headers) ?? DEFAULT_MESSAGE_PAGE_SIZE, highSeq: mb.seq, since: since ?? 0,
    };
    return { kind: 'page', round, offset: 0, emptyLeft: this.quirks.emptyPagesBefore ?? 0 };
  }

  private servePage(req: SimRequest, mb: Mailbox, path: string, page: Extract<LinkState, { kind: 'page' }>): SimResponse {
    const { round } = page;
    const headers = this.preferenceApplied(req);
    const context = `${this.origin()}/v1.0/$metadata#Collection(message)`;
    if (page.emptyLeft > 0) {
      const next = this.link(path, '$skiptoken', { ...page, emptyLeft: page.emptyLeft - 1 });
      return json(200, { '@odata.context': context, '@odata.nextLink': next, value: [] }, headers);
    }
    const slice = round.items.slice(page.offset, page.offset + round.pageSize);
    const value: Array<Record<string, unknown>> = slice.map((it) => {
      const msg = mb.messages.get(it.id);
      if (it.removed || !msg || msg.json.parentFolderId !== round.folderId) {
        return { '@odata.type': '#microsoft.graph.message', id: msg ? this.clientId(req, msg) : it.id, '@removed': { reason: 'deleted' } };
      }
      return this.render(req, msg, round.select);
    });
    if (this.quirks.duplicateInPage && value[0]) value.push(value[0]);
    const offset = page.offset + slice.length;
    if (offset < round.items.length) {
      const next = this.link(path, '$skiptoken', { kind: 'page', round, offset, emptyLeft: 0 });
      return json(200, { '@odata.context': context, '@odata.nextLink': next, value }, headers);
    }
    const deltaLink = this.link(path, '$deltatoken', {
      kind: 'delta', mailboxId: mb.id, folderId: round.folderId, generation: round.generation,
      since: round.highSeq, previousSince: round.since, select: round.select, received: round.received,
    });
    return json(200, { '@odata.context': context, '@odata.deltaLink': deltaLink, value }, headers);
  }

  getMessage(req: SimRequest, mb: Mailbox, id: string, mime: boolean): SimResponse {
    const msg = this.findMessage(mb, id);
    if (!msg) return graphError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
    if (mime) return { status: 200, headers: { 'content-type': 'text/plain' }, body: msg.mime };
    return json(200, this.render(req, msg, req.query.get('$select')), this.preferenceApplied(req));
  }

  /** GET …/messages (optionally in one folder) with `$filter=internetMessageId eq '…'`, `$select`, `$top`. */
  list(req: SimRequest, mb: Mailbox, folder: Folder | undefined): SimResponse {
    const filter = req.query.get('$filter');
    let wanted: string | undefined;
    if (filter !== null) {
      const m = /^internetMessageId eq '((?:[^']|'')*)'$/.exec(filter.trim());
      if (!m || m[1] === undefined) return graphError(400, 'ErrorInvalidUrlQueryFilter', `The simulator supports only $filter=internetMessageId eq '…', not: ${filter}`);
      wanted = m[1].replace(/''/g, "'");
    }
    const top = Math.min(Number.parseInt(req.query.get('$top') ?? '10', 10) || 10, 1000);
    const skip = Number.parseInt(req.query.get('$skip') ?? '0', 10) || 0;
    const all = [...mb.messages.values()]
      .filter((m) => (folder === undefined || m.json.parentFolderId === folder.id) && (wanted === undefined || m.json.internetMessageId === wanted))
      .sort((a, b) => a.seq - b.seq);
    const value = all.slice(skip, skip + top).map((m) => this.render(req, m, req.query.get('$select')));
    const body: Record<string, unknown> = { '@odata.context': `${this.origin()}/v1.0/$metadata#users('${mb.id}')/messages`, value };
    if (skip + top < all.length) {
      const q = new URLSearchParams(req.query);
      q.set('$skip', String(skip + top));
      body['@odata.nextLink'] = `${this.origin()}/v1.0${req.path}?${q.toString()}`;
    }
    return json(200, body, this.preferenceApplied(req));
  }

  /**
   * GET /users/{id}/mailFolders (`parent` undefined) or …/mailFolders/{parent}/childFolders, with
   * `$filter=displayName eq '…'` (compared without regard to case, as Exchange does). The
   * simulator's folders are all at the top level: a folder's childFolders is empty.
   */
  folders(req: SimRequest, mb: Mailbox, parent: Folder | undefined): SimResponse {
    const filter = req.query.get('$filter');
    let wanted: string | undefined;
    if (filter !== null) {
      const m = /^displayName eq '((?:[^']|'')*)'$/.exec(filter.trim());
      if (!m || m[1] === undefined) return graphError(400, 'ErrorInvalidUrlQueryFilter', `The simulator supports only $filter=displayName eq '…' on mailFolders, not: ${filter}`);
      wanted = m[1].replace(/''/g, "'").toLowerCase();
    }
    const value = parent !== undefined ? [] : [...mb.folders.values()]
      .filter((f) => wanted === undefined || f.displayName.toLowerCase() === wanted)
      .map((f) => selectProps({ id: f.id, displayName: f.displayName, parentFolderId: mb.id, childFolderCount: 0 }, req.query.get('$select')));
    return json(200, { '@odata.context': `${this.origin()}/v1.0/$metadata#users('${mb.id}')/mailFolders`, value });
  }

  /** GET /users/{id}/mailFolders/{id or well-known name}: one folder. */
  folder(req: SimRequest, mb: Mailbox, f: Folder): SimResponse {
    return json(200, {
      '@odata.context': `${this.origin()}/v1.0/$metadata#users('${mb.id}')/mailFolders/$entity`,
      ...selectProps({ id: f.id, displayName: f.displayName, parentFolderId: mb.id, childFolderCount: 0 }, req.query.get('$select')),
    });
  }

  private checkHeaders(headers: readonly InternetMessageHeader[] | null | undefined): SimResponse | undefined {
    const list = headers ?? [];
    for (const h of list) {
      if (!h.name || !/^x-/i.test(h.name)) {
        return graphError(400, 'InvalidInternetMessageHeader', `The internet message header name '${h.name ?? ''}' should start with 'x-' or 'X-'.`);
      }
    }
    if (list.length > MAX_CUSTOM_HEADERS) {
      return graphError(400, 'InvalidInternetMessageHeaderCollection', `Maximum number of headers in one message should be less than or equal to ${MAX_CUSTOM_HEADERS}.`);
    }
    return undefined;
  }

  private asMessage(body: unknown): Message | undefined {
    return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Message) : undefined;
  }

  async createDraft(req: SimRequest, mb: Mailbox): Promise<SimResponse> {
    if (isMimeRequest(req)) return this.createMimeDraft(req, mb, req.body as string);
    const given = this.asMessage(req.body);
    if (!given) return graphError(400, 'RequestBodyRead', 'The request body must be a message resource.');
    const bad = this.checkHeaders(given.internetMessageHeaders);
    if (bad) return bad;
    const drafts = this.state.folder(mb, 'drafts');
    const now = isoSeconds(this.state.clock.now());
    const jsonMsg: StoredMessage['json'] = {
      createdDateTime: now, lastModifiedDateTime: now, categories: [], receivedDateTime: now, sentDateTime: now,
      hasAttachments: false, subject: '', bodyPreview: '', importance: 'normal', conversationId: newId('AAQkConv'),
      isDeliveryReceiptRequested: false, isReadReceiptRequested: false, isRead: true, inferenceClassification: 'focused',
      toRecipients: [], ccRecipients: [], bccRecipients: [], replyTo: [],
      ...given,
      internetMessageId: given.internetMessageId ?? `<${newId('draft')}@graph-sim.invalid>`,
      from: given.from ?? { emailAddress: { name: mb.displayName, address: mb.address } },
      sender: given.sender ?? { emailAddress: { name: mb.displayName, address: mb.address } },
      isDraft: true, id: newId('AAMkMsg'), parentFolderId: drafts.id, changeKey: '',
    };
    jsonMsg.bodyPreview = (jsonMsg.body?.content ?? '').slice(0, 255);
    const stored: StoredMessage = { json: jsonMsg, mime: await this.state.composeMime(mb.address, jsonMsg, true), seq: 0 };
    if (jsonMsg.internetMessageHeaders) stored.draftHeaders = jsonMsg.internetMessageHeaders;
    delete jsonMsg.internetMessageHeaders;
    this.state.putMessage(mb, stored, 'created');
    stored.json.changeKey = newId('').slice(0, 24);
    return json(201, this.render(req, stored, null));
  }

  /**
   * "Create message in MIME format": the body is the base64 MIME. The draft keeps that MIME as
   * its `$value` (every header, Bcc included; a Message-ID is added only when there is none) and
   * its JSON is what the MIME says.
   */
  private async createMimeDraft(req: SimRequest, mb: Mailbox, body: string): Promise<SimResponse> {
    const decoded = await decodeMimeBody(body);
    if (!isMimeBody(decoded)) return decoded;
    const { mime, internetMessageId } = ensureMessageId(decoded, 'graph-sim.invalid');
    const drafts = this.state.folder(mb, 'drafts');
    const jsonMsg = this.state.messageFromMime(mb, drafts, decoded.parsed);
    const owner = { emailAddress: { name: mb.displayName, address: mb.address } };
    const now = isoSeconds(this.state.clock.now());
    Object.assign(jsonMsg, {
      internetMessageId, isDraft: true, isRead: true, from: jsonMsg.from ?? owner, sender: jsonMsg.sender ?? owner,
      sentDateTime: now, receivedDateTime: now,
    });
    const stored: StoredMessage = { json: jsonMsg, mime, seq: 0, fromMime: true, draftHeaders: customHeadersOf(decoded.parsed) };
    this.state.putMessage(mb, stored, 'created');
    return json(201, this.render(req, stored, null));
  }

  async send(mb: Mailbox, id: string): Promise<SimResponse> {
    const msg = this.findMessage(mb, id);
    if (!msg) return graphError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
    if (!msg.json.isDraft) return graphError(400, 'ErrorInvalidOperation', 'The item has already been sent and cannot be sent again.');
    if (msg.fromMime) {
      if (addressesOf(msg.json).length === 0) return graphError(400, 'ErrorInvalidRecipients', 'At least one recipient is not valid., A message can\'t be sent because it contains no recipients.');
      await this.state.deliverSendMime(mb, msg.mime, { draftId: msg.json.id });
      return { status: 202 };
    }
    await this.state.deliverSend(mb, { ...msg.json, internetMessageHeaders: msg.draftHeaders ?? null, isDraft: false }, { saveToSentItems: true, draftId: msg.json.id });
    return { status: 202 };
  }

  async sendMail(req: SimRequest, mb: Mailbox): Promise<SimResponse> {
    if (isMimeRequest(req)) {
      const decoded = await decodeMimeBody(req.body as string);
      if (!isMimeBody(decoded)) return decoded;
      if (addressesOf(this.state.messageFromMime(mb, this.state.folder(mb, 'drafts'), decoded.parsed)).length === 0) {
        return graphError(400, 'ErrorInvalidRecipients', 'At least one recipient is not valid., A message can\'t be sent because it contains no recipients.');
      }
      await this.state.deliverSendMime(mb, ensureMessageId(decoded, 'graph-sim.invalid').mime);
      return { status: 202 };
    }
    const body = this.asMessage(req.body) as { message?: Message; saveToSentItems?: boolean } | undefined;
    if (!body?.message) return graphError(400, 'ErrorInvalidRequest', 'The sendMail body must carry a message.');
    const bad = this.checkHeaders(body.message.internetMessageHeaders);
    if (bad) return bad;
    if (addressesOf(body.message).length === 0) return graphError(400, 'ErrorInvalidRecipients', 'At least one recipient is not valid.');
    await this.state.deliverSend(mb, body.message, { saveToSentItems: body.saveToSentItems !== false });
    return { status: 202 };
  }

  async forward(req: SimRequest, mb: Mailbox, id: string): Promise<SimResponse> {
    const original = this.findMessage(mb, id);
    if (!original) return graphError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
    const body = (this.asMessage(req.body) ?? {}) as { comment?: string; toRecipients?: Recipient[]; message?: Message };
    const to = body.toRecipients ?? body.message?.toRecipients ?? [];
    if (to.length === 0) return graphError(400, 'ErrorInvalidRecipients', 'At least one recipient is not valid.');
    const bad = this.checkHeaders(body.message?.internetMessageHeaders);
    if (bad) return bad;
    const o = original.json;
    const quoted = `${body.comment ?? ''}\n\n-----Original Message-----\nFrom: ${o.from?.emailAddress?.address ?? ''}\nSubject: ${o.subject ?? ''}\n\n${o.body?.contentType === 'text' ? o.body.content ?? '' : o.bodyPreview ?? ''}`;
    await this.state.deliverSend(mb, {
      ...(body.message ?? {}), toRecipients: to, subject: `FW: ${o.subject ?? ''}`, body: { contentType: 'text', content: quoted },
    }, { saveToSentItems: true, kind: 'forward' });
    return { status: 202 };
  }
}

function addressesOf(m: Message): string[] {
  return [...(m.toRecipients ?? []), ...(m.ccRecipients ?? []), ...(m.bccRecipients ?? [])]
    .map((r) => r.emailAddress?.address ?? '').filter((a) => a !== '');
}
