/**
 * Mail through Microsoft Graph: one delta round of one folder of one mailbox.
 *
 * - The folder: `inbox` and `sent` are Graph's well-known names (`inbox`, `sentitems`); any other
 *   configured name is looked up by display name (top level, then under the Inbox) once and
 *   remembered. Records name the folder as the IMAP connector does (`inbox`, `sent`, the name in
 *   lower case), because the pipeline merges copies of one message across mailboxes by folder
 *   (Bcc comes from the sender's Sent copy).
 * - The delta: `/users/{m}/mailFolders/{f}/messages/delta` with `Prefer: IdType="ImmutableId",
 *   odata.maxpagesize=N` on every page (one Prefer header, comma-separated, as RFC 7240 allows),
 *   `$select=id` only (the MIME says everything else), and on the first round
 *   `$filter=receivedDateTime ge <now - backfillDays>` (the one filter Graph documents for message
 *   delta). Next and delta links are opaque: followed and stored exactly as given.
 * - The messages: each new or changed one's MIME (`/messages/{id}/$value`) is read through
 *   `$batch`, 20 to a batch (the most Graph allows), every step's status checked; a step that
 *   failed for good is reported to the sink and the round goes on. Graph reports a read/unread
 *   flip as a change too: the MIME is read again and the pipeline finds nothing new in it.
 * - The cursor: after every item of a page has been taken by the sink (sink.record resolved, so
 *   stored), the page's next link (or, at the end, the delta link) is stored. A huge first sync
 *   that breaks off therefore resumes where it stopped rather than from the start; a sink failure
 *   leaves the link of the last fully stored page, so nothing is skipped.
 * - 410 Gone / syncStateNotFound on a stored link: the cursor is cleared and the folder read afresh
 *   (backfill window) in the same call; the pipeline recognises what it has already judged, so
 *   nothing acted on is acted on twice.
 * - `@removed`: Graph gives only the id, and an item moved to another folder is `@removed` from
 *   this one just as a deleted item is. A mail Removal needs the Message-ID and means "gone from
 *   every mailbox"; a move is not that. So removals are logged (debug) and not passed on, as the
 *   IMAP connector passes on no expunges. No Message-ID is ever made up.
 */
import { z } from 'zod';
import type { RecordSink } from '../../src/sources/types.js';
import type { GraphMailbox } from './config.js';
import type { GraphDeps, RoundResult } from './deps.js';
import { GraphApiError } from './errors.js';
import { MAX_BATCH, pageOf, type BatchAnswer, type BatchStep, type Page } from './transport.js';

/** Messages with attachments in one $batch, at most. */
const MAX_LARGE_IN_BATCH = 4;

/** Graph's immutable ids: a message keeps its id when it moves, so an origin stays true. */
export const IMMUTABLE_ID = 'IdType="ImmutableId"';
/** Larger messages are reported and skipped (the IMAP connector's default limit). */
export const DEFAULT_MAX_MESSAGE_BYTES = 50 * 1024 * 1024;

const WELL_KNOWN: Readonly<Record<string, string>> = { inbox: 'inbox', sent: 'sentitems' };

export interface MailDeltaOptions {
  /** Messages whose MIME is larger are reported and not handed over (default 50 MB). */
  maxMessageBytes?: number;
}

/** The label a configured folder name gets in records and cursors: the same as the IMAP connector's. */
export function mailFolderLabel(configured: string): string {
  return configured.toLowerCase();
}

/** One entry of a delta page: only the id is relied on. */
const DeltaEntry = z.object({
  id: z.string().min(1),
  hasAttachments: z.boolean().nullish(),
  '@removed': z.unknown().optional(),
});

const FolderList = z.object({
  value: z.array(z.object({ id: z.string().min(1), displayName: z.string().optional() })),
});

/** An OData string literal: a quote is doubled. */
function odataString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

export class MailDelta {
  /** `mailbox\nlabel` → folder id, for named folders (looked up once). */
  private readonly folderIds = new Map<string, string>();
  private readonly maxMessageBytes: number;

  constructor(
    private readonly deps: GraphDeps,
    options: MailDeltaOptions = {},
  ) {
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  }

  private get prefer(): string {
    return `${IMMUTABLE_ID}, odata.maxpagesize=${this.deps.settings.pageSize}`;
  }

  /**
   * The request a round would start with, when the folder has a stored link: the connector asks
   * several folders of one mailbox in one $batch when it polls, and hands each its answer.
   */
  async firstRequest(mailbox: GraphMailbox, folder: string): Promise<{ link: string; prefer: string } | undefined> {
    const stored = await this.deps.cursors.getCursor(this.deps.settings.source, `mail:${mailbox.address}:${mailFolderLabel(folder)}`);
    return stored !== undefined && stored !== '' ? { link: stored, prefer: this.prefer } : undefined;
  }

  /**
   * One delta round of `folder` (as configured) in `mailbox`: everything new since the stored link.
   * `firstPage` is the answer to `firstRequest`, already fetched (in a $batch); it is used only if
   * the stored link is still the one it answers.
   */
  async round(mailbox: GraphMailbox, folder: string, sink: RecordSink, signal?: AbortSignal, firstPage?: { link: string; page: unknown }): Promise<RoundResult> {
    const label = mailFolderLabel(folder);
    const key = `mail:${mailbox.address}:${label}`;
    const { cursors, settings, logger } = this.deps;
    const stored = await cursors.getCursor(settings.source, key);
    const link = stored !== undefined && stored !== '' ? stored : undefined;
    const prefetched = firstPage !== undefined && firstPage.link === link ? pageOf(firstPage.page) : undefined;
    try {
      return await this.run(mailbox.address, folder, label, key, link, sink, signal, prefetched);
    } catch (err) {
      if (link === undefined || !(err instanceof GraphApiError) || err.failure !== 'gone') throw err;
      // The stored link is no longer known to Graph (410, syncStateNotFound): start afresh. The
      // pipeline recognises every message it has already judged, so nothing is acted on twice.
      logger.warn({ mailbox: mailbox.address, folder: label, status: err.status, code: err.code }, 'Microsoft 365 no longer knows the folder\'s sync state: reading the folder afresh');
      await cursors.setCursor(settings.source, key, '');
      return this.run(mailbox.address, folder, label, key, undefined, sink, signal);
    }
  }

  private async run(mailbox: string, configured: string, label: string, key: string, link: string | undefined, sink: RecordSink, signal: AbortSignal | undefined, prefetched?: Page<unknown>): Promise<RoundResult> {
    const { transport, settings, cursors, logger } = this.deps;
    const seen = new Set<string>();
    let records = 0;
    let removedSeen = 0;
    let url: string;
    let query: Record<string, string> | undefined;
    if (link !== undefined) {
      url = link;
    } else {
      const folderId = await this.folderId(mailbox, configured, label, signal);
      url = `/users/${encodeURIComponent(mailbox)}/mailFolders/${encodeURIComponent(folderId)}/messages/delta`;
      const since = new Date(this.deps.now().getTime() - settings.backfillDays * 86_400_000);
      query = { $select: 'id,hasAttachments', $filter: `receivedDateTime ge ${since.toISOString().replace(/\.\d{3}Z$/, 'Z')}` };
    }
    for (;;) {
      signal?.throwIfAborted();
      const page = prefetched ?? await transport.json(
        {
          mailbox, method: 'GET', url, ...(query ? { query } : {}), headers: { Prefer: this.prefer },
          what: `reading the ${label} folder`, ...(signal ? { signal } : {}),
        },
        pageOf,
      );
      const fresh: { id: string; large: boolean }[] = [];
      for (const raw of page.value) {
        const entry = DeltaEntry.safeParse(raw);
        if (!entry.success) {
          logger.debug({ mailbox, folder: label }, 'A delta entry without an id was passed over');
          continue;
        }
        if (entry.data['@removed'] !== undefined) {
          removedSeen++;
          continue;
        }
        // An item twice in one page, or replayed from an earlier page of the round, goes once.
        if (seen.has(entry.data.id)) continue;
        seen.add(entry.data.id);
        fresh.push({ id: entry.data.id, large: entry.data.hasAttachments === true });
      }
      records += await this.handOver(mailbox, label, fresh, sink, signal);
      const next = page.nextLink ?? page.deltaLink;
      if (next === undefined) {
        throw new GraphApiError(`Microsoft 365 ended a page of the ${label} folder of ${mailbox} with neither a next link nor a delta link; Wardwatch will read it again at the next round.`, { status: 200, code: 'NoLink', failure: 'other', mailbox });
      }
      // Every item of this page has been stored: the next link (or the delta link) may be kept.
      await cursors.setCursor(settings.source, key, next);
      if (page.nextLink === undefined) break;
      url = page.nextLink;
      query = undefined;
      prefetched = undefined;
    }
    if (removedSeen > 0) logger.debug({ mailbox, folder: label, removed: removedSeen }, 'Messages left the folder (not passed on: Graph names them only by id)');
    if (records > 0) logger.info({ mailbox, folder: label, messages: records }, 'New messages handed over');
    return { records, removed: 0 };
  }

  /** The id to put in the delta path: a well-known name, or a named folder's id (cached). */
  private async folderId(mailbox: string, configured: string, label: string, signal: AbortSignal | undefined): Promise<string> {
    const known = WELL_KNOWN[label];
    if (known !== undefined) return known;
    const cacheKey = `${mailbox}\n${label}`;
    const cached = this.folderIds.get(cacheKey);
    if (cached !== undefined) return cached;
    const where = [`/users/${encodeURIComponent(mailbox)}/mailFolders`, `/users/${encodeURIComponent(mailbox)}/mailFolders/inbox/childFolders`];
    for (const url of where) {
      const list = await this.deps.transport.json(
        {
          mailbox, method: 'GET', url, query: { $filter: `displayName eq ${odataString(configured)}`, $select: 'id,displayName' },
          headers: { Prefer: IMMUTABLE_ID }, what: `looking up the folder "${configured}"`, ...(signal ? { signal } : {}),
        },
        (v) => FolderList.parse(v),
      );
      // Graph compares display names without regard to case; so does the IMAP connector.
      const hit = list.value.find((f) => f.displayName === configured) ?? list.value.find((f) => (f.displayName ?? '').toLowerCase() === label) ?? list.value[0];
      if (hit !== undefined) {
        this.folderIds.set(cacheKey, hit.id);
        return hit.id;
      }
    }
    throw new GraphApiError(
      `The folder "${configured}" does not exist in the mailbox ${mailbox} (neither at the top level nor under the Inbox); check the folder names under mailboxes.`,
      { status: 404, code: 'FolderNotFound', failure: 'not-found', mailbox },
    );
  }

  /** Reads the MIME of `ids` (20 to a $batch) and hands each over in order; returns how many were taken. */
  /**
   * Messages in $batches of up to 20, but at most 4 with attachments in one: a batch's answer is
   * one JSON text holding every message base64-encoded, and twenty large attachments would not fit
   * in memory (nor in one string).
   */
  private chunks(messages: readonly { id: string; large: boolean }[]): string[][] {
    const out: string[][] = [];
    let chunk: string[] = [];
    let large = 0;
    for (const m of messages) {
      if (chunk.length === MAX_BATCH || (m.large && large === MAX_LARGE_IN_BATCH)) {
        out.push(chunk);
        chunk = [];
        large = 0;
      }
      chunk.push(m.id);
      if (m.large) large++;
    }
    if (chunk.length > 0) out.push(chunk);
    return out;
  }

  /** The steps of a batch asked one at a time, answered in the batch's shape. */
  private async oneByOne(mailbox: string, steps: readonly BatchStep[], signal: AbortSignal | undefined): Promise<Map<string, BatchAnswer>> {
    const answers = new Map<string, BatchAnswer>();
    for (const step of steps) {
      try {
        const res = await this.deps.transport.request({ mailbox, method: 'GET', url: step.url, ...(step.headers ? { headers: step.headers } : {}), what: 'reading a message', ...(signal ? { signal } : {}) });
        answers.set(step.id, { id: step.id, status: res.status, headers: {}, body: res.bytes });
      } catch (err) {
        if (!(err instanceof GraphApiError)) throw err;
        answers.set(step.id, { id: step.id, status: err.status === 0 ? 413 : err.status, headers: {}, body: { error: { code: err.code, message: err.message } } });
      }
    }
    return answers;
  }

  private async handOver(mailbox: string, label: string, messages: readonly { id: string; large: boolean }[], sink: RecordSink, signal: AbortSignal | undefined): Promise<number> {
    const { transport, logger } = this.deps;
    let taken = 0;
    // Steps still throttled or unavailable after the transport's retries: the others are handed
    // over, then the round fails so that the link is not advanced past these (read again next round).
    let transient = 0;
    for (const chunk of this.chunks(messages)) {
      const steps: BatchStep[] = chunk.map((id, i) => ({
        id: String(i + 1), method: 'GET', url: `/users/${encodeURIComponent(mailbox)}/messages/${encodeURIComponent(id)}/$value`, headers: { Prefer: IMMUTABLE_ID },
      }));
      let answers: Map<string, BatchAnswer>;
      try {
        answers = await transport.batch(mailbox, steps, `reading messages of the ${label} folder`, signal);
      } catch (err) {
        if (!(err instanceof GraphApiError && err.code === 'AnswerTooLarge')) throw err;
        // Too much for one answer: each message alone, so that one huge message cannot hold the folder up.
        answers = await this.oneByOne(mailbox, steps, signal);
      }
      for (const [i, id] of chunk.entries()) {
        const origin = `graph:${mailbox}/${label}/${id}`;
        const answer: BatchAnswer | undefined = answers.get(String(i + 1));
        if (answer === undefined || answer.status >= 300 || !Buffer.isBuffer(answer.body)) {
          if (answer?.status === 404) {
            // Deleted or moved since the delta page was made: the next round says so.
            logger.debug({ mailbox, folder: label }, 'A message went before it could be read');
            continue;
          }
          const failure = answer === undefined ? 'unavailable' : transport.stepError(mailbox, answer, 'reading a message').failure;
          if (failure === 'throttled' || failure === 'unavailable' || failure === 'network' || failure === 'unauthorised') {
            transient++;
            continue;
          }
          const reason = answer === undefined
            ? 'Microsoft 365 gave no answer for this message in its batch'
            : answer.status >= 300 ? transport.stepError(mailbox, answer, 'reading a message').message : 'Microsoft 365 answered with something that is not a message';
          sink.problem({ origin, kind: 'mail', reason: `${reason} It was skipped; Wardwatch reads it again when it next changes.` });
          continue;
        }
        if (answer.body.length > this.maxMessageBytes) {
          sink.problem({ origin, kind: 'mail', reason: `The message is ${sizeText(answer.body.length)}, larger than the ${sizeText(this.maxMessageBytes)} Wardwatch reads, and was skipped.` });
          continue;
        }
        await sink.record({ kind: 'mail', source: answer.body, mailbox, folder: label, origin });
        taken++;
      }
    }
    if (transient > 0) {
      throw new GraphApiError(
        `Microsoft 365 did not give ${transient} message(s) of the ${label} folder of ${mailbox} after several tries (throttled or unavailable); the others were read, and Wardwatch reads these at the next round.`,
        { status: 503, code: 'BatchStepsFailed', failure: 'unavailable', mailbox },
      );
    }
    return taken;
  }
}

function sizeText(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, '')} MB`;
  return `${Math.ceil(bytes / 1024)} kB`;
}
