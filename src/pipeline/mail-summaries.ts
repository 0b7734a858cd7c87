/**
 * The merge summaries of a one-pass stream, kept small. A summary is a message without its text
 * and attachments; held as a MailItem it still costs well over a kilobyte (a dozen arrays, most of
 * them empty, and the same addresses and verdicts over and over). Here each is held compactly:
 * empty lists left out, and the values messages share — address lists, authentication verdicts,
 * mailbox and folder names — kept once for all. `get` gives back a fresh MailItem equal to the one
 * that was stored, field for field and in the same order.
 */
import type { Address, AuthenticationVerdict, AutomatedMail, Importance, MailItem, Sensitivity } from '../items/types.js';

/**
 * The fields a summary has, in the order parsing and merging write them; an item with any other
 * field, or with its fields in another order, is kept as it is.
 */
const FIELD_ORDER = new Map(
  [
    'kind', 'key', 'syntheticKey', 'from', 'sender', 'replyTo', 'to', 'cc', 'bcc', 'date', 'subject', 'inReplyTo',
    'references', 'sensitivity', 'importance', 'authentication', 'text', 'forwardedAuthors', 'hasForwardedContent',
    'labels', 'attachments', 'copies', 'contentHash', 'automated',
  ].map((field, i) => [field, i]),
);

function inUsualOrder(item: MailItem): boolean {
  let last = -1;
  for (const field of Object.keys(item)) {
    const at = FIELD_ORDER.get(field);
    if (at === undefined || at <= last) return false;
    last = at;
  }
  return true;
}

/** One summary: shared lists and verdicts by reference, empty lists as undefined, copies flattened. */
class CompactMail {
  constructor(
    readonly key: string,
    readonly syntheticKey: boolean,
    readonly from: readonly Address[] | undefined,
    readonly sender: Address | undefined,
    readonly replyTo: readonly Address[] | undefined,
    readonly to: readonly Address[] | undefined,
    readonly cc: readonly Address[] | undefined,
    readonly bcc: readonly Address[] | undefined,
    readonly date: string | undefined,
    readonly subject: string,
    readonly inReplyTo: string | undefined,
    readonly references: readonly string[] | undefined,
    readonly sensitivity: Sensitivity,
    readonly importance: Importance,
    readonly authentication: AuthenticationVerdict,
    readonly forwardedAuthors: readonly Address[] | undefined,
    readonly hasForwardedContent: boolean,
    readonly labels: readonly string[] | undefined,
    /** mailbox, folder, origin of each copy in turn. */
    readonly copies: readonly string[],
    readonly contentHash: string,
    /** Shared among messages with the same evidence (most bulk mail gives the same reason). */
    readonly automated: AutomatedMail | undefined,
  ) {}
}

function copyAddress(a: Address): Address {
  return a.name === undefined ? { address: a.address } : { address: a.address, name: a.name };
}

function copyAddresses(list: readonly Address[] | undefined): Address[] {
  return list === undefined ? [] : list.map(copyAddress);
}

function isPlainAddress(a: Address): boolean {
  const keys = Object.keys(a);
  return keys[0] === 'address' && (keys.length === 1 || (keys.length === 2 && keys[1] === 'name' && typeof a.name === 'string'));
}

function isPlainVerdict(v: AuthenticationVerdict): boolean {
  return Object.values(v).every((x) => x !== undefined);
}

export class MailSummaries {
  private readonly compact = new Map<string, CompactMail>();
  /** Items that do not have the usual shape, kept whole. */
  private readonly whole = new Map<string, MailItem>();
  private readonly strings = new Map<string, string>();
  private readonly addressLists = new Map<string, readonly Address[]>();
  private readonly verdicts = new Map<string, AuthenticationVerdict>();
  private readonly automatedReasons = new Map<string, AutomatedMail>();

  get size(): number {
    return this.compact.size + this.whole.size;
  }

  /** How many items are kept whole, not compacted (for tests and diagnostics: parsed and merged messages never should be). */
  get keptWhole(): number {
    return this.whole.size;
  }

  /** Keep `item` without its text and attachments (they are given back empty). */
  set(item: MailItem): void {
    const compact = this.shrink(item);
    if (compact) {
      this.compact.set(compact.key, compact);
      this.whole.delete(item.key);
    } else {
      this.whole.set(item.key, { ...item, text: '', attachments: [] });
      this.compact.delete(item.key);
    }
  }

  /** A fresh copy of what was kept for `key`, text and attachments empty. */
  get(key: string): MailItem | undefined {
    const c = this.compact.get(key);
    if (!c) {
      const w = this.whole.get(key);
      return w ? { ...w } : undefined;
    }
    const copies = [];
    for (let i = 0; i + 2 < c.copies.length; i += 3) {
      copies.push({ mailbox: c.copies[i] as string, folder: c.copies[i + 1] as string, origin: c.copies[i + 2] as string });
    }
    return {
      kind: 'mail',
      key: c.key,
      syntheticKey: c.syntheticKey,
      from: copyAddresses(c.from),
      sender: c.sender !== undefined ? copyAddress(c.sender) : undefined,
      replyTo: copyAddresses(c.replyTo),
      to: copyAddresses(c.to),
      cc: copyAddresses(c.cc),
      bcc: copyAddresses(c.bcc),
      date: c.date,
      subject: c.subject,
      inReplyTo: c.inReplyTo,
      references: c.references === undefined ? [] : [...c.references],
      sensitivity: c.sensitivity,
      importance: c.importance,
      authentication: { ...c.authentication },
      text: '',
      forwardedAuthors: copyAddresses(c.forwardedAuthors),
      hasForwardedContent: c.hasForwardedContent,
      labels: c.labels === undefined ? [] : [...c.labels],
      attachments: [],
      copies,
      contentHash: c.contentHash,
      automated: c.automated === undefined ? undefined : { ...c.automated },
    };
  }

  /** The compact form, or undefined when the item has a shape this store does not know. */
  private shrink(item: MailItem): CompactMail | undefined {
    if (!inUsualOrder(item)) return undefined;
    const lists = [item.from, item.replyTo, item.to, item.cc, item.bcc, item.forwardedAuthors];
    if (!lists.every((list) => list.every(isPlainAddress))) return undefined;
    if (item.sender !== undefined && !isPlainAddress(item.sender)) return undefined;
    if (!isPlainVerdict(item.authentication)) return undefined;
    const copies: string[] = [];
    for (const copy of item.copies) {
      if (Object.keys(copy).join() !== 'mailbox,folder,origin') return undefined;
      copies.push(this.string(copy.mailbox), this.string(copy.folder), copy.origin);
    }
    return new CompactMail(
      item.key,
      item.syntheticKey,
      this.addresses(item.from),
      item.sender === undefined ? undefined : this.addresses([item.sender])?.[0],
      this.addresses(item.replyTo),
      this.addresses(item.to),
      this.addresses(item.cc),
      this.addresses(item.bcc),
      item.date,
      item.subject,
      item.inReplyTo,
      item.references.length === 0 ? undefined : [...item.references],
      item.sensitivity,
      item.importance,
      this.verdict(item.authentication),
      this.addresses(item.forwardedAuthors),
      item.hasForwardedContent,
      item.labels.length === 0 ? undefined : item.labels.map((l) => this.string(l)),
      copies,
      item.contentHash,
      item.automated === undefined ? undefined : this.automatedOf(item.automated),
    );
  }

  private string(s: string): string {
    const known = this.strings.get(s);
    if (known !== undefined) return known;
    this.strings.set(s, s);
    return s;
  }

  /** The shared copy of an address list (undefined for an empty one). */
  private addresses(list: readonly Address[]): readonly Address[] | undefined {
    if (list.length === 0) return undefined;
    const key = JSON.stringify(list);
    const known = this.addressLists.get(key);
    if (known) return known;
    const kept = list.map(copyAddress);
    this.addressLists.set(key, kept);
    return kept;
  }

  private automatedOf(a: AutomatedMail): AutomatedMail {
    const key = `${a.kind}\u0000${a.reason}`;
    const known = this.automatedReasons.get(key);
    if (known) return known;
    const kept: AutomatedMail = { kind: a.kind, reason: a.reason };
    this.automatedReasons.set(key, kept);
    return kept;
  }

  private verdict(v: AuthenticationVerdict): AuthenticationVerdict {
    const key = JSON.stringify(v);
    const known = this.verdicts.get(key);
    if (known) return known;
    const kept = { ...v };
    this.verdicts.set(key, kept);
    return kept;
  }
}
