/**
 * One message, many copies: the same Message-ID found in several watched mailboxes (the sender's
 * Sent folder, each recipient's Inbox) is one item. Merging keeps everything any copy knows —
 * every place it was seen, every blind recipient, every label — so the rules judge it once.
 */
import crypto from 'node:crypto';
import { uniqueAddresses } from './addresses.js';
import type { Address, AuthenticationVerdict, AutomatedMail, MailCopy, MailItem, Sensitivity } from './types.js';

/** The wording used when a message's own Sent copy vouches for it. */
export const SENT_COPY_DETAIL = 'found in the sender’s own Sent folder, so it was sent from their mailbox';

/** True when `copy` is the Sent-folder copy of the mailbox the message says it is from (or sent by). */
export function isSendersSentCopy(item: Pick<MailItem, 'from' | 'sender'>, copy: MailCopy): boolean {
  if (copy.folder !== 'sent') return false;
  const mailbox = copy.mailbox.toLowerCase();
  return item.from.some((a) => a.address === mailbox) || item.sender?.address === mailbox;
}

/**
 * The verdict for a message whose Sent-folder copy proves it came from the sender's own mailbox.
 * Results other copies' servers reported are dropped: they judged a message this copy vouches for.
 */
export function sentCopyVerdict(): AuthenticationVerdict {
  return { failed: false, detail: SENT_COPY_DETAIL, trustedPass: true };
}

/** A gateway's tag at the start of a subject ("[EXTERNAL] …"): some copies of a message gain one in transit. */
const SUBJECT_TAG = /^\[[^[\]]{1,40}\]\s*/;

/** The subject as every copy of one message has it: tags added in transit removed, spaces and case evened out. */
function comparableSubject(subject: string): string {
  let s = subject.trim();
  for (let i = 0; i < 3; i++) {
    const tag = SUBJECT_TAG.exec(s);
    if (!tag) break;
    s = s.slice(tag[0].length);
  }
  return s.replace(/\s+/g, ' ').toLowerCase();
}

/** What every copy of one message has in common: its author, its Date and its subject. */
function identity(item: Pick<MailItem, 'from' | 'date' | 'subject'>): string {
  return `${item.from[0]?.address ?? ''}\u0000${item.date ?? ''}\u0000${comparableSubject(item.subject)}`;
}

/**
 * True when `a` and `b`, sharing a Message-ID, are copies of one message (seen in several mailboxes
 * or folders), not two messages that reuse one ID (a misbehaving mail program, a copied draft, a
 * forged ID). Copies share their From, Date and subject; their bodies are not compared, because a
 * gateway may add a banner or a list its footer to some copies only.
 */
export function sameMessage(a: Pick<MailItem, 'from' | 'date' | 'subject'>, b: Pick<MailItem, 'from' | 'date' | 'subject'>): boolean {
  return identity(a) === identity(b);
}

/**
 * The key of a message whose Message-ID another, different message also has: the ID followed by
 * `#` and a fingerprint of the message's identity, the same for each of its copies and whichever
 * message was read first. (Threading uses the part before `#`.)
 */
export function collisionKey(item: Pick<MailItem, 'key' | 'from' | 'date' | 'subject'>): string {
  const base = baseMessageKey(item.key);
  return `${base}#${crypto.createHash('sha256').update(identity(item), 'utf8').digest('hex').slice(0, 12)}`;
}

/** The Message-ID part of a mail item's key (the key itself unless it was told apart by `#…`). */
export function baseMessageKey(key: string): string {
  const close = key.indexOf('>#');
  return close > 0 ? key.slice(0, close + 1) : key;
}

function copyKey(copy: MailCopy): string {
  return `${copy.mailbox}\u0000${copy.folder}\u0000${copy.origin}`;
}

/** Every distinct copy, in a stable order (mailbox, folder, origin) whichever side it came from. */
function mergeCopies(a: readonly MailCopy[], b: readonly MailCopy[]): MailCopy[] {
  const byKey = new Map<string, MailCopy>();
  for (const copy of [...a, ...b]) if (!byKey.has(copyKey(copy))) byKey.set(copyKey(copy), copy);
  return [...byKey.entries()].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)).map(([, copy]) => copy);
}

function unionStrings(a: readonly string[], b: readonly string[], caseInsensitive: boolean): string[] {
  const seen = new Map<string, string>();
  for (const value of [...a, ...b]) {
    const key = caseInsensitive ? value.toLowerCase() : value;
    if (!seen.has(key)) seen.set(key, value);
  }
  return [...seen.values()];
}

function unionAddresses(a: readonly Address[], b: readonly Address[]): Address[] {
  return uniqueAddresses([...a, ...b]);
}

const SENSITIVITY_RANK: Record<Sensitivity, number> = { normal: 0, personal: 1, private: 2, confidential: 3 };

function hasResults(v: AuthenticationVerdict): boolean {
  return v.spf !== undefined || v.dkim !== undefined || v.dmarc !== undefined;
}

function mergeAuthentication(a: MailItem, b: MailItem, copies: readonly MailCopy[]): AuthenticationVerdict {
  const sentCopy = copies.some((c) => isSendersSentCopy(a, c) || isSendersSentCopy(b, c));
  if (sentCopy) return sentCopyVerdict();
  if (a.authentication.failed) return a.authentication;
  if (b.authentication.failed) return b.authentication;
  if (b.authentication.trustedPass && !a.authentication.trustedPass) return b.authentication;
  if (!hasResults(a.authentication) && hasResults(b.authentication)) return b.authentication;
  return a.authentication;
}

/**
 * A message is automated only when every copy says so: a list server adds its List-Id and
 * Precedence to the copies it delivers, but the author's own Sent copy, without them, shows a
 * person wrote it. (An autoresponder's own marks are on every copy.) When both say so, the same
 * evidence is kept whichever copy came first.
 */
function mergeAutomated(a: AutomatedMail | undefined, b: AutomatedMail | undefined): AutomatedMail | undefined {
  if (a === undefined || b === undefined) return undefined;
  const ka = `${a.kind}\u0000${a.reason}`;
  const kb = `${b.kind}\u0000${b.reason}`;
  return kb < ka ? b : a;
}

/**
 * Merge two copies of the same message (same `key`). `a` is the copy seen first: its header
 * fields and content hash are kept; what `b` adds is folded in. Recipients, blind copies, copies,
 * labels and the authentication verdict come out the same whichever way round the two are given.
 */
export function mergeMail(a: MailItem, b: MailItem): MailItem {
  const copies = mergeCopies(a.copies, b.copies);
  const richer = b.text.length > a.text.length ? b : a;
  const to = unionAddresses(a.to, b.to);
  const cc = unionAddresses(a.cc, b.cc);
  const date = a.date ?? b.date;
  const inReplyTo = a.inReplyTo ?? b.inReplyTo;
  const sender = a.sender ?? b.sender;
  return {
    kind: 'mail',
    key: a.key,
    syntheticKey: a.syntheticKey && b.syntheticKey,
    from: a.from.length > 0 ? a.from : b.from,
    sender: sender || undefined,
    replyTo: unionAddresses(a.replyTo, b.replyTo),
    to,
    cc,
    bcc: unionAddresses(a.bcc, b.bcc),
    date: date || undefined,
    subject: a.subject.length > 0 ? a.subject : b.subject,
    inReplyTo: inReplyTo || undefined,
    references: unionStrings(a.references, b.references, false),
    sensitivity: SENSITIVITY_RANK[b.sensitivity] > SENSITIVITY_RANK[a.sensitivity] ? b.sensitivity : a.sensitivity,
    importance: a.importance !== 'normal' ? a.importance : b.importance,
    authentication: mergeAuthentication(a, b, copies),
    text: richer.text,
    forwardedAuthors: unionAddresses(a.forwardedAuthors, b.forwardedAuthors),
    hasForwardedContent: a.hasForwardedContent || b.hasForwardedContent,
    labels: unionStrings(a.labels, b.labels, true),
    attachments: b.attachments.length > a.attachments.length ? b.attachments : a.attachments,
    copies,
    contentHash: a.contentHash,
    automated: mergeAutomated(a.automated, b.automated),
  };
}
