/**
 * What the live pipeline remembers of each item between records, so that a copy of a message
 * arriving later (another mailbox, after a restart) is merged with the copies seen before and the
 * rules judge the whole message once.
 *
 * Recent items stay in a bounded in-memory cache (least recently used ones leave first), so the
 * service's memory stays flat over months; every item is also written to the state store (as a
 * body-less summary), where it is found again after a restart or after it left the cache.
 */
import { z } from 'zod';
import type { EventItem, MailItem } from '../items/types.js';
import type { ItemMemory } from '../pipeline/item-stream.js';
import type { ItemMemoryRepository } from '../store/types.js';

const AddressSchema = z.object({ address: z.string(), name: z.string().optional() });
const AuthValueSchema = z.enum(['pass', 'fail', 'softfail', 'neutral', 'none', 'temperror', 'permerror', 'policy']);

export const MailSummarySchema: z.ZodType<MailItem> = z.object({
  kind: z.literal('mail'),
  key: z.string(),
  syntheticKey: z.boolean(),
  from: z.array(AddressSchema),
  sender: AddressSchema.optional(),
  replyTo: z.array(AddressSchema),
  to: z.array(AddressSchema),
  cc: z.array(AddressSchema),
  bcc: z.array(AddressSchema),
  date: z.string().optional(),
  subject: z.string(),
  inReplyTo: z.string().optional(),
  references: z.array(z.string()),
  sensitivity: z.enum(['normal', 'personal', 'private', 'confidential']),
  importance: z.enum(['low', 'normal', 'high']),
  authentication: z.object({
    spf: AuthValueSchema.optional(),
    dkim: AuthValueSchema.optional(),
    dmarc: AuthValueSchema.optional(),
    failed: z.boolean(),
    detail: z.string(),
    trustedPass: z.literal(true).optional(),
  }),
  text: z.string(),
  forwardedAuthors: z.array(AddressSchema),
  hasForwardedContent: z.boolean(),
  labels: z.array(z.string()),
  attachments: z.array(z.object({ filename: z.string().optional(), contentType: z.string(), size: z.number() })),
  copies: z.array(z.object({ mailbox: z.string(), folder: z.string(), origin: z.string() })),
  contentHash: z.string(),
  automated: z.object({ kind: z.enum(['auto-reply', 'auto-generated', 'bulk', 'bounce', 'receipt']), reason: z.string() }).optional(),
});

export const EventSchema: z.ZodType<EventItem> = z.object({
  kind: z.literal('event'),
  key: z.string(),
  uid: z.string(),
  recurrenceId: z.string().optional(),
  calendarId: z.string(),
  method: z.string().optional(),
  summary: z.string(),
  description: z.string(),
  location: z.string(),
  categories: z.array(z.string()),
  start: z.string(),
  end: z.string(),
  allDay: z.boolean(),
  timeZone: z.string().optional(),
  status: z.enum(['TENTATIVE', 'CONFIRMED', 'CANCELLED']),
  classification: z.string(),
  organizer: AddressSchema.optional(),
  attendees: z.array(
    AddressSchema.extend({
      role: z.enum(['CHAIR', 'REQ-PARTICIPANT', 'OPT-PARTICIPANT', 'NON-PARTICIPANT']),
      partstat: z.enum(['NEEDS-ACTION', 'ACCEPTED', 'DECLINED', 'TENTATIVE', 'DELEGATED']),
      cutype: z.enum(['INDIVIDUAL', 'GROUP', 'RESOURCE', 'ROOM', 'UNKNOWN']),
    }),
  ),
  sequence: z.number(),
  recurring: z.boolean(),
  occurrences: z.array(z.object({ start: z.string(), end: z.string(), recurrenceId: z.string() })),
  origin: z.string(),
  etag: z.string().optional(),
  contentHash: z.string(),
});

/** A map that forgets its least recently used entries beyond `capacity`. */
export class LruCache<V> {
  private readonly entries = new Map<string, V>();
  constructor(readonly capacity: number) {
    if (capacity < 1) throw new Error('A cache needs room for at least one entry.');
  }
  get(key: string): V | undefined {
    const value = this.entries.get(key);
    if (value === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, value);
    return value;
  }
  set(key: string, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.entries.delete(oldest.value);
    }
  }
  get size(): number {
    return this.entries.size;
  }
}

function readJson<T>(schema: z.ZodType<T>, text: string | undefined): T | undefined {
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = schema.safeParse(value);
  // An unreadable summary (written by another version, say) is as good as none: the copy at hand is judged alone.
  return parsed.success ? parsed.data : undefined;
}

export interface StoredItemMemoryOptions {
  /** Items kept in memory per kind (default 2000). */
  cacheSize?: number;
}

export class StoredItemMemory implements ItemMemory {
  private readonly mail: LruCache<MailItem>;
  private readonly events: LruCache<EventItem>;

  constructor(
    private readonly store: ItemMemoryRepository,
    options: StoredItemMemoryOptions = {},
  ) {
    this.mail = new LruCache(options.cacheSize ?? 2000);
    this.events = new LruCache(options.cacheSize ?? 2000);
  }

  async getMail(key: string): Promise<MailItem | undefined> {
    const cached = this.mail.get(key);
    if (cached) return cached;
    const stored = readJson(MailSummarySchema, await this.store.getItemMemory('mail', key));
    if (stored) this.mail.set(key, stored);
    return stored;
  }

  async setMail(item: MailItem): Promise<void> {
    const summary: MailItem = { ...item, text: '', attachments: [] };
    this.mail.set(item.key, summary);
    await this.store.setItemMemory('mail', item.key, JSON.stringify(summary), new Date().toISOString());
  }

  async getEvent(key: string): Promise<EventItem | undefined> {
    const cached = this.events.get(key);
    if (cached) return cached;
    const stored = readJson(EventSchema, await this.store.getItemMemory('event', key));
    if (stored) this.events.set(key, stored);
    return stored;
  }

  async setEvent(item: EventItem): Promise<void> {
    this.events.set(item.key, item);
    await this.store.setItemMemory('event', item.key, JSON.stringify(item), new Date().toISOString());
  }
}
