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

export interface RecordSink {
  /** Hand over one raw record; resolves when it has been taken (parsed and stored). */
  record(record: RawRecord): Promise<void>;
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

export interface SourceConnector {
  readonly name: string;
  readonly capabilities: SourceCapabilities;
  /** One pass over everything new since the stored cursors. */
  sync(sink: RecordSink): Promise<void>;
  /** Watch for changes until `signal` aborts; calls `sync` (or pushes records) as changes arrive. */
  watch(sink: RecordSink, signal: AbortSignal): Promise<void>;
  addAttendees(ref: EventRef, attendees: Address[]): Promise<void>;
  /** Decline the booking for the room (`roomAddress`) with a reason citing the clause. */
  declineBooking(ref: EventRef, roomAddress: string | undefined, reason: string): Promise<void>;
  close(): Promise<void>;
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

export interface MailSender {
  readonly name: string;
  send(message: OutgoingMessage): Promise<void>;
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
