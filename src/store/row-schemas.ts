/**
 * Zod schemas for what comes back out of the database: the file may have been edited, restored
 * from an old backup or written by another version, so rows are checked before they are trusted.
 */
import { z } from 'zod';
import { ACTION_KINDS, RULE_IDS, SEVERITIES } from '../config/schema.js';
import type { Finding } from '../engine/types.js';
import {
  CONSOLE_ROLES,
  EFFECT_STATES,
  EXCEPTION_MATCHES,
  SETTLEMENT_KINDS,
  type ConsoleAuditEntry,
  type ConsoleSession,
  type ConsoleUser,
  type DigestContent,
  type DigestRow,
  type EffectPayload,
  type EffectRow,
  type EventSummary,
  type Settlement,
  type StandingException,
} from './types.js';

const EvidenceSchema = z.object({
  kind: z.enum(['phrase', 'fact']),
  text: z.string(),
  field: z.string().optional(),
});

const HitTargetsSchema = z.object({
  offender: z.string().optional(),
  notify: z.array(z.string()).optional(),
  invite: z.array(z.string()).optional(),
  room: z.object({ calendarId: z.string(), address: z.string().optional() }).optional(),
  occurrence: z.object({ start: z.string(), recurrenceId: z.string() }).optional(),
});

const PlannedActionSchema = z.object({
  kind: z.enum(ACTION_KINDS),
  to: z.array(z.string()),
  template: z.string().optional(),
  calendarId: z.string().optional(),
});

export const FindingSchema: z.ZodType<Finding> = z.object({
  rule: z.enum(RULE_IDS),
  severity: z.enum(SEVERITIES),
  clauses: z.array(z.string()),
  item: z.object({ kind: z.enum(['mail', 'event']), key: z.string() }),
  people: z.array(z.string()),
  summary: z.string(),
  actions: z.array(PlannedActionSchema),
  why: z.array(EvidenceSchema),
  messageId: z.string(),
  topic: z.string().optional(),
  private: z.boolean().optional(),
  targets: HitTargetsSchema,
});

export const EffectPayloadSchema: z.ZodType<EffectPayload> = z.object({
  summary: z.string(),
  severity: z.enum(SEVERITIES).optional(),
  clauses: z.array(z.string()),
  template: z.string().optional(),
  calendarId: z.string().optional(),
  to: z.array(z.string()).optional(),
  private: z.boolean().optional(),
  day: z.string().optional(),
});

/** Parse a JSON column, naming the table and row when it is not what it should be. */
export function parseJsonColumn<T>(schema: z.ZodType<T>, text: string, where: string): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`The state file holds unreadable data in ${where}: it is not valid JSON.`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new Error(`The state file holds unexpected data in ${where}: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}

const optionalText = z
  .string()
  .nullable()
  .transform((v) => v ?? undefined);

export const EffectDbRowSchema = z.object({
  id: z.number().int(),
  key: z.string(),
  kind: z.enum(ACTION_KINDS),
  rule: z.string(),
  item_key: z.string(),
  recipient: z.string(),
  payload: z.string(),
  state: z.enum(EFFECT_STATES),
  attempts: z.number().int(),
  next_attempt_at: z.string(),
  last_attempt_at: optionalText,
  last_error: optionalText,
  message_id: z.string(),
  created_at: z.string(),
  done_at: optionalText,
  person: optionalText,
  cap_day: optionalText,
  folded_into: optionalText,
  local_fault: z.number().int().optional(),
  released: z.number().int().default(0),
  // Added by migration 13.
  cover_text: optionalText.optional(),
});

export function toEffectRow(raw: unknown): EffectRow {
  const r = EffectDbRowSchema.parse(raw);
  const row: EffectRow = {
    id: r.id,
    key: r.key,
    kind: r.kind,
    rule: r.rule,
    itemKey: r.item_key,
    recipient: r.recipient,
    payload: parseJsonColumn(EffectPayloadSchema, r.payload, `the outbox (effect ${r.key})`),
    state: r.state,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    messageId: r.message_id,
    createdAt: r.created_at,
  };
  if (r.last_attempt_at !== undefined) row.lastAttemptAt = r.last_attempt_at;
  if (r.last_error !== undefined) row.lastError = r.last_error;
  if (r.done_at !== undefined) row.doneAt = r.done_at;
  if (r.person !== undefined) row.person = r.person;
  if (r.cap_day !== undefined) row.capDay = r.cap_day;
  if (r.folded_into !== undefined) row.foldedInto = r.folded_into;
  if (r.local_fault === 1) row.localFault = true;
  if (r.released === 1) row.released = true;
  if (r.cover_text !== undefined) row.coverText = r.cover_text;
  return row;
}

export const FindingDbRowSchema = z.object({
  rule: z.string(),
  item_key: z.string(),
  seq: z.number().int(),
  finding: z.string(),
  first_seen: z.string(),
  updated_at: z.string(),
});

export const SeenDbRowSchema = z.object({ content_hash: z.string() });

export const AuditDbRowSchema = z.object({
  id: z.number().int(),
  at: z.string(),
  effect_key: z.string(),
  kind: z.string(),
  recipient: z.string(),
  from_state: z.enum(EFFECT_STATES).nullable(),
  to_state: z.enum(EFFECT_STATES),
  outcome: z.string(),
  actor: optionalText.optional(),
});

export const ProblemDbRowSchema = z.object({
  origin: z.string(),
  kind: z.enum(['mail', 'calendar', 'source', 'config']),
  reason: z.string(),
  first_seen: z.string(),
  last_seen: z.string(),
  count: z.number().int(),
  severity: z.enum(['error', 'warning']),
});

export const DigestDbRowSchema = z.object({
  date: z.string(),
  message_id: z.string(),
  sent_at: z.string(),
  // Added by migration 13: absent (NULL) for digests recorded before the archive was kept.
  content: z.string().nullable().optional(),
});

export const DigestContentSchema: z.ZodType<DigestContent> = z.object({
  subject: z.string(),
  text: z.string(),
  html: z.string(),
  recipients: z.array(z.string()),
});

export function toDigestRow(raw: unknown): DigestRow {
  const r = DigestDbRowSchema.parse(raw);
  const row: DigestRow = { date: r.date, messageId: r.message_id, sentAt: r.sent_at };
  if (r.content !== null && r.content !== undefined) {
    const content = parseJsonColumn(DigestContentSchema, r.content, `the digests (${r.date})`);
    row.content = { subject: content.subject, text: content.text, html: content.html, recipients: content.recipients };
  }
  return row;
}

export const SourceHealthDbRowSchema = z.object({
  source: z.string(),
  last_success: z.string().nullable(),
  last_error_at: z.string().nullable(),
  last_error: z.string().nullable(),
});

export const CursorDbRowSchema = z.object({ value: z.string() });

export const CountRowSchema = z.object({ n: z.number().int() });

export const StringListSchema = z.array(z.string());

export const EventDbRowSchema = z.object({
  key: z.string(),
  calendar_id: z.string(),
  summary: z.string(),
  start: z.string(),
  end: z.string(),
  location: z.string(),
  kinds: z.string(),
  wards: z.string(),
  organizer: z.string().nullable(),
  attendees: z.string(),
  // Added by migration 3: absent (NULL) for events recorded before it.
  organizer_name: z.string().nullable().optional(),
  origin: z.string().nullable().optional(),
  etag: z.string().nullable().optional(),
  sequence: z.number().int().nullable().optional(),
  all_day: z.number().int().nullable().optional(),
});

export function toEventSummary(raw: unknown): EventSummary {
  const r = EventDbRowSchema.parse(raw);
  const where = (column: string): string => `the events (${column} of ${r.key})`;
  const summary: EventSummary = {
    key: r.key,
    calendarId: r.calendar_id,
    summary: r.summary,
    start: r.start,
    end: r.end,
    location: r.location,
    kinds: parseJsonColumn(StringListSchema, r.kinds, where('kinds')),
    wards: parseJsonColumn(StringListSchema, r.wards, where('wards')),
    attendees: parseJsonColumn(StringListSchema, r.attendees, where('attendees')),
  };
  if (r.organizer !== null) summary.organizer = r.organizer;
  if (r.organizer_name !== null && r.organizer_name !== undefined) summary.organizerName = r.organizer_name;
  if (r.origin !== null && r.origin !== undefined) summary.origin = r.origin;
  if (r.etag !== null && r.etag !== undefined) summary.etag = r.etag;
  if (r.sequence !== null && r.sequence !== undefined) summary.sequence = r.sequence;
  if (r.all_day !== null && r.all_day !== undefined) summary.allDay = r.all_day !== 0;
  return summary;
}

export const OriginalDbRowSchema = z.object({ source: z.instanceof(Buffer) });

const AddressSchema = z.object({ address: z.string(), name: z.string().optional() });

export const MailHeadlineSchema = z.object({
  subject: z.string(),
  date: z.string().optional(),
  from: z.array(AddressSchema),
  to: z.array(AddressSchema),
  cc: z.array(AddressSchema),
  references: z.array(z.string()).optional(),
});

export const HeadlineDbRowSchema = z.object({ headline: z.string().nullable() });

export const NeedsHumanDbRowSchema = z.object({
  item_key: z.string(),
  rule: z.string(),
  message: z.string(),
  first_seen: z.string(),
  last_seen: z.string(),
  count: z.number().int(),
});

export const DigestAttemptDbRowSchema = z.object({
  date: z.string(),
  message_id: z.string(),
  since: z.string().nullable(),
  until: z.string(),
  started_at: z.string(),
  in_doubt_since: z.string().nullable().optional(),
});

export const StoreIdentityDbRowSchema = z.object({
  id: z.string(),
  created_at: z.string(),
  first_start: z.string().nullable(),
  fresh_start: z.string().nullable(),
});

export const SettlementDbRowSchema = z.object({
  id: z.number().int(),
  rule: z.string(),
  item_key: z.string(),
  kind: z.enum(SETTLEMENT_KINDS),
  message_id: z.string(),
  reason: z.string(),
  actor: z.string(),
  at: z.string(),
  exception_id: z.number().int().nullable(),
});

export function toSettlement(raw: unknown): Settlement {
  const r = SettlementDbRowSchema.parse(raw);
  const settlement: Settlement = { id: r.id, rule: r.rule, itemKey: r.item_key, kind: r.kind, reason: r.reason, actor: r.actor, at: r.at };
  // '' stands for "every finding of the rule on the item" (see migration 13).
  if (r.message_id !== '') settlement.messageId = r.message_id;
  if (r.exception_id !== null) settlement.exceptionId = r.exception_id;
  return settlement;
}

export const StandingExceptionDbRowSchema = z.object({
  id: z.number().int(),
  rule: z.string().nullable(),
  match: z.enum(EXCEPTION_MATCHES),
  value: z.string(),
  reason: z.string(),
  actor: z.string(),
  created_at: z.string(),
  expires_at: z.string(),
  revoked_at: z.string().nullable(),
  revoked_by: z.string().nullable(),
});

export function toStandingException(raw: unknown): StandingException {
  const r = StandingExceptionDbRowSchema.parse(raw);
  const exception: StandingException = {
    id: r.id,
    match: r.match,
    value: r.value,
    reason: r.reason,
    actor: r.actor,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
  };
  if (r.rule !== null) exception.rule = r.rule;
  if (r.revoked_at !== null) exception.revokedAt = r.revoked_at;
  if (r.revoked_by !== null) exception.revokedBy = r.revoked_by;
  return exception;
}

export const ConsoleUserDbRowSchema = z.object({
  username: z.string(),
  display_name: z.string(),
  role: z.enum(CONSOLE_ROLES),
  password_hash: z.string().nullable(),
  created_at: z.string(),
});

export function toConsoleUser(raw: unknown): ConsoleUser {
  const r = ConsoleUserDbRowSchema.parse(raw);
  const user: ConsoleUser = { username: r.username, displayName: r.display_name, role: r.role, createdAt: r.created_at };
  if (r.password_hash !== null) user.passwordHash = r.password_hash;
  return user;
}

export const ConsoleSessionDbRowSchema = z.object({
  id_hash: z.string(),
  username: z.string(),
  csrf_token: z.string(),
  created_at: z.string(),
  last_seen_at: z.string(),
  expires_at: z.string(),
  absolute_expires_at: z.string(),
});

export function toConsoleSession(raw: unknown): ConsoleSession {
  const r = ConsoleSessionDbRowSchema.parse(raw);
  return {
    idHash: r.id_hash,
    username: r.username,
    csrfToken: r.csrf_token,
    createdAt: r.created_at,
    lastSeenAt: r.last_seen_at,
    expiresAt: r.expires_at,
    absoluteExpiresAt: r.absolute_expires_at,
  };
}

export const ConsoleAuditDbRowSchema = z.object({
  id: z.number().int(),
  at: z.string(),
  actor: z.string(),
  action: z.string(),
  subject: z.string(),
  detail: z.string(),
});

export function toConsoleAuditEntry(raw: unknown): ConsoleAuditEntry {
  const r = ConsoleAuditDbRowSchema.parse(raw);
  return { id: r.id, at: r.at, actor: r.actor, action: r.action, subject: r.subject, detail: r.detail };
}
