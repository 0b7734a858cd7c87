/**
 * Watches the configured mailboxes over IMAP and hands every new message over as a raw record.
 *
 * - Each watched folder (INBOX, the Sent folder found by SPECIAL-USE, named folders) has a
 *   cursor in the state store: its UIDVALIDITY and the last UID handed over.
 * - Without a cursor the folder is read back `backfillDays`; afterwards only newer UIDs.
 * - A changed UIDVALIDITY means the old UIDs mean nothing: the backfill window is read again
 *   (the pipeline drops what it has seen by the items' keys).
 * - `watch` keeps one connection per folder in IDLE, re-checks every `recheckMs` anyway (IDLE
 *   can die silently), and reconnects with a growing pause after any failure.
 * Messages are fetched whole (BODY.PEEK, so nothing is marked read) and not parsed here.
 */
import type { FetchMessageObject, ImapFlow, MailboxObject, SearchObject } from 'imapflow';
import type { RawRecord } from '../../src/items/types.js';
import type { CursorStore, RecordSink, SourceHealth } from '../../src/sources/types.js';
import type { ImapSettings, WatchedMailbox } from './config.js';
import { ConnectorError, describeImapError } from './errors.js';
import { closeImap, connectImap, folderLabel, imapMessageUrl, resolveFolder, serverLabel, type ResolvedFolder } from './imap-session.js';
import { KeyedLock } from './keyed-lock.js';
import { errorText, silentLogger, type ConnectorLogger } from './logger.js';
import { backoffDelay, pause, StopSignals } from './timing.js';
import { batches, formatCursor, parseCursor, uidSet, type SizedUid } from './uid-set.js';

export type MailSourceSettings = Pick<
  ImapSettings,
  'source' | 'server' | 'mailboxes' | 'sentFolder' | 'backfillDays' | 'recheckMs' | 'backoff' | 'maxMessageBytes'
>;

export interface MailSourceOptions {
  settings: MailSourceSettings;
  cursors: CursorStore;
  logger?: ConnectorLogger;
  /** The clock, for the backfill window. */
  now?: () => Date;
}

/** The sink refused a record: not the server's fault, so never retried as a connection problem. */
class SinkFailure extends Error {
  override readonly name = 'SinkFailure';
}

/** Messages fetched per FETCH command (and at most FETCH_BATCH_BYTES). */
export const FETCH_BATCH_COUNT = 20;
const FETCH_BATCH_BYTES = 20 * 1024 * 1024;
/** Messages up to this size are not sized one by one (see `sized`). */
const SIZED_ABOVE_BYTES = 1024 * 1024;
/** Consecutive failures of one folder before the pipeline is told (a restart is not news). */
const PROBLEM_AFTER_FAILURES = 3;

/** "60 kB", "12.5 MB". */
function sizeText(bytes: number): string {
  return bytes < 1024 * 1024 ? `${Math.max(1, Math.round(bytes / 1024))} kB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

type WakeReason = 'change' | 'recheck' | 'closed' | 'stopped';

export class ImapMailSource {
  private readonly settings: MailSourceSettings;
  private readonly cursors: CursorStore;
  private readonly logger: ConnectorLogger;
  private readonly now: () => Date;
  private readonly locks = new KeyedLock();
  private readonly healthBySource = new Map<string, SourceHealth>();
  private readonly watching = new Set<string>();

  constructor(opts: MailSourceOptions) {
    this.settings = opts.settings;
    this.cursors = opts.cursors;
    this.logger = opts.logger ?? silentLogger;
    this.now = opts.now ?? (() => new Date());
  }

  /** One pass over every watched folder. Rejects, after reading the others, if any could not be read. */
  async sync(sink: RecordSink): Promise<void> {
    const failures: string[] = [];
    for (const mailbox of this.settings.mailboxes) {
      let client: ImapFlow | undefined;
      try {
        client = await connectImap(this.settings.server, mailbox.credentials, mailbox.address, this.logger);
        for (const configured of mailbox.folders) {
          try {
            const folder = await resolveFolder(client, configured, mailbox.address, this.settings.sentFolder);
            await this.catchUp(client, mailbox, folder, sink, true);
            this.markHealthy(mailbox, configured);
          } catch (err) {
            if (err instanceof SinkFailure || !client.usable) throw err;
            const message = this.describe(err, mailbox, configured);
            this.markFailed(mailbox, configured, message);
            failures.push(message);
          }
        }
      } catch (err) {
        if (err instanceof SinkFailure) throw err.cause instanceof Error ? err.cause : err;
        const message = this.describe(err, mailbox, undefined);
        for (const configured of mailbox.folders) this.markFailed(mailbox, configured, message);
        failures.push(message);
      } finally {
        if (client) await closeImap(client);
      }
    }
    if (failures.length > 0) throw new ConnectorError(failures.join(' '));
  }

  /** Watches every folder until `signal` aborts. Never rejects for a server problem: it retries. */
  async watch(sink: RecordSink, signal: AbortSignal): Promise<void> {
    // One listener on the caller's signal, however many folders are watched (see StopSignals).
    const stops = new StopSignals(signal);
    const loops: Promise<void>[] = [];
    for (const mailbox of this.settings.mailboxes) {
      for (const configured of mailbox.folders) {
        const own = stops.child();
        loops.push(this.watchFolder(mailbox, configured, sink, own.signal).finally(own.release));
      }
    }
    try {
      await Promise.all(loops);
    } catch (err) {
      // A folder's loop failed outright: stop the others too, so none runs on unwatched.
      stops.stopAll();
      await Promise.allSettled(loops);
      throw err;
    } finally {
      stops.dispose();
    }
  }

  health(): SourceHealth[] {
    return [...this.healthBySource.values()].map((h) => ({ ...h }));
  }

  /** The folders (`imap:<mailbox>/<folder>`) that have a live watching connection right now. */
  watchedFolders(): string[] {
    return [...this.watching];
  }

  private healthKey(mailbox: WatchedMailbox, configured: string): string {
    return `${this.settings.source}:${mailbox.address}/${folderLabel(configured)}`;
  }

  private markHealthy(mailbox: WatchedMailbox, configured: string): void {
    const source = this.healthKey(mailbox, configured);
    const previous = this.healthBySource.get(source);
    this.healthBySource.set(source, { ...previous, source, lastSuccess: this.now().toISOString() });
  }

  private markFailed(mailbox: WatchedMailbox, configured: string, message: string): void {
    const source = this.healthKey(mailbox, configured);
    const previous = this.healthBySource.get(source);
    this.healthBySource.set(source, { ...previous, source, lastError: { at: this.now().toISOString(), message } });
  }

  private describe(err: unknown, mailbox: WatchedMailbox, configured: string | undefined): string {
    if (err instanceof ConnectorError) return err.message;
    const where = configured ? `the ${folderLabel(configured)} folder of ${mailbox.address}` : `the mailbox ${mailbox.address}`;
    return `Could not read ${where}: ${describeImapError(err, serverLabel(this.settings.server), mailbox.address)}.`;
  }

  private cursorKey(mailbox: WatchedMailbox, folder: ResolvedFolder): string {
    return `${mailbox.address}/${folder.label}`;
  }

  /**
   * Hands over everything in the folder newer than its cursor (or the backfill window when
   * there is no usable cursor). `reopen` selects the folder again, which also notices a new
   * UIDVALIDITY. Returns how many records were handed over.
   */
  private catchUp(client: ImapFlow, mailbox: WatchedMailbox, folder: ResolvedFolder, sink: RecordSink, reopen: boolean): Promise<number> {
    const key = this.cursorKey(mailbox, folder);
    return this.locks.run(key, async () => {
      const current = client.mailbox;
      const box: MailboxObject =
        reopen || current === false || current.path !== folder.path ? await client.mailboxOpen(folder.path, { readOnly: true }) : current;
      const uidValidity = box.uidValidity.toString();
      const fresh = box !== current;
      let cursor = parseCursor(await this.cursors.getCursor(this.settings.source, key));
      if (cursor && cursor.uidValidity === uidValidity && fresh && box.uidNext > 0 && box.uidNext - 1 < cursor.lastUid) {
        // UIDs went backwards without a new UIDVALIDITY: the server lost its state. Start again.
        this.logger.warn({ mailbox: mailbox.address, folder: folder.label, lastUid: cursor.lastUid, uidNext: box.uidNext }, 'The folder\'s UIDs went backwards on the server: reading its backfill window again');
        cursor = undefined;
      }
      let lastUid: number;
      let pending: SizedUid[];
      let floor: number;
      if (cursor && cursor.uidValidity === uidValidity) {
        lastUid = cursor.lastUid;
        floor = lastUid;
        // A fresh SELECT tells whether anything is new without asking further.
        const nothingNew = box.exists === 0 || (fresh && box.uidNext > 0 && box.uidNext - 1 <= lastUid);
        pending = nothingNew ? [] : await this.listNewer(client, lastUid);
      } else {
        if (cursor) {
          this.logger.warn(
            { mailbox: mailbox.address, folder: folder.label, was: cursor.uidValidity, now: uidValidity },
            'The folder was recreated on the server (its UIDVALIDITY changed): reading its backfill window again',
          );
        }
        lastUid = 0;
        // Everything below the next UID at selection time is covered by the window search.
        floor = Math.max(box.uidNext - 1, 0);
        pending = await this.listBackfill(client);
      }
      let handed = 0;
      let highest = lastUid;
      const advance = async (uid: number): Promise<void> => {
        if (uid > highest) {
          highest = uid;
          await this.cursors.setCursor(this.settings.source, key, formatCursor({ uidValidity, lastUid: highest }));
        }
      };
      const readable = pending.filter((m) => m.size <= this.settings.maxMessageBytes);
      for (const big of pending.filter((m) => m.size > this.settings.maxMessageBytes)) {
        sink.problem({
          origin: imapMessageUrl(this.settings.server, mailbox.address, folder.path, uidValidity, big.uid),
          kind: 'mail',
          reason: `The message is ${sizeText(big.size)}, larger than the ${sizeText(this.settings.maxMessageBytes)} Wardwatch reads (connectors.imap.maxMessageMegabytes), and was skipped.`,
        });
      }
      const groups = batches(readable, FETCH_BATCH_COUNT, FETCH_BATCH_BYTES);
      const fetchGroup = (group: SizedUid[] | undefined): Promise<FetchMessageObject[]> | undefined =>
        group ? client.fetchAll(uidSet(group.map((g) => g.uid)), { uid: true, source: true }, { uid: true }) : undefined;
      // The next batch is fetched while the pipeline takes the current one (at most two in memory).
      let ahead = fetchGroup(groups[0]);
      for (let index = 0; index < groups.length; index++) {
        const group = groups[index] ?? [];
        const current = ahead;
        ahead = fetchGroup(groups[index + 1]);
        // If this batch fails, the one fetched ahead is abandoned: its failure is not news.
        ahead?.catch(() => undefined);
        const fetched = current ? await current : [];
        fetched.sort((a, b) => a.uid - b.uid);
        for (const message of fetched) {
          if (!message.source) continue;
          const record: RawRecord = {
            kind: 'mail',
            source: message.source,
            mailbox: mailbox.address,
            folder: folder.label,
            origin: imapMessageUrl(this.settings.server, mailbox.address, folder.path, uidValidity, message.uid),
          };
          try {
            await sink.record(record);
          } catch (err) {
            throw new SinkFailure(`The pipeline did not take a message from ${mailbox.address}/${folder.label}: ${errorText(err)}`, { cause: err });
          }
          handed++;
          await advance(message.uid);
        }
        // Messages expunged meanwhile are simply passed.
        const last = group[group.length - 1];
        if (last) await advance(last.uid);
      }
      for (const big of pending) if (big.size > this.settings.maxMessageBytes) await advance(big.uid);
      await advance(floor);
      const settled = formatCursor({ uidValidity, lastUid: highest });
      if (await this.cursors.getCursor(this.settings.source, key) !== settled) await this.cursors.setCursor(this.settings.source, key, settled);
      if (handed > 0) {
        this.logger.info({ mailbox: mailbox.address, folder: folder.label, messages: handed }, 'New messages handed over');
      }
      return handed;
    });
  }

  /** UIDs (with sizes, see `sized`) above `lastUid`. */
  private listNewer(client: ImapFlow, lastUid: number): Promise<SizedUid[]> {
    // `n:*` always matches the last message, even below n: `sized` drops what is not above lastUid.
    return this.sized(client, { uid: `${lastUid + 1}:*` }, lastUid);
  }

  /** UIDs (with sizes, see `sized`) of the messages that arrived within the backfill window. */
  private listBackfill(client: ImapFlow): Promise<SizedUid[]> {
    if (this.settings.backfillDays <= 0) return Promise.resolve([]);
    const since = new Date(this.now().getTime() - this.settings.backfillDays * 24 * 3600 * 1000);
    return this.sized(client, { since }, 0);
  }

  /**
   * The UIDs matching `criteria` above `above`. Only the few messages larger than SIZED_ABOVE_BYTES
   * (or the size limit, when that is lower) are sized exactly, found with one SEARCH LARGER;
   * the rest count as that size for batching. Asking every message's size would cost a round of
   * FETCH RFC822.SIZE as long as a bare fetch of small messages themselves.
   */
  private async sized(client: ImapFlow, criteria: SearchObject, above: number): Promise<SizedUid[]> {
    const found = await client.search(criteria, { uid: true });
    const uids = (found || []).filter((uid) => uid > above);
    if (uids.length === 0) return [];
    const threshold = Math.min(SIZED_ABOVE_BYTES, this.settings.maxMessageBytes);
    const large = new Set(((await client.search({ ...criteria, larger: threshold }, { uid: true })) || []).filter((uid) => uid > above));
    const sizes = new Map<number, number>();
    if (large.size > 0) {
      for (const row of await client.fetchAll(uidSet([...large]), { uid: true, size: true }, { uid: true })) sizes.set(row.uid, row.size ?? threshold);
    }
    return uids.map((uid) => ({ uid, size: sizes.get(uid) ?? threshold }));
  }

  private async watchFolder(mailbox: WatchedMailbox, configured: string, sink: RecordSink, signal: AbortSignal): Promise<void> {
    let failures = 0;
    let reported: string | undefined;
    const where = { mailbox: mailbox.address, folder: folderLabel(configured) };
    const key = this.healthKey(mailbox, configured);
    while (!signal.aborted) {
      let client: ImapFlow | undefined;
      // Stopping the watch ends a command that is still waiting for the server at once.
      const closeNow = (): void => client?.close();
      signal.addEventListener('abort', closeNow, { once: true });
      try {
        client = await connectImap(this.settings.server, mailbox.credentials, mailbox.address, this.logger);
        if (signal.aborted) break;
        const live = client;
        let changed = false;
        let closed = false;
        let wake: ((reason: WakeReason) => void) | undefined;
        live.on('exists', () => {
          changed = true;
          wake?.('change');
        });
        live.on('close', () => {
          closed = true;
          wake?.('closed');
        });
        const folder = await resolveFolder(live, configured, mailbox.address, this.settings.sentFolder);
        await this.catchUp(live, mailbox, folder, sink, true);
        this.markHealthy(mailbox, configured);
        if (failures > 0) this.logger.info(where, 'Reconnected to the mail server');
        failures = 0;
        reported = undefined;
        this.watching.add(key);
        this.logger.debug({ ...where, path: folder.path }, 'Watching the folder');
        while (!signal.aborted) {
          const reason = await new Promise<WakeReason>((resolve) => {
            if (closed) return resolve('closed');
            if (changed) return resolve('change');
            const finish = (r: WakeReason): void => {
              clearTimeout(timer);
              signal.removeEventListener('abort', onAbort);
              wake = undefined;
              resolve(r);
            };
            const onAbort = (): void => finish('stopped');
            const timer = setTimeout(() => finish('recheck'), this.settings.recheckMs);
            signal.addEventListener('abort', onAbort, { once: true });
            wake = finish;
          });
          if (reason === 'stopped') break;
          if (reason === 'closed') {
            throw new ConnectorError(`The mail server ${serverLabel(this.settings.server)} closed the connection to the ${where.folder} folder of ${mailbox.address}.`);
          }
          changed = false;
          await this.catchUp(live, mailbox, folder, sink, reason === 'recheck');
          this.markHealthy(mailbox, configured);
        }
      } catch (err) {
        if (signal.aborted) break;
        failures++;
        const message = err instanceof SinkFailure ? err.message : this.describe(err, mailbox, configured);
        this.markFailed(mailbox, configured, message);
        const retryInMs = backoffDelay(failures, this.settings.backoff);
        this.logger.warn({ ...where, attempt: failures, retryInMs, error: message }, 'Watching the folder failed; trying again');
        if (failures >= PROBLEM_AFTER_FAILURES && message !== reported) {
          sink.problem({ origin: `imap://${encodeURIComponent(mailbox.address)}@${serverLabel(this.settings.server)}/${where.folder}`, kind: 'source', reason: message });
          reported = message;
        }
        await pause(retryInMs, signal);
      } finally {
        signal.removeEventListener('abort', closeNow);
        this.watching.delete(key);
        if (client) await closeImap(client);
      }
    }
  }
}
