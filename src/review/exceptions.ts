/**
 * Standing exceptions, matched against an item as it is evaluated: "findings like this are not
 * breaches until …". A sender exception matches the mail's From address or the event's organiser;
 * a recipient-domain exception matches when any To, Cc or Bcc address (or any attendee) is at that
 * domain or below it; a phrase exception matches words in the subject or body (the event's title
 * or description), ignoring case and how the words are spaced or wrapped.
 *
 * Matching takes time in proportion to the item's text and the phrase (no regular expressions,
 * which a hostile phrase or text could make slow): the text is searched with Knuth–Morris–Pratt.
 */
import type { Item } from '../items/types.js';
import type { StandingException } from '../store/types.js';

/** What an exception can match on an item. */
export interface ExceptionSubject {
  /** The From address of a message, or the organiser of an event, lower-cased. */
  sender?: string;
  /** Every To, Cc and Bcc address of a message, or every attendee of an event, lower-cased. */
  recipients: string[];
  /** Subject and body of a message, or title and description of an event. */
  texts: string[];
}

/** What an exception can match on this item. */
export function exceptionSubjectOf(item: Item): ExceptionSubject {
  if (item.kind === 'mail') {
    const sender = item.from[0]?.address;
    return {
      ...(sender !== undefined ? { sender: sender.toLowerCase() } : {}),
      recipients: [...item.to, ...item.cc, ...item.bcc].map((a) => a.address.toLowerCase()),
      texts: [item.subject, item.text],
    };
  }
  const organiser = item.organizer?.address;
  return {
    ...(organiser !== undefined ? { sender: organiser.toLowerCase() } : {}),
    recipients: item.attendees.map((a) => a.address.toLowerCase()),
    texts: [item.summary, item.description],
  };
}

/** Lower-cased, with every run of white space one space: how phrases and texts are compared. */
export function normalisePhrase(text: string): string {
  let out = '';
  let space = false;
  for (const ch of text.toLowerCase()) {
    if (/\s/u.test(ch)) {
      space = out !== '';
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += ch;
  }
  return out;
}

/** Knuth–Morris–Pratt: does `text` contain `pattern`? Linear in both lengths. */
export function containsText(text: string, pattern: string): boolean {
  if (pattern === '') return true;
  const failure = new Array<number>(pattern.length).fill(0);
  for (let i = 1, k = 0; i < pattern.length; i++) {
    while (k > 0 && pattern[i] !== pattern[k]) k = failure[k - 1] ?? 0;
    if (pattern[i] === pattern[k]) k++;
    failure[i] = k;
  }
  for (let i = 0, k = 0; i < text.length; i++) {
    while (k > 0 && text[i] !== pattern[k]) k = failure[k - 1] ?? 0;
    if (text[i] === pattern[k]) k++;
    if (k === pattern.length) return true;
  }
  return false;
}

/** The domain of an address, lower-cased (empty when it has none). */
function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  return at < 0 ? '' : address.slice(at + 1).toLowerCase();
}

/** True when `domain` is `value` or one of its subdomains. */
function atDomain(domain: string, value: string): boolean {
  return domain === value || domain.endsWith(`.${value}`);
}

/** True when the exception is in force at `now`: not revoked, not yet expired. */
export function exceptionInForce(exception: StandingException, now: string): boolean {
  return exception.revokedAt === undefined && Date.parse(exception.expiresAt) > Date.parse(now);
}

/** The item's texts as phrases are compared with them, worked out once however many phrases there are. */
function comparableTexts(subject: ExceptionSubject): () => string[] {
  let texts: string[] | undefined;
  return () => (texts ??= subject.texts.map(normalisePhrase));
}

function matches(exception: StandingException, subject: ExceptionSubject, texts: () => string[]): boolean {
  const value = exception.value.trim().toLowerCase();
  if (value === '') return false;
  switch (exception.match) {
    case 'sender':
      return subject.sender === value;
    case 'recipient-domain': {
      const wanted = value.replace(/^@/, '');
      return subject.recipients.some((r) => atDomain(domainOf(r), wanted));
    }
    case 'phrase': {
      const phrase = normalisePhrase(value);
      return texts().some((t) => containsText(t, phrase));
    }
  }
}

/** True when the exception's match holds for the item (whatever its rule and expiry). */
export function exceptionMatchesSubject(exception: StandingException, subject: ExceptionSubject): boolean {
  return matches(exception, subject, comparableTexts(subject));
}

/** Matches exceptions against one item, normalising its texts once for every phrase and finding. */
export class ExceptionMatcher {
  private readonly texts: () => string[];

  constructor(private readonly subject: ExceptionSubject) {
    this.texts = comparableTexts(subject);
  }

  /**
   * The first exception (in the order given) that covers a finding of `rule` on the item at `now`:
   * one for that rule or for every rule, in force, whose match holds. Undefined when none does.
   */
  covering(exceptions: readonly StandingException[], rule: string, now: string): StandingException | undefined {
    return exceptions.find((e) => (e.rule === undefined || e.rule === rule) && exceptionInForce(e, now) && matches(e, this.subject, this.texts));
  }
}

/** `new ExceptionMatcher(subject).covering(…)`, for one finding. */
export function exceptionCovering(exceptions: readonly StandingException[], rule: string, subject: ExceptionSubject, now: string): StandingException | undefined {
  return new ExceptionMatcher(subject).covering(exceptions, rule, now);
}
