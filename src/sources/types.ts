/**
 * What a connector offers the service. A connector talks to its own system only and hands over
 * raw records; it knows nothing about rules.
 */
import type { Address, RawRecord, Problem } from '../items/types.js';

/** Where a connector keeps its position (IMAP UIDVALIDITY+UID, CalDAV sync token, Graph delta link). */
export interface CursorStore {
  getCursor(source: string, key: string): Promise<string | undefined>;
  setCursor(source: string, key: string, value: string): Promise<void>;
}

/**
 * Events as a cloud calendar API gives them (JSON), one series or single event with its changed
 * occurrences: read by the same mapper into the same items (keys from iCalendar UID and
 * RECURRENCE-ID) as the same event given as iCalendar text. See src/items/normalised-event.ts.
 */
export interface EventsRecord {
  kind: 'events';
  calendarId: string;
  /** Where the source keeps it (a Graph or Google event id), for reports and removals. */
  origin: string;
  /** The source's version token (Graph changeKey, Google etag). */
  etag?: string;
  /** Checked by the mapper's schema: whatever a connector hands over is outside input. */
  events: readonly unknown[];
}

/** What a source hands over: a raw message (bytes), calendar text (ICS), or normalised events. */
export type SourceRecord = RawRecord | EventsRecord;

/**
 * Something a source no longer holds: an event deleted or cancelled, a message deleted. Effects
 * planned for it that have not been carried out yet (pending, or waiting for working hours) are
 * withdrawn, and the digest lists them as withdrawn; nothing already being sent or sent is touched.
 */
export type Removal =
  | {
      kind: 'event';
      calendarId: string;
      /** `deleted`: gone from the calendar; `cancelled`: the organiser cancelled it (a cloud API's flag). */
      reason: 'deleted' | 'cancelled';
      /** The event as iCalendar names it; absent when the source knows only where it kept it (a file). */
      uid?: string;
      /** One occurrence only (ISO 8601 UTC), when just that occurrence went. */
      recurrenceId?: string;
      /** Where the source kept it (file path, CalDAV href, Graph id): without a uid, every event read from there. */
      origin: string;
    }
  | {
      kind: 'mail';
      /** The Message-ID, angle brackets kept. */
      messageId: string;
      mailbox: string;
      folder: string;
      origin: string;
    };

export interface RecordSink {
  /** Hand over one record; resolves when it has been taken (parsed and stored). */
  record(record: SourceRecord): Promise<void>;
  /** Something the source no longer holds; resolves once what was planned for it is withdrawn. */
  removed(removal: Removal): Promise<void>;
  /** Report something that could not be read. */
  problem(problem: Problem): void;
}

/** A reference to an event as its source knows it. */
export interface EventRef {
  calendarId: string;
  uid: string;
  recurrenceId?: string;
  /** Source-specific location (CalDAV href, Graph id, file path). */
  origin: string;
  etag?: string;
}

export interface SourceCapabilities {
  /** Can add attendees to the organiser's event in place. */
  addAttendees: boolean;
  /** Can decline a booking on a room calendar. */
  declineBooking: boolean;
}

export interface SourceHealth {
  source: string;
  lastSuccess?: string;
  lastError?: { at: string; message: string };
}

/** Mail and calendars a connector reads. */
export interface Source {
  readonly name: string;
  /** One pass over everything new since the stored cursors. */
  sync(sink: RecordSink): Promise<void>;
  /** Watch for changes until `signal` aborts; calls `sync` (or pushes records) as changes arrive. */
  watch(sink: RecordSink, signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

/** Changes a connector can make to the events on the calendars it reads. */
export interface CalendarEditor {
  readonly name: string;
  readonly capabilities: SourceCapabilities;
  addAttendees(ref: EventRef, attendees: Address[]): Promise<void>;
  /** Decline the booking for the room (`roomAddress`) with a reason citing the clause. */
  declineBooking(ref: EventRef, roomAddress: string | undefined, reason: string): Promise<void>;
}

/** A source that is also the editor of its calendars (the folder and IMAP connectors are both). */
export interface SourceConnector extends Source, CalendarEditor {
  readonly name: string;
}

export interface OutgoingAttachment {
  filename: string;
  contentType: string;
  content: Buffer | string;
}

export interface OutgoingMessage {
  from: Address;
  to: Address[];
  cc?: Address[];
  subject: string;
  text: string;
  html?: string;
  /** Deterministic Message-ID derived from the idempotency key, angle brackets included. */
  messageId: string;
  /** Extra headers; always includes X-Wardwatch-Key. */
  headers: Record<string, string>;
  attachments?: OutgoingAttachment[];
  /** An iMIP part (RFC 6047): text/calendar with the given method. */
  calendar?: { method: 'REQUEST' | 'CANCEL' | 'REPLY'; content: string };
}

/**
 * Whether a message went out: true or false when the sender knows, `'unknown'` when it knows a
 * send was under way but not whether the server took the message (the outbox then holds it in
 * doubt, or sends it again under `delivery: at-least-once`).
 */
export type SentAnswer = boolean | 'unknown';

/** Why a sender cannot send at all (its server refuses its login), and since when (ISO 8601). */
export interface SenderProblem {
  reason: string;
  since: string;
}

export interface MailSender {
  readonly name: string;
  send(message: OutgoingMessage): Promise<void>;
  /** Why this sender cannot send now, for /healthz, /metrics and the digest; undefined when it can. */
  problem?(): SenderProblem | undefined;
  /**
   * Whether queued messages may be tried now (undefined) or why not. The sender may check with
   * its server (a login) on its own schedule; the outbox tries nothing while it says no.
   */
  readiness?(): Promise<string | undefined>;
  /**
   * Whether a message with this Message-ID was already sent (to recognise a half-sent effect after
   * a crash). A sender without it cannot tell at all.
   */
  alreadySent?(messageId: string): Promise<SentAnswer>;
  /**
   * Where this sender's own records show that Wardwatch has sent mail before (the outbox folder,
   * the Sent folder), in a sentence; undefined when they show none. Used to refuse starting afresh
   * over a lost state file, which would send everything again.
   */
  earlierSending?(): Promise<string | undefined>;
  close(): Promise<void>;
}
