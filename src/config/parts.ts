/**
 * The parts of the configuration that the directory, the elections and the rules read: people,
 * wards, elections, calendars and the council itself, with the vocabularies they use. They sit
 * below the rule catalogue, which the whole schema (src/config/schema.ts) takes its rule ids from.
 */
import { z } from 'zod';

export const ACTION_KINDS = ['nudge', 'warn', 'notify', 'notify-clerk', 'route-to-clerk', 'invite', 'block', 'digest'] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];

export const SEVERITIES = ['info', 'warning', 'error'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const ROLES = ['clerk', 'officer', 'member'] as const;
export type Role = (typeof ROLES)[number];

export const TITLES = ['mayor', 'deputy-mayor', 'chairman', 'vice-chairman', 'leader'] as const;
export type Title = (typeof TITLES)[number];

export const emailAddress = z
  .string()
  .trim()
  .regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, { message: 'expected an e-mail address such as clerk@example-tc.gov.uk' })
  .transform((s) => s.toLowerCase());

export const domainName = z
  .string()
  .trim()
  .regex(/^(?!-)[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/, { message: 'expected a domain such as knutsford-tc.gov.uk (no @, no scheme)' })
  .transform((s) => s.toLowerCase());

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'expected a date as YYYY-MM-DD' });

const wardId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]*$/, { message: 'expected a ward id in lower case letters, digits and hyphens, e.g. bexton' });

export const PersonSchema = z
  .object({
    name: z.string().min(1),
    emails: z.array(emailAddress).min(1, { message: 'expected at least one e-mail address' }),
    role: z.enum(ROLES),
    wards: z.array(wardId).default([]),
    titles: z.array(z.enum(TITLES)).default([]),
    party: z.string().optional(),
    manager: emailAddress.optional(),
    /** How messages greet them after "Dear" ("Councillor Mehta", "Mr Okafor", "Jane"); default from the role and name. */
    salutation: z.string().trim().min(1).optional(),
  })
  .strict();
export type PersonConfig = z.infer<typeof PersonSchema>;

export const WardSchema = z
  .object({
    id: wardId,
    name: z.string().min(1),
    places: z.array(z.string().min(2)).default([]),
    postcodes: z.array(z.string().min(2)).default([]),
  })
  .strict();
export type WardConfig = z.infer<typeof WardSchema>;

export const ElectionSchema = z
  .object({
    poll: isoDate,
    wards: z.union([z.literal('all'), z.array(wardId).min(1)]).default('all'),
    preElectionStart: isoDate.optional(),
    name: z.string().optional(),
  })
  .strict();
export type ElectionConfig = z.infer<typeof ElectionSchema>;

export const CalendarSchema = z
  .object({
    id: z.string().min(1),
    role: z.enum(['council', 'room', 'member', 'officer']),
    /** For a room calendar: the room's own address as it appears as an ATTENDEE (CUTYPE=ROOM). */
    address: emailAddress.optional(),
    name: z.string().optional(),
  })
  .strict();
export type CalendarConfig = z.infer<typeof CalendarSchema>;

export const MailboxSchema = z
  .object({
    address: emailAddress,
    folders: z.array(z.string().min(1)).default(['inbox', 'sent']),
  })
  .strict();
export type MailboxConfig = z.infer<typeof MailboxSchema>;

export const CouncilSchema = z
  .object({
    name: z.string().min(1),
    timezone: z.string().default('Europe/London'),
    domains: z.array(domainName).min(1, { message: 'expected at least one council domain' }),
    serviceAddress: emailAddress,
  })
  .strict();
export type CouncilConfig = z.infer<typeof CouncilSchema>;
