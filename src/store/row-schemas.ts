/**
 * Zod schemas for what comes back out of the database: the file may have been edited, restored
 * from an old backup or written by another version, so rows are checked before they are trusted.
 */
import { z } from 'zod';
import { ACTION_KINDS, RULE_IDS, SEVERITIES } from '../config/schema.js';
import type { Finding } from '../engine/types.js';
import { EFFECT_STATES, type EffectPayload, type EffectRow, type EventSummary } from './types.js';

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

export const DigestDbRowSchema = z.object({ date: z.string(), message_id: z.string(), sent_at: z.string() });

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
