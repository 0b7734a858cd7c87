/**
 * Settings of the standards connector (`connectors.imap` in the council's config): the IMAP
 * server and the credentials of each watched mailbox, SMTP submission, and CalDAV calendars.
 * Passwords are `${ENV_VAR}` references, resolved here from the environment.
 *
 * ```yaml
 * connectors:
 *   imap:
 *     host: mail.millbrook-tc.gov.uk
 *     port: 993
 *     secure: true
 *     user: protocol@millbrook-tc.gov.uk          # the service mailbox (default: council.serviceAddress)
 *     password: ${WARDWATCH_IMAP_PASSWORD}
 *     mailboxes:                                   # each watched mailbox's own login
 *       clerk@millbrook-tc.gov.uk: { password: ${WARDWATCH_CLERK_IMAP_PASSWORD} }
 *     backfillDays: 30
 *     recheckSeconds: 60
 *     smtp: { host: mail.millbrook-tc.gov.uk, port: 587, user: protocol@…, password: ${WARDWATCH_SMTP_PASSWORD} }
 *     caldav:
 *       url: https://dav.millbrook-tc.gov.uk/
 *       user: protocol@millbrook-tc.gov.uk
 *       password: ${WARDWATCH_CALDAV_PASSWORD}
 *       calendars: { council-events: /protocol%40millbrook-tc.gov.uk/council-events/ }
 *       pollSeconds: 60                              # CalDAV has no push: how often to look
 * ```
 */
import { errorMessage } from '../../src/model/error-message.js';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { isLoopbackHost } from '../../src/actions/loopback.js';
import { SecretRefSchema, type Config, type MailboxConfig } from '../../src/config/schema.js';
import { resolveSecret as resolveSharedSecret, SecretError, type Environment } from '../../src/config/secrets.js';

const address = z
  .string()
  .trim()
  .regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, { message: 'expected an e-mail address such as clerk@example-tc.gov.uk' })
  .transform((s) => s.toLowerCase());

const port = z.number().int().min(1).max(65535);

const TlsSchema = z
  .object({
    /** Refuse servers whose certificate cannot be verified (leave on outside tests). */
    rejectUnauthorized: z.boolean().default(true),
    /** A PEM file with the certificate authority to trust, for a council's own CA. */
    caFile: z.string().min(1).optional(),
  })
  .strict();

const AccountSchema = z
  .object({
    /** Login name, when it is not the mailbox address itself. */
    user: z.string().min(1).optional(),
    password: SecretRefSchema,
  })
  .strict();

const SmtpSchema = z
  .object({
    host: z.string().min(1),
    port: port.default(587),
    /** Implicit TLS (port 465). Otherwise STARTTLS is used whenever the server offers it. */
    secure: z.boolean().default(false),
    /** Refuse to send unless the server offers STARTTLS (always so when a password is sent, unless plainLocal). */
    requireTLS: z.boolean().default(false),
    /** Log in without TLS: only for a mail server on this machine (127.0.0.1, ::1, localhost). */
    plainLocal: z.boolean().default(false),
    user: z.string().min(1).optional(),
    password: SecretRefSchema.optional(),
    /**
     * Keep a copy of each message in the service mailbox's Sent folder (needs IMAP credentials for
     * it). `false` only when the mail server files its own copy of what is submitted.
     */
    saveToSent: z.boolean().default(true),
    /**
     * With `saveToSent: false`: how long, after a crash mid-send, to wait for the server's own Sent
     * copy to appear before concluding the message did not go.
     */
    sentCopyWaitSeconds: z.number().min(0).max(600).default(30),
    tls: TlsSchema.optional(),
  })
  .strict();

const CaldavSchema = z
  .object({
    url: z.url({ message: 'expected the CalDAV server address, e.g. https://dav.example-tc.gov.uk/' }),
    user: z.string().min(1),
    password: SecretRefSchema,
    /** Calendar id (as in the config's `calendars`) → its collection: a path on the server or a full URL. */
    calendars: z.record(z.string().min(1), z.string().min(1)),
    /**
     * `auto` uses sync-collection where the server offers it, else compares ETags. (A council's
     * own certificate authority is trusted through Node's NODE_EXTRA_CA_CERTS.)
     */
    syncMethod: z.enum(['auto', 'sync-collection', 'etag']).default('auto'),
    /** How often the calendars are polled (CalDAV has no push), in seconds; default: recheckSeconds. */
    pollSeconds: z.number().positive().max(3600).optional(),
  })
  .strict();

export const ImapConnectorSchema = z
  .object({
    host: z.string().min(1),
    port: port.default(993),
    secure: z.boolean().default(true),
    user: z.string().min(1).optional(),
    password: SecretRefSchema.optional(),
    mailboxes: z.record(address, AccountSchema).default({}),
    /** The Sent folder's name, for a server that does not mark it with SPECIAL-USE. */
    sentFolder: z.string().min(1).optional(),
    /** How far back the first pass (and a rescan after a UIDVALIDITY change) reads, in days. */
    backfillDays: z.number().int().min(0).max(3650).default(30),
    /** How often every folder and calendar is checked even without IDLE news, in seconds. */
    recheckSeconds: z.number().positive().max(3600).default(60),
    /** Waiting between reconnection attempts: doubles from `initialSeconds` up to `maxSeconds`. */
    backoff: z
      .object({ initialSeconds: z.number().positive().default(1), maxSeconds: z.number().positive().default(300) })
      .strict()
      .default({ initialSeconds: 1, maxSeconds: 300 }),
    /** A connection that stays silent this long while a reply is due is given up and reopened. */
    socketTimeoutSeconds: z.number().positive().default(300),
    /** Larger messages are reported and skipped rather than read. */
    maxMessageMegabytes: z.number().positive().default(50),
    tls: TlsSchema.optional(),
    smtp: SmtpSchema.optional(),
    caldav: CaldavSchema.optional(),
  })
  .strict();

export type ImapConnectorInput = z.input<typeof ImapConnectorSchema>;
type ImapConnectorParsed = z.output<typeof ImapConnectorSchema>;
/** `connectors.imap` as its schema reads it (defaults filled in). */
export type ImapConnectorSection = ImapConnectorParsed;

export interface Credentials {
  user: string;
  password: string;
}

export interface TlsSettings {
  rejectUnauthorized: boolean;
  /** PEM text of a certificate authority to trust. */
  ca?: string;
}

export interface ImapServerSettings {
  host: string;
  port: number;
  secure: boolean;
  tls: TlsSettings;
  socketTimeoutMs: number;
}

export interface WatchedMailbox {
  address: string;
  /** Folder names as configured: `inbox`, `sent`, or a folder's own name. */
  folders: string[];
  credentials: Credentials;
}

export interface SmtpSettings {
  host: string;
  port: number;
  secure: boolean;
  requireTLS: boolean;
  /** A plain-text login is allowed: the server is on this machine and the config says so (requireTLS is then as configured). */
  plainLocal: boolean;
  auth?: Credentials;
  saveToSent: boolean;
  /** With `saveToSent: false`: how long to wait for the server's own Sent copy after a crash. */
  sentCopyWaitMs: number;
  tls: TlsSettings;
}

export interface CaldavCalendar {
  id: string;
  /** Absolute collection URL with a trailing slash. */
  url: string;
}

export interface CaldavSettings {
  url: string;
  credentials: Credentials;
  calendars: CaldavCalendar[];
  syncMethod: 'auto' | 'sync-collection' | 'etag';
  /** Between polls of the calendars. */
  pollMs: number;
}

export interface ImapSettings {
  /** Name of the source in cursors and records. */
  source: string;
  councilName: string;
  /** IANA zone for dates in the mail the connector writes (the council's). */
  timeZone: string;
  serviceAddress: string;
  server: ImapServerSettings;
  mailboxes: WatchedMailbox[];
  /** The service mailbox's login, for Sent copies and `alreadySent`. */
  service?: Credentials;
  sentFolder?: string;
  backfillDays: number;
  recheckMs: number;
  backoff: { initialMs: number; maxMs: number };
  maxMessageBytes: number;
  smtp?: SmtpSettings;
  caldav?: CaldavSettings;
}

/** The configuration cannot be used; the message says what to change, naming the field. */
export class ImapConfigError extends Error {
  override readonly name = 'ImapConfigError';
}

export interface ImapContext {
  councilName: string;
  /** Default Europe/London. */
  timeZone?: string;
  serviceAddress: string;
  mailboxes: MailboxConfig[];
  /** Calendar ids declared in the config's `calendars`. */
  calendarIds: string[];
}

function formatIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = ['connectors', 'imap', ...issue.path.map((p) => String(p))].join('.');
      return `${path}: ${issue.message}`;
    })
    .join('; ');
}

/** The secret a `${NAME}` reference names (the project's resolver, its messages as ImapConfigErrors). */
function resolveSecret(reference: string, field: string, env: Environment): string {
  try {
    return resolveSharedSecret(reference, env, field);
  } catch (err) {
    if (err instanceof SecretError) throw new ImapConfigError(err.message);
    throw err;
  }
}

function resolveTls(tls: ImapConnectorParsed['tls'], field: string): TlsSettings {
  if (!tls) return { rejectUnauthorized: true };
  const out: TlsSettings = { rejectUnauthorized: tls.rejectUnauthorized };
  if (tls.caFile) {
    try {
      out.ca = readFileSync(tls.caFile, 'utf8');
    } catch (err) {
      const reason = errorMessage(err);
      throw new ImapConfigError(`${field}.caFile: the certificate file ${tls.caFile} could not be read (${reason}).`);
    }
  }
  return out;
}

function collectionUrl(base: string, path: string): string {
  const url = new URL(path, base.endsWith('/') ? base : `${base}/`);
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url.href;
}

/** Parses and resolves `connectors.imap` for the given council. Throws ImapConfigError. */
export function parseImapSettings(raw: unknown, context: ImapContext, env: Environment = process.env): ImapSettings {
  const parsed = ImapConnectorSchema.safeParse(raw);
  if (!parsed.success) throw new ImapConfigError(formatIssues(parsed.error));
  const s = parsed.data;
  const serviceAddress = context.serviceAddress.toLowerCase();
  const serviceUser = s.user ?? serviceAddress;
  const service: Credentials | undefined = s.password
    ? { user: serviceUser, password: resolveSecret(s.password, 'connectors.imap.password', env) }
    : undefined;

  const mailboxes: WatchedMailbox[] = context.mailboxes.map((m) => {
    const own = s.mailboxes[m.address];
    let credentials: Credentials;
    if (own) {
      credentials = { user: own.user ?? m.address, password: resolveSecret(own.password, `connectors.imap.mailboxes['${m.address}'].password`, env) };
    } else if (service && (m.address === serviceAddress || m.address === serviceUser.toLowerCase())) {
      credentials = service;
    } else {
      throw new ImapConfigError(
        `connectors.imap.mailboxes: there is no IMAP password for the watched mailbox ${m.address}; add "${m.address}: { password: \${SOME_VARIABLE} }" under connectors.imap.mailboxes.`,
      );
    }
    return { address: m.address, folders: m.folders, credentials };
  });
  for (const listed of Object.keys(s.mailboxes)) {
    if (!context.mailboxes.some((m) => m.address === listed)) {
      throw new ImapConfigError(`connectors.imap.mailboxes: ${listed} has credentials but is not listed under mailboxes, so it would not be watched; add it there or remove it here.`);
    }
  }

  const settings: ImapSettings = {
    source: 'imap',
    councilName: context.councilName,
    timeZone: context.timeZone ?? 'Europe/London',
    serviceAddress,
    server: {
      host: s.host,
      port: s.port,
      secure: s.secure,
      tls: resolveTls(s.tls, 'connectors.imap.tls'),
      socketTimeoutMs: s.socketTimeoutSeconds * 1000,
    },
    mailboxes,
    backfillDays: s.backfillDays,
    recheckMs: s.recheckSeconds * 1000,
    backoff: { initialMs: s.backoff.initialSeconds * 1000, maxMs: Math.max(s.backoff.maxSeconds, s.backoff.initialSeconds) * 1000 },
    maxMessageBytes: Math.round(s.maxMessageMegabytes * 1024 * 1024),
  };
  if (service) settings.service = service;
  if (s.sentFolder) settings.sentFolder = s.sentFolder;

  if (s.smtp) {
    if (s.smtp.plainLocal && !isLoopbackHost(s.smtp.host)) {
      throw new ImapConfigError(
        `connectors.imap.smtp.plainLocal is only for a mail server on this machine (127.0.0.1, ::1 or localhost), not ${s.smtp.host}: the password would cross the network unencrypted. Remove plainLocal and use secure: true or STARTTLS.`,
      );
    }
    const smtp: SmtpSettings = {
      host: s.smtp.host,
      port: s.smtp.port,
      secure: s.smtp.secure,
      // A password goes only over TLS: STARTTLS is required unless the link is local and plain by choice.
      requireTLS: s.smtp.requireTLS || (!s.smtp.secure && s.smtp.password !== undefined && !s.smtp.plainLocal),
      plainLocal: s.smtp.plainLocal,
      saveToSent: s.smtp.saveToSent,
      sentCopyWaitMs: s.smtp.sentCopyWaitSeconds * 1000,
      tls: resolveTls(s.smtp.tls, 'connectors.imap.smtp.tls'),
    };
    if (s.smtp.password) {
      smtp.auth = {
        user: s.smtp.user ?? serviceUser,
        password: resolveSecret(s.smtp.password, 'connectors.imap.smtp.password', env),
      };
    } else if (s.smtp.user) {
      throw new ImapConfigError('connectors.imap.smtp: a user is given without a password; add password: ${SOME_VARIABLE}.');
    }
    settings.smtp = smtp;
  }

  if (s.caldav) {
    const calendars: CaldavCalendar[] = [];
    for (const [id, path] of Object.entries(s.caldav.calendars)) {
      if (!context.calendarIds.includes(id)) {
        throw new ImapConfigError(`connectors.imap.caldav.calendars: '${id}' is not one of the calendars listed under calendars (${context.calendarIds.join(', ') || 'none'}).`);
      }
      calendars.push({ id, url: collectionUrl(s.caldav.url, path) });
    }
    settings.caldav = {
      url: s.caldav.url,
      credentials: { user: s.caldav.user, password: resolveSecret(s.caldav.password, 'connectors.imap.caldav.password', env) },
      calendars,
      syncMethod: s.caldav.syncMethod,
      pollMs: (s.caldav.pollSeconds ?? s.recheckSeconds) * 1000,
    };
  }
  return settings;
}

/** Settings for the council's whole config (its `connectors.imap`, `mailboxes` and `calendars`). */
export function resolveImapSettings(config: Config, env: Environment = process.env): ImapSettings {
  if (!config.connectors.imap) throw new ImapConfigError('connectors.imap is not configured.');
  return parseImapSettings(
    config.connectors.imap,
    {
      councilName: config.council.name,
      timeZone: config.council.timezone,
      serviceAddress: config.council.serviceAddress,
      mailboxes: config.mailboxes,
      calendarIds: config.calendars.map((c) => c.id),
    },
    env,
  );
}
