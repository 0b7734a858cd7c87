/**
 * Mail through the Gmail API: one round of one mailbox. Gmail keeps one history per mailbox (every
 * label in it), so a round covers the whole mailbox, not one folder as Graph's delta does.
 *
 * - The folders: `inbox` and `sent` are Gmail's system labels INBOX and SENT; any other configured
 *   name is a user label (`Label_…`), found by its name, without regard to case, in
 *   `users.labels.list` (1 quota unit), asked once per mailbox and remembered (by configured name)
 *   for the life of the connector, as the Graph connector remembers a named folder's id. A name no
 *   user label has fails the round with an error naming the label and the mailbox (the list is
 *   asked again next round, so a label created since is found). Records name the folder as the
 *   IMAP and Graph connectors do (`inbox`, `sent`, a label by its configured name in lower case),
 *   because the pipeline merges copies of one message across mailboxes by folder (Bcc comes from
 *   the sender's Sent copy). Each message is handed over once, as one folder (see `folderOf`);
 *   a message with none of the configured labels is not read.
 * - The first round (no stored history id): `users.getProfile` gives the mailbox's historyId
 *   BEFORE anything is listed, then `users.messages.list` per configured label (`labelIds`, which
 *   Gmail ANDs, so one listing per label) with `q: after:<epoch seconds>` (Gmail's documented
 *   form, on this machine's clock; `newer_than:` would count on Google's), `maxResults` =
 *   pageSize, page after page (an empty page with a nextPageToken is followed; an id listed under
 *   both labels, or twice, is read once). Each message is read by `users.messages.get
 *   format=raw` (base64url MIME, decoded to bytes: the same parser as every other connector reads
 *   it, so a message seen in Gmail and elsewhere is one item), oldest first per label, and handed
 *   over. Only when every listed message has been taken (sink.record resolved) is the profile's
 *   historyId stored: a first round that breaks off is read again from the start (the pipeline
 *   recognises what it has already judged), and nothing that arrived while listing is skipped,
 *   because the history from that id covers it.
 * - Later rounds: `users.history.list` from the stored id, `historyTypes` messageAdded and
 *   labelAdded (a message that gets INBOX, SENT or a configured user label later counts, by the
 *   labels added, so a star on an inbox message reads nothing), page after page; each message id
 *   is read once per round however often it appears. The answer's `historyId` (of its first page: a change made while
 *   the pages were read is then read again next round, never skipped) is stored only after the
 *   round's messages have all been taken.
 * - 404 for the stored history id (Google keeps history for about a week; transport failure
 *   'gone'): the cursor is cleared, a warning logged, and the mailbox read afresh (backfill window)
 *   in the same call; the pipeline recognises every message it has judged, so nothing is acted on twice.
 * - Reading: as many messages in flight as the transport lets go at once for one user (its
 *   `concurrency`, default 4: more would only queue in it), handed over strictly in order. A
 *   message gone between listing and reading (404) is skipped quietly (debug); one Google calls a
 *   bad request is reported to the sink and the round goes on; any other failure (after the
 *   transport's retries), reading it or handing it over (sink.record), fails the round, so the
 *   cursor stays where it was and the next round reads everything again: nothing is lost.
 *   Except for one message whose read fails every time: failed rounds are counted per message (in
 *   memory, for the most recent MAX_TRACKED_FAILURES messages); when a message fails once more
 *   after FAILED_ROUNDS_BEFORE_SKIP failed rounds, it is reported (sink.problem) and skipped, so
 *   the round completes and the cursor moves on instead of the mailbox being stuck for good. The
 *   history brings it again (and it is read again) when it changes.
 * - Size: neither messages.list nor history.list gives a size, and asking each message's
 *   `sizeEstimate` first (format=minimal) would cost another 5 quota units per message, doubling
 *   the cost of reading mail; Gmail itself refuses incoming mail over 50 MB. So the size is
 *   checked on the raw message as read: larger than maxMessageBytes (default 50 MB) is reported
 *   and skipped.
 * - Removals: Wardwatch does not ask for messageDeleted. Gmail names a deleted message by id only,
 *   and a mail Removal needs its Message-ID and means "gone from every mailbox"; an archived
 *   message (INBOX removed) is not gone at all. So, as the Graph connector does with `@removed`
 *   and the IMAP connector with expunges, nothing is passed on; a deletion Gmail reports anyway is
 *   counted in a debug line. No Message-ID is ever made up.
 * - Cost: each round logs the Gmail quota units it spent (the transport counts them per user, as
 *   Google does: getProfile 1, labels.list 1, messages.list 5, history.list 2, messages.get 5) and
 *   its calls.
 */
import type { gmail_v1 } from 'googleapis/build/src/apis/gmail/v1.js';
import type { RecordSink } from '../../src/sources/types.js';
import type { GoogleMailbox } from './config.js';
import type { GoogleDeps, RoundResult } from './deps.js';
import { GoogleApiError, GoogleSignInError } from './errors.js';
import type { GmailClient } from './transport.js';
import { errorMessage } from '../../src/model/error-message.js';

/** Rounds a message may fail (reading it, or handing it over) before it is reported and skipped. */
export const FAILED_ROUNDS_BEFORE_SKIP = 3;
/** Messages whose failures are remembered at once (the oldest forgotten first). */
export const MAX_TRACKED_FAILURES = 1000;

/** Larger messages are reported and skipped (the IMAP and Graph connectors' default limit). */
export const DEFAULT_MAX_MESSAGE_BYTES = 50 * 1024 * 1024;

/** The history Wardwatch asks for: new messages, and labels added (a message that gets INBOX, SENT or a watched user label later). */
export const HISTORY_TYPES = ['messageAdded', 'labelAdded'] as const;

export interface GmailSyncOptions {
  /** Messages whose MIME is larger are reported and not handed over (default 50 MB). */
  maxMessageBytes?: number;
  /** Messages read at once (default, and at most, the transport's per-user concurrency). */
  readAhead?: number;
}

/** A configured folder Gmail can be asked for: its label id and the folder name records carry. */
interface Watched {
  /** `SENT`, `INBOX`, or a user label's id (`Label_…`). */
  labelId: string;
  /** `sent`, `inbox`, or the configured name in lower case. */
  folder: string;
}

/** SENT before INBOX: a message to oneself carries both and is the sender's copy (with its Bcc). */
const SYSTEM_FOLDERS: readonly Watched[] = [
  { labelId: 'SENT', folder: 'sent' },
  { labelId: 'INBOX', folder: 'inbox' },
];

/** A message to read: its id and the labels that made it wanted (from the listing or the history). */
interface Wanted {
  id: string;
  labels: readonly string[];
}

type Fetched = { ok: true; message: gmail_v1.Schema$Message } | { ok: false; error: unknown };

/** The cursor key of a mailbox (source 'google'). */
export function gmailCursorKey(address: string): string {
  return `gmail:${address.toLowerCase()}`;
}

export class GmailSync {
  private readonly maxMessageBytes: number;
  private readonly readAhead: number;
  /** `mailbox\nfolder` → the user label's id, for configured names other than inbox and sent (looked up once). */
  private readonly labelIds = new Map<string, string>();
  /** Failed rounds by `mailbox\nmessage id` (in memory; bounded, oldest first out). */
  private readonly failures = new Map<string, number>();

  constructor(
    private readonly deps: GoogleDeps,
    options: GmailSyncOptions = {},
  ) {
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    // The transport lets no more go at once for one user; reads beyond it would only queue there.
    const lane = Math.max(1, deps.transport.concurrency);
    this.readAhead = Math.max(1, Math.min(options.readAhead ?? lane, lane));
  }

  /** One round of `mailbox`: everything new in its configured folders since the stored history id. */
  async round(mailbox: GoogleMailbox, sink: RecordSink, signal?: AbortSignal): Promise<RoundResult> {
    const { cursors, settings, logger, transport } = this.deps;
    const address = mailbox.address.toLowerCase();
    if (mailbox.folders.every((f) => f.trim() === '')) return { records: 0, removed: 0 };
    const client = transport.gmail(address, 'read');
    const unitsBefore = transport.quotaUnits(address);
    const tally = { calls: 0 };
    // Before the cursor is read: an unknown label fails the round with the cursor untouched.
    const watched = await this.watched(client, address, mailbox.folders, signal, tally);
    const key = gmailCursorKey(address);
    const stored = await cursors.getCursor(settings.source, key);
    const historyId = stored !== undefined && stored !== '' ? stored : undefined;
    let result: RoundResult;
    try {
      result = historyId !== undefined
        ? await this.incremental(client, address, watched, key, historyId, sink, signal, tally)
        : await this.full(client, address, watched, key, sink, signal, tally);
    } catch (err) {
      if (historyId === undefined || !(err instanceof GoogleApiError) || err.failure !== 'gone') throw err;
      // Google no longer has history from the stored id (404): read the mailbox afresh. The
      // pipeline recognises every message it has already judged, so nothing is acted on twice.
      logger.warn({ mailbox: address, historyId, status: err.status }, 'Gmail no longer has the mailbox\'s history from where Wardwatch left off: reading the mailbox afresh');
      await cursors.setCursor(settings.source, key, '');
      result = await this.full(client, address, watched, key, sink, signal, tally);
    }
    const fields = { mailbox: address, messages: result.records, calls: tally.calls, quotaUnits: transport.quotaUnits(address) - unitsBefore };
    if (result.records > 0) logger.info(fields, 'New messages handed over');
    else logger.debug(fields, 'Nothing new in the mailbox');
    return result;
  }

  /**
   * The configured folders Gmail is asked for: SENT, then INBOX (among those configured), then the
   * user labels in the order configured. A user label's id is looked up by name in
   * users.labels.list the first time (one call for every name not yet known) and remembered.
   * Throws a GoogleApiError (`labelNotFound`) naming the labels and the mailbox when a configured
   * name is no user label's.
   */
  private async watched(client: GmailClient, address: string, folders: readonly string[], signal: AbortSignal | undefined, tally: { calls: number }): Promise<Watched[]> {
    const system = new Set<string>();
    /** folder → the name as configured (the first spelling, if two differ only in case). */
    const named = new Map<string, string>();
    for (const f of folders) {
      const name = f.trim();
      if (name === '') continue;
      const lower = name.toLowerCase();
      if (lower === 'inbox' || lower === 'sent') system.add(lower);
      // The record's folder is the configured name in lower case, as the IMAP connector names it.
      else if (!named.has(f.toLowerCase())) named.set(f.toLowerCase(), name);
    }
    const cacheKey = (folder: string): string => `${address}\n${folder}`;
    const unknown = [...named.keys()].filter((folder) => !this.labelIds.has(cacheKey(folder)));
    if (unknown.length > 0) {
      tally.calls++;
      const listed = await this.deps.transport.call(client, 'listing the mailbox\'s labels', (g, o) => g.users.labels.list({ userId: 'me' }, o), signal ? { signal } : {});
      const labels = listed.data.labels ?? [];
      const user = labels.filter((l): l is gmail_v1.Schema$Label & { id: string; name: string } =>
        l.type === 'user' && typeof l.id === 'string' && l.id !== '' && typeof l.name === 'string');
      const missing: string[] = [];
      for (const folder of unknown) {
        const configured = named.get(folder) ?? folder;
        // Gmail refuses two labels whose names differ only in case; the exact spelling first all the same.
        const hit = user.find((l) => l.name === configured) ?? user.find((l) => l.name.toLowerCase() === configured.toLowerCase());
        if (hit !== undefined) this.labelIds.set(cacheKey(folder), hit.id);
        else missing.push(configured);
      }
      if (missing.length > 0) throw unknownLabels(address, missing, labels);
    }
    return [
      ...SYSTEM_FOLDERS.filter((w) => system.has(w.folder)),
      ...[...named.keys()].map((folder) => ({ labelId: this.labelIds.get(cacheKey(folder)) ?? '', folder })),
    ];
  }

  /** The first round, or a round after the history was lost: list the backfill window, read each, then store the profile's history id. */
  private async full(client: GmailClient, address: string, watched: readonly Watched[], key: string, sink: RecordSink, signal: AbortSignal | undefined, tally: { calls: number }): Promise<RoundResult> {
    const { transport, settings, cursors } = this.deps;
    // The history id first: whatever arrives while the mailbox is listed comes in the next round's history.
    tally.calls++;
    const profile = await transport.call(client, 'reading the mailbox profile', (g, o) => g.users.getProfile({ userId: 'me' }, o), signal ? { signal } : {});
    const startHistoryId = profile.data.historyId ?? undefined;
    if (startHistoryId === undefined || startHistoryId === null || startHistoryId === '') {
      throw new GoogleApiError(`Gmail gave no history id for ${address}; Wardwatch will read the mailbox at the next round.`, { status: 200, reason: 'noHistoryId', failure: 'other', subject: address });
    }
    const after = Math.floor((this.deps.now().getTime() - settings.backfillDays * 86_400_000) / 1000);
    const seen = new Set<string>();
    const wanted: Wanted[] = [];
    for (const w of watched) {
      const listed: Wanted[] = [];
      const pages = transport.pages(
        client,
        `listing the ${w.folder} mail`,
        (g, pageToken, o) => {
          tally.calls++;
          return g.users.messages.list({ userId: 'me', labelIds: [w.labelId], q: `after:${after}`, maxResults: settings.pageSize, ...(pageToken !== undefined ? { pageToken } : {}) }, o);
        },
        signal ? { signal } : {},
      );
      for await (const page of pages) {
        for (const m of page.messages ?? []) {
          if (typeof m.id !== 'string' || m.id === '' || seen.has(m.id)) continue;
          seen.add(m.id);
          listed.push({ id: m.id, labels: [w.labelId] });
        }
      }
      // Gmail lists newest first: hand over oldest first, as mail arrived.
      wanted.push(...listed.reverse());
    }
    const records = await this.handOver(client, address, watched, wanted, sink, signal, tally);
    // Every listed message has been taken: from now on, the history.
    await cursors.setCursor(settings.source, key, startHistoryId);
    return { records, removed: 0 };
  }

  /** A later round: the history since `startHistoryId`, each new message read once, then the new history id stored. */
  private async incremental(client: GmailClient, address: string, watched: readonly Watched[], key: string, startHistoryId: string, sink: RecordSink, signal: AbortSignal | undefined, tally: { calls: number }): Promise<RoundResult> {
    const { transport, settings, cursors, logger } = this.deps;
    const labelIds = new Set<string>(watched.map((w) => w.labelId));
    const seen = new Set<string>();
    const wanted: Wanted[] = [];
    let newHistoryId: string | undefined;
    let deleted = 0;
    const consider = (message: gmail_v1.Schema$Message | undefined, labels: readonly string[] | null | undefined): void => {
      const id = message?.id;
      if (typeof id !== 'string' || id === '' || seen.has(id)) return;
      // Without labels in the record, the message is read and its own labels decide.
      if (labels !== null && labels !== undefined && !labels.some((l) => labelIds.has(l))) return;
      seen.add(id);
      wanted.push({ id, labels: labels ?? [] });
    };
    const pages = transport.pages(
      client,
      'reading the mailbox history',
      (g, pageToken, o) => {
        tally.calls++;
        return g.users.history.list({ userId: 'me', startHistoryId, historyTypes: [...HISTORY_TYPES], maxResults: settings.pageSize, ...(pageToken !== undefined ? { pageToken } : {}) }, o);
      },
      signal ? { signal } : {},
    );
    for await (const page of pages) {
      if (newHistoryId === undefined && typeof page.historyId === 'string' && page.historyId !== '') newHistoryId = page.historyId;
      for (const h of page.history ?? []) {
        for (const added of h.messagesAdded ?? []) consider(added.message, added.message?.labelIds);
        // Only the labels added count: a star on an inbox message is not new mail.
        for (const added of h.labelsAdded ?? []) consider(added.message, added.labelIds ?? []);
        deleted += h.messagesDeleted?.length ?? 0;
      }
    }
    const records = await this.handOver(client, address, watched, wanted, sink, signal, tally);
    if (deleted > 0) logger.debug({ mailbox: address, deleted }, 'Messages were deleted (not passed on: Gmail names them only by id)');
    // Every message of the round has been taken: the history id may move on.
    if (newHistoryId !== undefined && newHistoryId !== startHistoryId) await cursors.setCursor(settings.source, key, newHistoryId);
    return { records, removed: 0 };
  }

  /** Reads each message (a few at once) and hands it over, in order; returns how many were taken. */
  private async handOver(client: GmailClient, address: string, watched: readonly Watched[], wanted: readonly Wanted[], sink: RecordSink, signal: AbortSignal | undefined, tally: { calls: number }): Promise<number> {
    if (wanted.length === 0) return 0;
    const { transport, logger } = this.deps;
    // Reads still in flight when the round stops (the sink failed, say) are called off.
    const stop = new AbortController();
    const inner = signal !== undefined ? AbortSignal.any([signal, stop.signal]) : stop.signal;
    const read = (id: string): Promise<Fetched> => {
      tally.calls++;
      return transport
        .call(client, 'reading a message', (g, o) => g.users.messages.get({ userId: 'me', id, format: 'raw' }, o), { signal: inner })
        .then((r): Fetched => ({ ok: true, message: r.data }), (error: unknown): Fetched => ({ ok: false, error }));
    };
    const ahead: Promise<Fetched>[] = [];
    let next = 0;
    let taken = 0;
    try {
      for (const item of wanted) {
        while (next < wanted.length && ahead.length < this.readAhead) ahead.push(read(wanted[next++]?.id ?? ''));
        const fetched = await ahead.shift();
        signal?.throwIfAborted();
        const origin = `google:${address}/${item.id}`;
        if (fetched === undefined) continue;
        if (!fetched.ok) {
          const err = fetched.error;
          if (err instanceof GoogleApiError && err.failure === 'not-found') {
            // Deleted since it was listed: nothing to read.
            logger.debug({ mailbox: address }, 'A message went before it could be read');
            continue;
          }
          if (err instanceof GoogleApiError && err.failure === 'bad-request') {
            sink.problem({ origin, kind: 'mail', reason: `${err.message} It was skipped.` });
            continue;
          }
          if (!inner.aborted && aboutTheMessage(err) && this.failedAgain(address, item.id, err, sink, origin, 'read')) continue;
          throw err;
        }
        const message = fetched.message;
        if (typeof message.raw !== 'string' || message.raw === '') {
          sink.problem({ origin, kind: 'mail', reason: 'Gmail answered without the message\'s content (raw); it was skipped.' });
          continue;
        }
        const folder = folderOf(watched, message.labelIds ?? [], item.labels);
        if (folder === undefined) {
          logger.debug({ mailbox: address }, 'A message in none of the configured folders was passed over');
          continue;
        }
        const source = Buffer.from(message.raw, 'base64url');
        if (source.length > this.maxMessageBytes) {
          sink.problem({ origin, kind: 'mail', reason: `The message is ${sizeText(source.length)}, larger than the ${sizeText(this.maxMessageBytes)} Wardwatch reads, and was skipped.` });
          continue;
        }
        // A record the pipeline cannot take is a failing state store (it quarantines what it cannot
        // read): the round fails and is tried again, and the message is never skipped for it.
        await sink.record({ kind: 'mail', source, mailbox: address, folder, origin });
        this.failures.delete(`${address}\n${item.id}`);
        taken++;
      }
    } finally {
      stop.abort();
      // Let the reads called off settle (they never reject), so none is left running.
      await Promise.all(ahead);
    }
    return taken;
  }

  /**
   * Counts a failed round for the message. True when it had already failed in
   * FAILED_ROUNDS_BEFORE_SKIP rounds: it is reported and skipped (the round goes on); false when
   * the round is to fail (and be tried again).
   */
  private failedAgain(address: string, id: string, err: unknown, sink: RecordSink, origin: string, step: 'read' | 'take'): boolean {
    const key = `${address}\n${id}`;
    const before = this.failures.get(key) ?? 0;
    this.failures.delete(key);
    if (before >= FAILED_ROUNDS_BEFORE_SKIP) {
      const what = step === 'read' ? 'could not be read from Gmail' : 'could not be taken in';
      sink.problem({
        origin,
        kind: 'mail',
        reason:
          `A message in the mailbox ${address} (Gmail id ${id}) ${what} in ${before + 1} rounds in a row (${errorMessage(err)}), so Wardwatch skipped it to go on reading the mailbox. ` +
          `It is read again if it changes in Gmail (a label added, say); until then it is not checked.`,
      });
      this.deps.logger.warn({ mailbox: address, failedRounds: before + 1, step }, 'A message kept failing and was skipped');
      return true;
    }
    this.failures.set(key, before + 1);
    // Bounded: the oldest remembered failure goes first.
    while (this.failures.size > MAX_TRACKED_FAILURES) {
      const oldest = this.failures.keys().next().value;
      if (oldest === undefined) break;
      this.failures.delete(oldest);
    }
    return false;
  }
}

/**
 * Whether a failed read may be the message's own doing (a 5xx on its get, a connection that breaks
 * on it…), and so counts towards skipping it: a rate limit, a spent quota or a refused sign-in or
 * grant is the mailbox's, and skipping messages would not cure it.
 */
function aboutTheMessage(err: unknown): boolean {
  if (err instanceof GoogleSignInError) return false;
  if (err instanceof GoogleApiError) return !['throttled', 'quota', 'unauthorised', 'forbidden'].includes(err.failure);
  return true;
}


/**
 * The folder a message is handed over as (once, as one folder): by its labels now, else by the
 * labels it was listed or added with (it may have been archived or unlabelled since). Among the
 * configured folders (`watched` is in this order): `sent` when it carries SENT, because the
 * sender's copy is the one with the Bcc and the pipeline takes the Bcc from the `sent` copy; else
 * `inbox` when it carries INBOX, because that is how the IMAP and Graph connectors see mail
 * received, so copies of one message in several mailboxes meet under the same folder; else the
 * first configured user label it carries, in the order the labels are configured (a label is
 * Gmail's way of filing, and the order the Clerk wrote them in is the only preference there is).
 */
function folderOf(watched: readonly Watched[], current: readonly string[], listed: readonly string[]): string | undefined {
  for (const labels of [current, listed]) {
    const hit = watched.find((w) => labels.includes(w.labelId));
    if (hit !== undefined) return hit.folder;
  }
  return undefined;
}

/** The round's error for configured names no user label of the mailbox has. */
function unknownLabels(address: string, names: readonly string[], labels: readonly gmail_v1.Schema$Label[]): GoogleApiError {
  const quoted = names.map((n) => `"${n}"`);
  const what = quoted.length === 1 ? `The label ${quoted[0] ?? ''} does not exist` : `The labels ${quoted.slice(0, -1).join(', ')} and ${quoted[quoted.length - 1] ?? ''} do not exist`;
  const system = names.filter((n) => labels.some((l) => l.type === 'system' && (l.name ?? '').toLowerCase() === n.toLowerCase()));
  const hint = system.length > 0 ? ` (${system.map((n) => `"${n}"`).join(', ')} ${system.length === 1 ? 'is one of Gmail\'s system labels' : 'are Gmail system labels'}: of those, Wardwatch reads only inbox and sent)` : '';
  return new GoogleApiError(
    `${what} in the mailbox ${address}${hint}; Gmail's labels are matched by name without regard to case. Check the folder names under mailboxes (or create the label in Gmail).`,
    { status: 404, reason: 'labelNotFound', failure: 'not-found', subject: address },
  );
}

function sizeText(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, '')} MB`;
  return `${Math.ceil(bytes / 1024)} kB`;
}
