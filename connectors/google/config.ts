/**
 * Settings of the Google Workspace connector (`connectors.google` in the council's config): the
 * service account Wardwatch signs in as (with domain-wide delegation, acting as each mailbox's and
 * calendar's user in turn), the mailboxes and calendars it watches, and how often it asks.
 *
 * ```yaml
 * connectors:
 *   google:
 *     keyFile: /etc/wardwatch/google-service-account.json   # the key JSON Google gave (or ${WARDWATCH_GOOGLE_KEY_FILE})
 *     # key: ${WARDWATCH_GOOGLE_KEY}                         # instead: the key JSON itself (or base64 of it) in a variable
 *     mailboxes: [clerk@millbrook-tc.gov.uk]                 # default: every mailbox in `mailboxes`
 *     calendars:                                             # calendar id (as in `calendars`) → the Google calendar
 *       council-events: clerk@millbrook-tc.gov.uk            #   a user's own (primary) calendar: their address
 *       council-chamber:                                     #   a resource (room) calendar, read and answered by
 *         id: c_1888abcdef@resource.calendar.google.com      #   a user with "Make changes to events" access to it
 *         actAs: clerk@millbrook-tc.gov.uk
 *     pollSeconds: 30
 * ```
 *
 * Scopes. Wardwatch asks for the fewest that do what it does, and each token only for what that
 * user is used for:
 * - `https://www.googleapis.com/auth/gmail.readonly` for each watched mailbox (messages.list,
 *   messages.get format=raw, history.list, getProfile) and for the service mailbox when Wardwatch
 *   sends through Google (to search its Sent mail by `rfc822msgid:` before a send is tried again).
 *   `gmail.modify` is not needed: Wardwatch never changes labels or deletes; `gmail.metadata`
 *   is not enough: it allows neither raw messages nor `q` searches.
 * - `https://www.googleapis.com/auth/gmail.send` for the service mailbox, only when the config's
 *   `sender` is this connector (`sender: { kind: connector, connector: google }`).
 * - `https://www.googleapis.com/auth/calendar.events` for each calendar's user (events.list with
 *   sync tokens, events.get, events.patch for invitations and a room's decline). Not `calendar`:
 *   Wardwatch never creates or shares calendars.
 * The Admin console's domain-wide delegation entry for the service account's client ID must list
 * exactly `requiredScopes(settings)`; `describeGrant` words it for messages and `validate`.
 *
 * Test-only addresses (the simulator's rootUrl and token URL) never come through this section:
 * they come through `ConnectorContext.tuning`, checked by `GoogleTuningSchema`.
 */
import path from 'node:path';
import { z } from 'zod';
import { SecretRefSchema, type Config } from '../../src/config/schema.js';
import { secretVariable, type Environment } from '../../src/config/secrets.js';
import { configuredCalendar, emailAddress as address, plainOrSecret as sharedPlainOrSecret, readSettingFile, requiredSecret, valueOrRef, watchedMailboxes } from '../../src/sources/connector-settings.js';

export const SCOPES = {
  /** Read mail and history, search (rfc822msgid:). */
  gmailRead: 'https://www.googleapis.com/auth/gmail.readonly',
  /** Send as the user (users.messages.send). */
  gmailSend: 'https://www.googleapis.com/auth/gmail.send',
  /** Read and change events on the calendars the user may see or change. */
  calendar: 'https://www.googleapis.com/auth/calendar.events',
} as const;

export type GoogleScope = (typeof SCOPES)[keyof typeof SCOPES];

/** A Google calendar id: a user's address, a resource calendar (c_…@resource.calendar.google.com) or a group calendar (…@group.calendar.google.com). */
const calendarId = z
  .string()
  .trim()
  .regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, {
    message: 'expected a Google calendar id: a user\'s address, or a resource calendar\'s id such as c_1888abcdef@resource.calendar.google.com (Admin console › Directory › Buildings and resources)',
  });

const CalendarTarget = z.union([
  address,
  z
    .object({
      /** The Google calendar id (Calendar settings › Integrate calendar › Calendar ID). */
      id: calendarId,
      /** The user Wardwatch acts as to read the calendar and answer for it: one with "Make changes to events" access. */
      actAs: address,
    })
    .strict(),
]);

export const GoogleConnectorSchema = z
  .object({
    /** The service account's key file (JSON), or an `${ENV}` reference to its path. */
    keyFile: valueOrRef.optional(),
    /** The key JSON itself (or base64 of it), as an environment variable reference: instead of keyFile. */
    key: SecretRefSchema.optional(),
    /** The watched mailboxes this connector reads (each must be in `mailboxes`); default: all of them. */
    mailboxes: z.array(address).optional(),
    /** Calendar id (as in `calendars`) → a user's address (their own calendar) or `{ id, actAs }` (a resource or shared calendar). */
    calendars: z.record(z.string().min(1), CalendarTarget).default({}),
    /** How often each mailbox and calendar is asked for changes, in seconds. */
    pollSeconds: z.number().positive().max(3600).default(30),
    /** Items per page Wardwatch asks for (Google may send fewer); Gmail allows at most 500. */
    pageSize: z.number().int().min(1).max(500).default(100),
    /** How far back the first read of a mailbox goes, in days. */
    backfillDays: z.number().int().min(0).max(3650).default(30),
  })
  .strict();

export type GoogleConnectorSection = z.output<typeof GoogleConnectorSchema>;

/**
 * Settings for tests and benchmarks (`ConnectorContext.tuning`): the addresses of a simulated
 * Google, and a shorter backoff. Never part of a council's config.
 */
const localOrHttps = z
  .url({ message: 'expected an address' })
  .refine((u) => u.startsWith('https://') || /^http:\/\/(?:127\.0\.0\.1|localhost|\[::1\])(?::\d+)?\//.test(u), {
    message: 'expected an https address (plain http only for this machine)',
  });

export const GoogleTuningSchema = z
  .object({
    /** Below it `gmail/v1/…` and `calendar/v3/…` (default https://gmail.googleapis.com/ and https://www.googleapis.com/). */
    rootUrl: localOrHttps.optional(),
    /** Where the token request goes instead of https://oauth2.googleapis.com/token. */
    tokenUrl: localOrHttps.optional(),
    /** The first backoff, in ms (default 1,000). */
    backoffMs: z.number().int().min(0).optional(),
    /** Requests in flight per user (default 4). */
    concurrency: z.number().int().min(1).max(32).optional(),
  })
  .strict();

export type GoogleTuning = z.output<typeof GoogleTuningSchema>;

/** The tuning a test or benchmark gave, checked; `{}` when none. */
export function parseGoogleTuning(tuning: unknown): GoogleTuning {
  const parsed = GoogleTuningSchema.safeParse(tuning ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new GoogleConfigError(`connector tuning for google: ${issue?.path.join('.') ?? ''} ${issue?.message ?? 'is not valid'}`.replace(/\s+/g, ' ').trim());
  }
  return parsed.data;
}

export class GoogleConfigError extends Error {
  override readonly name = 'GoogleConfigError';
}

/** The service account's key, read from its JSON. */
export interface ServiceAccountKey {
  clientEmail: string;
  /** PEM, -----BEGIN PRIVATE KEY-----. */
  privateKey: string;
  privateKeyId?: string;
  /** The numeric client ID the Admin console's domain-wide delegation asks for. */
  clientId?: string;
  projectId?: string;
  /** Where it came from, for messages: `the key file /etc/…` or `the variable WARDWATCH_GOOGLE_KEY`. */
  origin: string;
}

export interface GoogleMailbox {
  address: string;
  /** Folder names as configured: `inbox`, `sent`, or a label's own name. */
  folders: string[];
}

export interface GoogleCalendar {
  /** The calendar's id in the config. */
  id: string;
  /** Google's id for it: a user's address, or c_…@resource.calendar.google.com. */
  googleId: string;
  /** The user Wardwatch acts as for it (the owner for a user's own calendar, a delegate for a resource). */
  actAs: string;
  role: 'council' | 'room' | 'member' | 'officer';
}

export interface GoogleSettings {
  /** Name of the source in cursors, records and health. */
  source: 'google';
  councilName: string;
  timeZone: string;
  key: ServiceAccountKey;
  /** Wardwatch's own mailbox: mail is sent from it. */
  serviceAddress: string;
  /** Whether the config's sender is this connector (so the service mailbox needs gmail.send). */
  sends: boolean;
  mailboxes: GoogleMailbox[];
  calendars: GoogleCalendar[];
  pollMs: number;
  pageSize: number;
  backfillDays: number;
}

export interface GoogleContext {
  councilName: string;
  timeZone: string;
  serviceAddress: string;
  /** The config's `mailboxes`. */
  mailboxes: readonly { address: string; folders: readonly string[] }[];
  calendars: readonly { id: string; role: GoogleCalendar['role'] }[];
  /** Whether `sender` is `{ kind: connector, connector: google }`. */
  sends: boolean;
  /** The folder of the config file, for relative paths. */
  baseDir: string;
}

export function googleContextOf(config: Config, configFile: string): GoogleContext {
  return {
    councilName: config.council.name,
    timeZone: config.council.timezone,
    serviceAddress: config.council.serviceAddress,
    mailboxes: config.mailboxes,
    calendars: config.calendars,
    sends: config.sender.kind === 'connector' && config.sender.connector === 'google',
    baseDir: path.dirname(path.resolve(configFile)),
  };
}

/** The scopes the Admin console must grant the service account, for these settings, in a fixed order. */
export function requiredScopes(settings: Pick<GoogleSettings, 'mailboxes' | 'calendars' | 'sends'>): GoogleScope[] {
  const out: GoogleScope[] = [];
  if (settings.mailboxes.length > 0 || settings.sends) out.push(SCOPES.gmailRead);
  if (settings.sends) out.push(SCOPES.gmailSend);
  if (settings.calendars.length > 0) out.push(SCOPES.calendar);
  return out;
}

/** "the client ID 1234… with exactly these scopes (comma-separated, as the Admin console takes them): a,b,c". */
export function describeGrant(settings: Pick<GoogleSettings, 'mailboxes' | 'calendars' | 'sends' | 'key'>): string {
  const scopes = requiredScopes(settings);
  const client = settings.key.clientId !== undefined ? `the client ID ${settings.key.clientId}` : `the service account ${settings.key.clientEmail}'s client ID (its "Unique ID")`;
  return `In the Google Admin console, go to Security › Access and data control › API controls › Manage Domain Wide Delegation and add (or edit) ${client} with exactly these OAuth scopes: ${scopes.join(',')}`;
}

const fail = (message: string): GoogleConfigError => new GoogleConfigError(message);

function plainOrSecret(value: string, field: string, env: Environment): string {
  return sharedPlainOrSecret(value, field, env, fail);
}

/** The fields of a service account's JSON key Wardwatch reads: a field that is not non-blank text reads as absent. */
const keyText = z.string().refine((v) => v.trim() !== '').optional().catch(undefined);
const ServiceAccountKeySchema = z.looseObject({
  type: z.unknown(),
  client_email: keyText,
  private_key: keyText,
  private_key_id: keyText,
  client_id: keyText,
  project_id: keyText,
});

/** Reads a service account key from its JSON text (or base64 of it). `origin` says where it came from, for messages. */
export function parseServiceAccountKey(text: string, origin: string, field: string): ServiceAccountKey {
  let json: unknown;
  const trimmed = text.trim();
  const candidates = [trimmed];
  if (!trimmed.startsWith('{')) candidates.push(Buffer.from(trimmed, 'base64').toString('utf8').trim());
  for (const c of candidates) {
    try {
      json = JSON.parse(c);
      break;
    } catch {
      // Try the next reading.
    }
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new GoogleConfigError(
      `${field}: ${origin} does not hold a service account key: expected the JSON file Google Cloud console gives under IAM & Admin › Service accounts › Keys › Add key › JSON (or that JSON in base64).`,
    );
  }
  const key = ServiceAccountKeySchema.parse(json);
  if (key.type !== undefined && key.type !== 'service_account') {
    throw new GoogleConfigError(
      `${field}: ${origin} is a "${String(key.type)}" credential, not a service account key. Wardwatch needs a service account's JSON key (IAM & Admin › Service accounts › Keys › Add key › JSON), with domain-wide delegation.`,
    );
  }
  const { client_email: clientEmail, private_key: privateKey, private_key_id: privateKeyId, client_id: clientId, project_id: projectId } = key;
  if (clientEmail === undefined || privateKey === undefined) {
    const missing = [clientEmail === undefined ? 'client_email' : '', privateKey === undefined ? 'private_key' : ''].filter((s) => s !== '').join(' and ');
    throw new GoogleConfigError(`${field}: ${origin} lacks ${missing}: please use the whole JSON key file as Google Cloud console gave it.`);
  }
  if (!/-----BEGIN (?:RSA )?PRIVATE KEY-----/.test(privateKey)) {
    throw new GoogleConfigError(`${field}: the private_key in ${origin} is not a PEM private key (-----BEGIN PRIVATE KEY-----): please use the key file exactly as Google Cloud console gave it.`);
  }
  return {
    clientEmail,
    privateKey,
    ...(privateKeyId !== undefined ? { privateKeyId } : {}),
    ...(clientId !== undefined ? { clientId } : {}),
    ...(projectId !== undefined ? { projectId } : {}),
    origin,
  };
}

/**
 * Reads `connectors.google` into settings the connector uses: the key read (from its file or its
 * variable), mailboxes and calendars checked against the rest of the config. Throws
 * GoogleConfigError with a message naming the field and what to change.
 */
export function parseGoogleSettings(section: GoogleConnectorSection, context: GoogleContext, env: Environment = process.env): GoogleSettings {
  let key: ServiceAccountKey;
  if (section.keyFile !== undefined) {
    if (section.key !== undefined) {
      throw new GoogleConfigError('connectors.google has both keyFile and key: please keep only one (the path of the key file, or the variable holding the key JSON).');
    }
    const file = path.resolve(context.baseDir, plainOrSecret(section.keyFile, 'connectors.google.keyFile', env));
    const text = readSettingFile(file, 'connectors.google.keyFile', fail);
    key = parseServiceAccountKey(text, `the key file ${file}`, 'connectors.google.keyFile');
  } else if (section.key !== undefined) {
    const text = requiredSecret(section.key, 'connectors.google.key', env, fail);
    key = parseServiceAccountKey(text, `the variable ${secretVariable(section.key) ?? ''}`, 'connectors.google.key');
  } else {
    throw new GoogleConfigError(
      'connectors.google needs the service account\'s key: keyFile (the path of the JSON key file) or key (an environment variable reference such as ${WARDWATCH_GOOGLE_KEY} holding the key JSON).',
    );
  }

  const mailboxes: GoogleMailbox[] = watchedMailboxes('google', section.mailboxes, context.mailboxes, fail);

  const calendars: GoogleCalendar[] = [];
  for (const [id, target] of Object.entries(section.calendars)) {
    const c = configuredCalendar('google', id, context.calendars, fail);
    if (typeof target === 'string') {
      if (/@(?:resource|group)\.calendar\.google\.com$/i.test(target)) {
        throw new GoogleConfigError(
          `connectors.google.calendars.${id} is ${target}, a shared or resource calendar, which no user can be signed in as: write it as { id: ${target}, actAs: <the address of a user with "Make changes to events" access to it> }.`,
        );
      }
      calendars.push({ id, googleId: target, actAs: target, role: c.role });
    } else {
      calendars.push({ id, googleId: target.id, actAs: target.actAs, role: c.role });
    }
  }

  return {
    source: 'google',
    councilName: context.councilName,
    timeZone: context.timeZone,
    key,
    serviceAddress: context.serviceAddress.toLowerCase(),
    sends: context.sends,
    mailboxes,
    calendars,
    pollMs: Math.round(section.pollSeconds * 1000),
    pageSize: section.pageSize,
    backfillDays: section.backfillDays,
  };
}
