/**
 * Normalized items: what every connector's output becomes before the rules see it.
 * These are plain data (JSON-serialisable) so they can be stored, hashed and replayed.
 */

/** An e-mail address, always lower-cased, with the display name when one was given. */
export interface Address {
  address: string;
  name?: string;
}

/** Where one copy of a message was found. */
export interface MailCopy {
  /** The watched mailbox (its owner's address, lower-cased). */
  mailbox: string;
  /** Folder, normalized: `inbox`, `sent`, or the folder's own name lower-cased. */
  folder: string;
  /** Where it came from (file path, IMAP URL, Graph id) — for reports only. */
  origin: string;
}

export type AuthResultValue = 'pass' | 'fail' | 'softfail' | 'neutral' | 'none' | 'temperror' | 'permerror' | 'policy';

/** What the receiving servers said about the message's authenticity (RFC 8601 Authentication-Results). */
export interface AuthenticationVerdict {
  spf?: AuthResultValue;
  dkim?: AuthResultValue;
  dmarc?: AuthResultValue;
  /** True when a check failed for the domain of the address the message claims to be From. */
  failed: boolean;
  /** One-line human explanation, e.g. "dmarc=fail for knutsford-tc.gov.uk". */
  detail: string;
  /**
   * Present (true) only when a trusted receiving server passed the message for its From domain,
   * or its own Sent copy vouches for it: what lets a message be attributed to a council person.
   */
  trustedPass?: true;
}

export type Sensitivity = 'normal' | 'personal' | 'private' | 'confidential';
export type Importance = 'low' | 'normal' | 'high';

export interface AttachmentInfo {
  filename?: string;
  contentType: string;
  size: number;
}

/** What kind of mail, not written by a person, a message is (see src/items/automated.ts). */
export type AutomatedKind = 'auto-reply' | 'auto-generated' | 'bulk' | 'bounce' | 'receipt';

/** Why a message is not correspondence: no rule judges it. */
export interface AutomatedMail {
  kind: AutomatedKind;
  /** The evidence, in words, e.g. "it says it was sent automatically (Auto-Submitted: auto-replied)". */
  reason: string;
}

export interface MailItem {
  kind: 'mail';
  /** Internet Message-ID with angle brackets kept; a synthetic `<sha256hex@wardwatch.invalid>` if the message has none. */
  key: string;
  /** True when the key was synthesized because the message had no usable Message-ID. */
  syntheticKey: boolean;
  from: Address[];
  sender?: Address;
  replyTo: Address[];
  to: Address[];
  cc: Address[];
  /** Bcc header (present in sent copies) plus blind recipients learned by merging copies. */
  bcc: Address[];
  /** ISO 8601 UTC, when the message has a parsable Date. */
  date?: string;
  subject: string;
  inReplyTo?: string;
  references: string[];
  sensitivity: Sensitivity;
  importance: Importance;
  authentication: AuthenticationVerdict;
  /** Plain text body (derived from HTML when that is all there is). */
  text: string;
  /** Original author(s) of forwarded content (Outlook From:/Sent: blocks, Gmail forwarded blocks, attached message/rfc822). */
  forwardedAuthors: Address[];
  /** True when the message carries forwarded content (any of the forms above). */
  hasForwardedContent: boolean;
  /** Categories / keywords / labels attached to the message (Keywords header, X-Keywords, Gmail labels, Graph categories). */
  labels: string[];
  attachments: AttachmentInfo[];
  /** Every place this message was seen. Merging copies appends here. */
  copies: MailCopy[];
  /** sha256 of the raw source (first copy seen). */
  contentHash: string;
  /** Set when the message is an automatic reply, bulk mail, a bounce or a receipt: no rule judges it. */
  automated?: AutomatedMail;
}

export type AttendeeRole = 'CHAIR' | 'REQ-PARTICIPANT' | 'OPT-PARTICIPANT' | 'NON-PARTICIPANT';
export type PartStat = 'NEEDS-ACTION' | 'ACCEPTED' | 'DECLINED' | 'TENTATIVE' | 'DELEGATED';
export type CuType = 'INDIVIDUAL' | 'GROUP' | 'RESOURCE' | 'ROOM' | 'UNKNOWN';

export interface Attendee extends Address {
  role: AttendeeRole;
  partstat: PartStat;
  cutype: CuType;
}

export interface Occurrence {
  /** ISO 8601 UTC instants. */
  start: string;
  end: string;
  /** The occurrence's RECURRENCE-ID as an ISO 8601 UTC instant. */
  recurrenceId: string;
}

export type EventStatus = 'TENTATIVE' | 'CONFIRMED' | 'CANCELLED';

export interface EventItem {
  kind: 'event';
  /** UID, with `#<RECURRENCE-ID as ISO UTC>` appended for an overridden single occurrence. */
  key: string;
  uid: string;
  /** Present for an overridden single occurrence (ISO 8601 UTC). */
  recurrenceId?: string;
  /** The calendar it was found in (the id named in the config's `calendars`). */
  calendarId: string;
  /** iTIP method of the enclosing VCALENDAR, if any (REQUEST, PUBLISH, CANCEL, …). */
  method?: string;
  summary: string;
  description: string;
  location: string;
  categories: string[];
  /** ISO 8601 UTC instants. For an all-day event: midnight in the council's timezone of the first day, and of the day after the last. */
  start: string;
  end: string;
  allDay: boolean;
  /** IANA zone the event was written in, when known (Windows names are mapped). */
  timeZone?: string;
  status: EventStatus;
  /** PUBLIC, PRIVATE, CONFIDENTIAL. */
  classification: string;
  organizer?: Address;
  attendees: Attendee[];
  sequence: number;
  /** True for a recurring series master. */
  recurring: boolean;
  /** Occurrences of a recurring series inside the expansion horizon (empty for a single event). */
  occurrences: Occurrence[];
  /** Where it came from (file path, CalDAV href, Graph id) — for reports only. */
  origin: string;
  /** Opaque per-source token needed to write the event back (CalDAV ETag, Graph changeKey). */
  etag?: string;
  /** sha256 of the raw component source. */
  contentHash: string;
}

export type Item = MailItem | EventItem;

/** A raw record as a connector hands it over, before parsing. */
export type RawRecord =
  | { kind: 'mail'; source: Buffer; mailbox: string; folder: string; origin: string }
  | { kind: 'calendar'; source: string; calendarId: string; origin: string; etag?: string };

/**
 * How bad a problem is. `error`: the file, or part of it (an event), could not be read and was
 * skipped. `warning`: it was read, with a remark worth knowing (a duplicate UID settled by SEQUENCE,
 * a time zone read by its name, a line left out).
 */
export type ProblemSeverity = 'error' | 'warning';

/** Something a connector or parser could not use. It is reported, never silently dropped. */
export interface Problem {
  origin: string;
  kind: 'mail' | 'calendar' | 'source' | 'config';
  reason: string;
  /** Absent means `error`. */
  severity?: ProblemSeverity;
}
