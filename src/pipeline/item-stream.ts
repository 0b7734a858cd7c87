/**
 * Turns raw records into normalized items, one at a time: parses each record once, merges the
 * copies of one message (same Message-ID in several mailboxes) and of one event (same key on
 * several calendars), and hands each merged item on as soon as it changes. Only small per-key
 * summaries are kept (no bodies), so memory stays flat as the corpus grows.
 */
import { parseCalendar } from '../items/ical-parse.js';
import { mergeEvent } from '../items/event-merge.js';
import { mergeMail } from '../items/mail-merge.js';
import { parseMail } from '../items/mail-parse.js';
import type { EventItem, Item, MailItem, Problem, RawRecord } from '../items/types.js';

export interface ItemStreamOptions {
  timeZone: string;
  horizon: { from: string; to: string };
  isRoomCalendar: (calendarId: string) => boolean;
}

/** What merged copies leave behind: the item without its bulky parts. */
function summarise(item: MailItem): MailItem {
  return { ...item, text: '', attachments: [] };
}

export class ItemStream {
  private readonly mail = new Map<string, MailItem>();
  private readonly events = new Map<string, EventItem>();
  readonly problems: Problem[] = [];
  counts = { records: 0, mailCopies: 0, mailItems: 0, eventItems: 0 };

  constructor(private readonly opts: ItemStreamOptions) {}

  /** Parse one record; returns the items (merged with earlier copies) it produced or changed. */
  async take(record: RawRecord): Promise<Item[]> {
    this.counts.records += 1;
    if (record.kind === 'mail') {
      let parsed: MailItem;
      try {
        parsed = await parseMail(record.source, { mailbox: record.mailbox, folder: record.folder, origin: record.origin });
      } catch (err) {
        this.problem({ origin: record.origin, kind: 'mail', reason: (err as Error).message || 'could not be parsed' });
        return [];
      }
      this.counts.mailCopies += 1;
      const earlier = this.mail.get(parsed.key);
      const merged = earlier ? mergeMail(earlier, parsed) : parsed;
      if (!earlier) this.counts.mailItems += 1;
      this.mail.set(parsed.key, summarise(merged));
      return [merged];
    }
    const { events, problems } = parseCalendar(record.source, {
      calendarId: record.calendarId,
      origin: record.origin,
      ...(record.etag ? { etag: record.etag } : {}),
      timeZone: this.opts.timeZone,
      horizon: this.opts.horizon,
    });
    for (const p of problems) this.problem(p);
    const out: Item[] = [];
    for (const ev of events) {
      const earlier = this.events.get(ev.key);
      const merged = earlier ? mergeEvent(earlier, ev, this.opts.isRoomCalendar) : ev;
      if (!earlier) this.counts.eventItems += 1;
      this.events.set(ev.key, merged);
      if (merged !== earlier) out.push(merged);
    }
    return out;
  }

  problem(p: Problem): void {
    this.problems.push(p);
  }
}
