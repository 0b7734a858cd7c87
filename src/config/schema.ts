/**
 * The council's configuration file, as a zod schema. This one schema validates the YAML,
 * types the code, and generates the JSON Schema printed by `wardwatch schema`.
 */
import { z } from 'zod';

import { RULE_IDS } from '../rules/index.js';
import {
  ACTION_KINDS,
  CalendarSchema,
  CouncilSchema,
  domainName,
  ElectionSchema,
  emailAddress,
  MailboxSchema,
  PersonSchema,
  ROLES,
  SEVERITIES,
  WardSchema,
} from './parts.js';

export * from './parts.js';
export { isRuleId, RULE_IDS, type RuleId } from '../rules/index.js';

/** Per-rule setting: `off`, `on`, or an object. */
export const RuleSettingSchema = z.union([
  z.literal('off'),
  z.literal('on'),
  z
    .object({
      enabled: z.boolean().default(true),
      severity: z.enum(SEVERITIES).optional(),
      actions: z.array(z.enum(ACTION_KINDS)).optional(),
      clauses: z.array(z.string().min(1)).optional(),
      options: z.record(z.string(), z.unknown()).optional(),
      /** Hold this rule's effects for the Clerk's approval (true) or send them without (false); the council's `review` when absent. */
      review: z.boolean().optional(),
    })
    .strict(),
]);
export type RuleSetting = z.infer<typeof RuleSettingSchema>;

/** `${ENV_VAR}` reference: secrets never live in the file. */
export const SecretRefSchema = z
  .string()
  .regex(/^\$\{[A-Z_][A-Z0-9_]*\}$/, { message: 'expected an environment variable reference such as ${WARDWATCH_SMTP_PASSWORD}; secrets never live in the file' });

export const SenderSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('file'), dir: z.string().default('./outbox') }).strict(),
  z
    .object({
      kind: z.literal('smtp'),
      host: z.string().min(1),
      port: z.number().int().min(1).max(65535).default(587),
      secure: z.boolean().default(false),
      user: z.string().optional(),
      password: SecretRefSchema.optional(),
      /** Log in without TLS: only for a mail server on this machine (127.0.0.1, ::1, localhost). */
      plainLocal: z.boolean().default(false),
    })
    .strict(),
  /** Through a connector that can send (its name under `connectors:`; checked against the registry when the file is loaded). */
  z.object({ kind: z.literal('connector'), connector: z.string().regex(/^[a-z0-9-]+$/, { message: 'expected the name of a connector, such as imap' }) }).strict(),
]);
export type SenderConfig = z.infer<typeof SenderSchema>;

/**
 * `connectors.<name>`: each section is validated by its connector module's own schema when the
 * file is loaded (connectors/index.ts); a name the installation does not know is reported there,
 * with the names it does.
 */
export const ConnectorsSchema = z.record(z.string(), z.unknown());

/**
 * A retention period: a whole number of days, or text such as `30d`, `12w` or `2y` (a year is
 * 365 days). Read into days.
 */
const PERIOD_MESSAGE = 'expected a period such as 30d (days), 12w (weeks) or 2y (years), or a whole number of days from 1 to 36500';
const PERIOD_UNIT_DAYS = { d: 1, w: 7, y: 365 } as const;
export const RetentionPeriodSchema = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const match = typeof value === 'string' ? /^([1-9][0-9]{0,4})([dwy])$/.exec(value) : null;
  const days = match ? Number(match[1]) * PERIOD_UNIT_DAYS[match[2] as keyof typeof PERIOD_UNIT_DAYS] : value;
  if (typeof days !== 'number' || !Number.isInteger(days) || days < 1 || days > 36500) {
    ctx.addIssue({ code: 'custom', message: PERIOD_MESSAGE });
    return z.NEVER;
  }
  return days;
});

/** How long each kind of record is kept before it is pruned (UK GDPR storage limitation); see docs/operating.md. */
export const RETENTION_DEFAULTS = { originals: '30d', items: '90d', findings: '2y', effects: '2y', audit: '2y', digests: '2y' } as const;

export const RetentionSchema = z
  .object({
    /** Raw messages kept so a routed copy can attach them, and their headlines. */
    originals: RetentionPeriodSchema.prefault(RETENTION_DEFAULTS.originals),
    /** What was seen of every item: seen items, item memory, event summaries, needs-a-human notices, problems. */
    items: RetentionPeriodSchema.prefault(RETENTION_DEFAULTS.items),
    /** Findings, with the phrases they quote. */
    findings: RetentionPeriodSchema.prefault(RETENTION_DEFAULTS.findings),
    /** Finished effects (done, failed, folded, dry-run); pending ones are never pruned. */
    effects: RetentionPeriodSchema.prefault(RETENTION_DEFAULTS.effects),
    audit: RetentionPeriodSchema.prefault(RETENTION_DEFAULTS.audit),
    digests: RetentionPeriodSchema.prefault(RETENTION_DEFAULTS.digests),
  })
  .strict();
export type RetentionConfig = z.infer<typeof RetentionSchema>;

/**
 * The Clerk's console, served by the service's HTTP server (`server.host`, 127.0.0.1 by default).
 * See docs/console.md.
 */
/** An http(s) origin, optionally with a trailing slash: every link and the single sign-on return address are made from it. */
function isConsoleAddress(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return (url.protocol === 'https:' || url.protocol === 'http:') && url.pathname === '/' && url.search === '' && url.hash === '' && url.username === '' && url.password === '' && !value.includes('#') && !value.includes('?');
}

export const ConsoleSchema = z
  .object({
    enabled: z.boolean().default(true),
    /**
     * The address people use to reach the console when it sits behind a TLS reverse proxy, such as
     * https://wardwatch.millbrook-tc.gov.uk/. With https, cookies are marked Secure; single
     * sign-on returns here.
     */
    publicUrl: z
      .string()
      .refine(isConsoleAddress, {
        message: 'expected the console’s address, such as https://wardwatch.millbrook-tc.gov.uk/ (http or https, with no path, query or fragment: the console is served at the root)',
      })
      .optional(),
    /** A session ends after this many minutes without a request … */
    idleMinutes: z.number().int().min(5).max(24 * 60).default(60),
    /** … and after this many hours however active it is. */
    maxHours: z.number().int().min(1).max(7 * 24).default(12),
    /** Single sign-on through the council's own Microsoft 365 or Google accounts (OpenID Connect). */
    oidc: z
      .object({
        /** The issuer: https://login.microsoftonline.com/<tenant-id>/v2.0 or https://accounts.google.com. */
        issuer: z.string().url({ message: 'expected the OpenID issuer address, such as https://accounts.google.com' }),
        clientId: z.string().min(1),
        clientSecret: SecretRefSchema,
        /** The words on the sign-in button. */
        buttonText: z.string().min(1).default('Sign in with your council account'),
      })
      .strict()
      .optional(),
  })
  .strict();
export type ConsoleConfig = z.infer<typeof ConsoleSchema>;

export const ConfigSchema = z
  .object({
    council: CouncilSchema,
    protocol: z.string().regex(/^[a-z0-9-]+$/).optional(),
    people: z.array(PersonSchema).default([]),
    wards: z.array(WardSchema).default([]),
    elections: z.array(ElectionSchema).default([]),
    mediaDomains: z.array(domainName).default([]),
    calendars: z.array(CalendarSchema).default([]),
    mailboxes: z.array(MailboxSchema).default([]),
    connectors: ConnectorsSchema.default({}),
    sender: SenderSchema.default({ kind: 'file', dir: './outbox' }),
    rules: z.partialRecord(z.enum(RULE_IDS), RuleSettingSchema).default({}),
    digest: z
      .object({
        to: z.array(emailAddress).default([]),
        cron: z.string().default('30 7 * * 1-5'),
      })
      .strict()
      .default({ to: [], cron: '30 7 * * 1-5' }),
    /** How far ahead recurring events are expanded, in days. */
    horizonDays: z.number().int().min(1).max(3650).default(400),
    dryRun: z.boolean().default(false),
    /**
     * Hold the effects of every rule (`rules.<id>.review` overrides it per rule) for the Clerk's
     * approval in the console or with `wardwatch outbox approve`, instead of sending them at once.
     * Messages to the Clerk and the digest's own entries are never held. `wardwatch init` writes
     * `review: true`, the recommended first setting.
     */
    review: z.boolean().default(false),
    /**
     * What to do with a message caught mid-send by a crash when the sender cannot tell whether it
     * went: hold it for the Clerk (`at-most-once`) or send it again (`at-least-once`).
     */
    delivery: z.enum(['at-most-once', 'at-least-once']).default('at-most-once'),
    store: z.object({ path: z.string().default('./wardwatch.sqlite') }).strict().default({ path: './wardwatch.sqlite' }),
    templates: z.object({ dir: z.string() }).strict().optional(),
    limits: z
      .object({
        nudgesPerPersonPerDay: z.number().int().min(1).default(3),
        /** Routed copies, notices and reminders to the Clerk per day before the rest fold into one summary. */
        clerkMessagesPerDay: z.number().int().min(1).default(20),
        quietHours: z
          .object({
            start: z.string().regex(/^\d{2}:\d{2}$/).default('18:00'),
            end: z.string().regex(/^\d{2}:\d{2}$/).default('08:00'),
            weekends: z.boolean().default(true),
            roles: z.array(z.enum(ROLES)).default(['officer']),
          })
          .strict()
          .default({ start: '18:00', end: '08:00', weekends: true, roles: ['officer'] }),
      })
      .strict()
      .default({
        nudgesPerPersonPerDay: 3,
        clerkMessagesPerDay: 20,
        quietHours: { start: '18:00', end: '08:00', weekends: true, roles: ['officer'] },
      }),
    /** The receiving servers whose Authentication-Results are believed (see docs/mail-authentication.md). */
    authentication: z
      .object({
        trustedServers: z
          .array(
            z
              .string()
              .trim()
              .regex(/^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$/, {
                message: 'expected a receiving server’s authserv-id such as mx.millbrook-tc.gov.uk or mx.google.com, or exchange-online',
              })
              .transform((s) => s.toLowerCase()),
          )
          .default([]),
      })
      .strict()
      .default({ trustedServers: [] }),
    server: z
      .object({ host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65535).default(9464) })
      .strict()
      .default({ host: '127.0.0.1', port: 9464 }),
    retention: RetentionSchema.prefault({}),
    console: ConsoleSchema.prefault({}),
  })
  .strict();

export type Config = z.infer<typeof ConfigSchema>;
