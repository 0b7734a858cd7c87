/**
 * Turns raw records into normalized items, one at a time: parses each record once, merges the
 * copies of one message (same Message-ID in several mailboxes) and of one event (same key on
 * several calendars), and hands each merged item on as soon as it changes. Only small per-key
 * summaries are kept (no bodies), so memory stays flat as the corpus grows.
 */
import { parseCalendar } from '../items/ical-parse.js';
import { mergeEvent } from '../items/event-merge.js';
import { collisionKey, mergeMail, sameMessage } from '../items/mail-merge.js';
import type { EventItem, Item, MailItem, Problem, RawRecord } from '../items/types.js';
import { MailSummaries } from './mail-summaries.js';

export type Horizon = { from: string; to: string };

/**
 * Where the stream keeps what it knows of each item between records, so that a later copy is
 * merged with the earlier ones. The default keeps everything in memory; the service supplies a
 * bounded one that also lasts across restarts.
 */
export interface ItemMemory {
  getMail(key: string): MailItem | undefined;
  setMail(item: MailItem): void;
  getEvent(key: string): EventItem | undefined;
  setEvent(item: EventItem): void;
}

export interface ItemStreamOptions {
  timeZone: string;
  /** How far recurring events are expanded; a function for a long-running stream whose horizon moves on. */
  horizon: Horizon | (() => Horizon);
  isRoomCalendar: (calendarId: string) => boolean;
  /** The receiving servers (authserv-ids) whose Authentication-Results are believed. */
  trustedAuthservIds?: string[];
  /** Default: an unbounded in-memory map (fine for one pass). */
  memory?: ItemMemory;
  /**
   * When a second, different message turns up with a Message-ID already seen, give the first one
   * a key of its own too (announced by `onRekey`), so that a pass over a source judges both the
   * same whichever is read first. Off in the service, where the first has been acted on under its
   * Message-ID and keeps it.
   */
  separateCollisions?: boolean;
  /** Called when an item already handed on gets another key (see `separateCollisions`). */
  onRekey?: (from: string, to: string) => void;
}

/**
 * The mail parser, loaded with the first message: it brings mailparser and html-to-text, which a
 * pass over calendars alone (or over nothing) need not wait for.
 */
let mailParser: Promise<typeof import('../items/mail-parse.js')> | undefined;
function loadMailParser(): Promise<typeof import('../items/mail-parse.js')> {
  mailParser ??= import('../items/mail-parse.js');
  return mailParser;
}

/** What merged copies leave behind: the item without its bulky parts. */
function summarise(item: MailItem): MailItem {
  return { ...item, text: '', attachments: [] };
}

class MapMemory implements ItemMemory {
  private readonly mail = new MailSummaries();
  private readonly events = new Map<string, EventItem>();
  getMail(key: string): MailItem | undefined {
    return this.mail.get(key);
  }
  setMail(item: MailItem): void {
    this.mail.set(item);
  }
  getEvent(key: string): EventItem | undefined {
    return this.events.get(key);
  }
  setEvent(item: EventItem): void {
    this.events.set(item.key, item);
  }
}

export class ItemStream {
  private readonly memory: ItemMemory;
  /** Message-IDs shared by different messages, each of which now has a key of its own. */
  private readonly separated = new Set<string>();
  readonly problems: Problem[] = [];
  counts = { records: 0, mailCopies: 0, mailItems: 0, eventItems: 0 };

  constructor(private readonly opts: ItemStreamOptions) {
    this.memory = opts.memory ?? new MapMemory();
  }

  /** The problems reported since the last call (they are removed from `problems`). */
  takeProblems(): Problem[] {
    return this.problems.splice(0, this.problems.length);
  }

  /** Parse one record; returns the items (merged with earlier copies) it produced or changed. */
  async take(record: RawRecord): Promise<Item[]> {
    this.counts.records += 1;
    if (record.kind === 'mail') {
      const { parseMail } = await loadMailParser();
      let parsed: MailItem;
      try {
        parsed = await parseMail(
          record.source,
          { mailbox: record.mailbox, folder: record.folder, origin: record.origin },
          this.opts.trustedAuthservIds ? { trustedAuthservIds: this.opts.trustedAuthservIds } : {},
        );
      } catch (err) {
        this.problem({ origin: record.origin, kind: 'mail', reason: (err as Error).message || 'could not be parsed' });
        return [];
      }
      this.counts.mailCopies += 1;
      let earlier: MailItem | undefined;
      ({ item: parsed, earlier } = this.tellApart(parsed));
      const merged = earlier ? mergeMail(earlier, parsed) : parsed;
      if (!earlier) this.counts.mailItems += 1;
      this.memory.setMail(summarise(merged));
      return [merged];
    }
    const horizon = typeof this.opts.horizon === 'function' ? this.opts.horizon() : this.opts.horizon;
    const { events, problems } = parseCalendar(record.source, {
      calendarId: record.calendarId,
      origin: record.origin,
      ...(record.etag ? { etag: record.etag } : {}),
      timeZone: this.opts.timeZone,
      horizon,
    });
    for (const p of problems) this.problem(p);
    const out: Item[] = [];
    for (const ev of events) {
      const earlier = this.memory.getEvent(ev.key);
      // The same file read again (it was edited): the new reading replaces the old one.
      const sameCopy = earlier !== undefined && earlier.origin === ev.origin && earlier.calendarId === ev.calendarId;
      const merged = earlier && !sameCopy ? mergeEvent(earlier, ev, this.opts.isRoomCalendar) : ev;
      if (!earlier) this.counts.eventItems += 1;
      this.memory.setEvent(merged);
      if (merged !== earlier) out.push(merged);
    }
    return out;
  }

  problem(p: Problem): void {
    this.problems.push(p);
  }

  /**
   * The message with the key it is judged under, and what is remembered of that key: its
   * Message-ID, unless a different message has that ID too. Then it gets a key of its own
   * (`collisionKey`), the first time with a problem naming both messages, so that neither is lost
   * in the other.
   */
  private tellApart(parsed: MailItem): { item: MailItem; earlier: MailItem | undefined } {
    if (parsed.syntheticKey) return { item: parsed, earlier: this.memory.getMail(parsed.key) };
    const id = parsed.key;
    const first = this.memory.getMail(id);
    if (!this.separated.has(id)) {
      if (first === undefined || sameMessage(first, parsed)) return { item: parsed, earlier: first };
      if (this.opts.separateCollisions) {
        const firstKey = collisionKey(first);
        this.memory.setMail({ ...first, key: firstKey });
        this.separated.add(id);
        this.opts.onRekey?.(id, firstKey);
      }
    }
    const key = collisionKey(parsed);
    const earlier = this.memory.getMail(key);
    if (earlier === undefined && first !== undefined) {
      const origins = [first.copies[0]?.origin ?? 'an earlier message', parsed.copies[0]?.origin ?? 'this message'].sort();
      this.problem({
        origin: parsed.copies[0]?.origin ?? id,
        kind: 'mail',
        reason: `two different messages share the Message-ID ${id} (${origins.join(' and ')}): each was read and judged on its own, but a mail program that reuses Message-IDs should be looked at`,
      });
    }
    return { item: { ...parsed, key }, earlier };
  }
}
