/**
 * Settings of the Microsoft 365 connector (`connectors.graph` in the council's config): the Entra
 * ID app Wardwatch signs in as (app-only, a certificate recommended, a client secret as the
 * fallback), the mailboxes and calendars it watches, and optional change notifications.
 *
 * ```yaml
 * connectors:
 *   graph:
 *     tenantId: 8c1f6a2e-4b7d-4e0a-9f3c-2d5e6b7a8c91     # Directory (tenant) ID, or ${WARDWATCH_GRAPH_TENANT}
 *     clientId: 6f1c4a52-9b8e-4d3a-a1f0-3c2d7e9b5a10     # Application (client) ID
 *     certificatePath: /etc/wardwatch/graph-app.pem       # private key + certificate, PEM (recommended)
 *     # clientSecret: ${WARDWATCH_GRAPH_CLIENT_SECRET}   # the fallback, instead of a certificate
 *     mailboxes: [clerk@millbrook-tc.gov.uk]              # default: every mailbox in `mailboxes`
 *     calendars:                                          # calendar id (as in `calendars`) → the mailbox holding it
 *       council-events: clerk@millbrook-tc.gov.uk
 *       council-chamber: chamber@millbrook-tc.gov.uk
 *     pollSeconds: 60
 *     notifications:                                      # optional: Graph tells Wardwatch of changes
 *       url: https://wardwatch.millbrook-tc.gov.uk/hooks/graph/notifications
 *       clientState: ${WARDWATCH_GRAPH_CLIENT_STATE}
 * ```
 *
 * `endpoints` and `tls.caFile` are for the national clouds and for a proxy that inspects TLS; the
 * defaults are Microsoft's worldwide service.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { SecretRefSchema, type Config } from '../../src/config/schema.js';
import { secretVariable, type Environment } from '../../src/config/secrets.js';
import { errorMessage } from '../../src/model/error-message.js';
import { configuredCalendar, emailAddress as address, plainOrSecret as sharedPlainOrSecret, readSettingFile, requiredSecret, valueOrRef, watchedMailboxes } from '../../src/sources/connector-settings.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TENANT_DOMAIN = /^[a-z0-9-]+(\.[a-z0-9-]+)+$/i;

const httpsUrl = z.url({ message: 'expected an https address' }).refine((u) => u.startsWith('https://'), { message: 'expected an https address' });

/**
 * Microsoft delivers notifications only to https addresses. Plain http is accepted for this
 * machine alone (127.0.0.1, ::1, localhost): a test tenant such as the Graph simulator.
 */
const notificationUrl = z
  .url({ message: 'expected the public https address that reaches /hooks/graph/notifications' })
  .refine((u) => u.startsWith('https://') || /^http:\/\/(?:127\.0\.0\.1|localhost|\[::1\])(?::\d+)?\//.test(u), {
    message: 'expected an https address: Microsoft 365 delivers notifications only over https (plain http is accepted only for this machine, in tests)',
  });

export const GraphConnectorSchema = z
  .object({
    /** The Directory (tenant) ID from the app's Overview page, or the tenant's domain (millbrook.onmicrosoft.com). */
    tenantId: valueOrRef,
    /** The Application (client) ID from the app's Overview page. */
    clientId: valueOrRef,
    /** A PEM file holding the app's private key and its certificate (recommended). */
    certificatePath: valueOrRef.optional(),
    /** A client secret, as an environment variable reference: the fallback when there is no certificate. */
    clientSecret: SecretRefSchema.optional(),
    /** The watched mailboxes this connector reads (each must be in `mailboxes`); default: all of them. */
    mailboxes: z.array(address).optional(),
    /** Calendar id (as in `calendars`) → the mailbox whose calendar it is (a room's own mailbox for a room). */
    calendars: z.record(z.string().min(1), address).default({}),
    /** The events read: from this many days back to this many days ahead (moving it is a fresh read). */
    calendarWindow: z
      .object({ pastDays: z.number().int().min(0).max(365).default(7), futureDays: z.number().int().min(1).max(1095).default(365) })
      .strict()
      .default({ pastDays: 7, futureDays: 365 }),
    /** How often each mailbox and calendar is asked for changes, in seconds (with notifications, a safety net). */
    pollSeconds: z.number().positive().max(3600).default(60),
    /** Items per page Wardwatch asks for (Graph may send fewer). */
    pageSize: z.number().int().min(1).max(1000).default(100),
    /** How far back the first read of a mail folder goes, in days. */
    backfillDays: z.number().int().min(0).max(3650).default(30),
    /** Change notifications: Graph posts to this public https address, which must reach Wardwatch's /hooks/graph/notifications. */
    notifications: z
      .object({
        url: notificationUrl,
        /** Where lifecycle notifications go (default: the url with `lifecycle` in place of `notifications`). */
        lifecycleUrl: notificationUrl.optional(),
        /** A secret Graph repeats in every notification (16 to 128 characters), as an environment variable reference. */
        clientState: SecretRefSchema,
        /** How long each subscription is asked to last, in minutes (Graph may choose less); renewed well before. */
        lifetimeMinutes: z.number().int().min(45).max(10080).default(4230),
      })
      .strict()
      .optional(),
    /** For the national clouds (and tests): the sign-in and Graph addresses. */
    endpoints: z
      .object({
        authority: httpsUrl.default('https://login.microsoftonline.com'),
        graph: httpsUrl.default('https://graph.microsoft.com/v1.0'),
      })
      .strict()
      .optional(),
    /** A PEM file with a certificate authority to trust as well (a proxy that inspects TLS). */
    tls: z.object({ caFile: z.string().min(1) }).strict().optional(),
  })
  .strict();

export type GraphConnectorSection = z.output<typeof GraphConnectorSchema>;

export class GraphConfigError extends Error {
  override readonly name = 'GraphConfigError';
}

export type GraphSignIn = { kind: 'certificate'; certificatePath: string } | { kind: 'secret'; secret: string; variable: string };

export interface GraphMailbox {
  address: string;
  /** Folder names as configured: `inbox`, `sent`, or a folder's own display name. */
  folders: string[];
}

export interface GraphCalendar {
  /** The calendar's id in the config. */
  id: string;
  mailbox: string;
  role: 'council' | 'room' | 'member' | 'officer';
}

export interface GraphSettings {
  /** Name of the source in cursors, records and health. */
  source: 'graph';
  councilName: string;
  timeZone: string;
  tenantId: string;
  clientId: string;
  signIn: GraphSignIn;
  /** Wardwatch's own mailbox: mail is sent from it. */
  serviceAddress: string;
  mailboxes: GraphMailbox[];
  calendars: GraphCalendar[];
  window: { pastDays: number; futureDays: number };
  pollMs: number;
  pageSize: number;
  backfillDays: number;
  notifications?: { url: string; lifecycleUrl: string; clientState: string; lifetimeMinutes: number };
  /** Sign-in host (no trailing slash) and Graph's base address with its version (no trailing slash). */
  authorityHost: string;
  graphBaseUrl: string;
  /** PEM text of an extra certificate authority to trust. */
  ca?: string;
}

export interface GraphContext {
  councilName: string;
  timeZone: string;
  serviceAddress: string;
  /** The config's `mailboxes`. */
  mailboxes: readonly { address: string; folders: readonly string[] }[];
  calendars: readonly { id: string; role: GraphCalendar['role'] }[];
  /** The folder of the config file, for relative paths. */
  baseDir: string;
}

export function graphContextOf(config: Config, configFile: string): GraphContext {
  return {
    councilName: config.council.name,
    timeZone: config.council.timezone,
    serviceAddress: config.council.serviceAddress,
    mailboxes: config.mailboxes,
    calendars: config.calendars,
    baseDir: path.dirname(path.resolve(configFile)),
  };
}

const fail = (message: string): GraphConfigError => new GraphConfigError(message);

function plainOrSecret(value: string, field: string, env: Environment): string {
  return sharedPlainOrSecret(value, field, env, fail);
}

/**
 * Reads `connectors.graph` into settings the connector uses: secrets resolved from the
 * environment, files read, mailboxes and calendars checked against the rest of the config.
 * Throws GraphConfigError with a message naming the field and what to change.
 */
export function parseGraphSettings(section: GraphConnectorSection, context: GraphContext, env: Environment = process.env): GraphSettings {
  const tenantId = plainOrSecret(section.tenantId, 'connectors.graph.tenantId', env);
  if (!GUID.test(tenantId) && !TENANT_DOMAIN.test(tenantId)) {
    throw new GraphConfigError(
      `connectors.graph.tenantId is "${tenantId}", which is neither a Directory (tenant) ID such as 8c1f6a2e-4b7d-4e0a-9f3c-2d5e6b7a8c91 nor a domain such as millbrook.onmicrosoft.com. Copy it from the app's Overview page in the Microsoft Entra admin centre.`,
    );
  }
  const clientId = plainOrSecret(section.clientId, 'connectors.graph.clientId', env);
  if (!GUID.test(clientId)) {
    throw new GraphConfigError(
      `connectors.graph.clientId is "${clientId}", which is not an Application (client) ID such as 6f1c4a52-9b8e-4d3a-a1f0-3c2d7e9b5a10. Copy it from the app's Overview page in the Microsoft Entra admin centre.`,
    );
  }

  let signIn: GraphSignIn;
  if (section.certificatePath !== undefined) {
    if (section.clientSecret !== undefined) {
      throw new GraphConfigError('connectors.graph has both certificatePath and clientSecret: please keep only one (the certificate is recommended).');
    }
    const certificatePath = path.resolve(context.baseDir, plainOrSecret(section.certificatePath, 'connectors.graph.certificatePath', env));
    const pem = readSettingFile(certificatePath, 'connectors.graph.certificatePath', fail);
    if (!/-----BEGIN (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----/.test(pem) || !pem.includes('-----BEGIN CERTIFICATE-----')) {
      throw new GraphConfigError(
        `connectors.graph.certificatePath: ${certificatePath} must hold both the app's private key and its certificate in PEM form (-----BEGIN PRIVATE KEY----- and -----BEGIN CERTIFICATE-----); see docs/connecting-microsoft-365.md.`,
      );
    }
    signIn = { kind: 'certificate', certificatePath };
  } else if (section.clientSecret !== undefined) {
    const secret = requiredSecret(section.clientSecret, 'connectors.graph.clientSecret', env, fail);
    signIn = { kind: 'secret', secret, variable: secretVariable(section.clientSecret) ?? '' };
  } else {
    throw new GraphConfigError(
      'connectors.graph needs a way to sign in: certificatePath (recommended: a PEM file with the private key and certificate) or clientSecret (an environment variable reference such as ${WARDWATCH_GRAPH_CLIENT_SECRET}).',
    );
  }

  const mailboxes: GraphMailbox[] = watchedMailboxes('graph', section.mailboxes, context.mailboxes, fail);

  const calendars: GraphCalendar[] = [];
  for (const [id, mailbox] of Object.entries(section.calendars)) {
    const c = configuredCalendar('graph', id, context.calendars, fail);
    calendars.push({ id, mailbox, role: c.role });
  }

  let notifications: GraphSettings['notifications'];
  if (section.notifications) {
    const clientState = requiredSecret(section.notifications.clientState, 'connectors.graph.notifications.clientState', env, fail);
    if (clientState.length < 16 || clientState.length > 128) {
      throw new GraphConfigError(
        `connectors.graph.notifications.clientState must be 16 to 128 characters long (the variable ${secretVariable(section.notifications.clientState) ?? ''} holds ${clientState.length}); a random value such as the output of "openssl rand -hex 32" will do.`,
      );
    }
    const url = section.notifications.url;
    if (!/\/hooks\/graph\/notifications\/?(?:\?.*)?$/.test(url)) {
      throw new GraphConfigError(
        `connectors.graph.notifications.url is ${url}, but Wardwatch answers Graph's notifications at /hooks/graph/notifications: the public address must end in that path (your reverse proxy passes it on to Wardwatch).`,
      );
    }
    notifications = {
      url,
      lifecycleUrl: section.notifications.lifecycleUrl ?? url.replace(/\/hooks\/graph\/notifications/, '/hooks/graph/lifecycle'),
      clientState,
      lifetimeMinutes: section.notifications.lifetimeMinutes,
    };
  }

  let ca: string | undefined;
  if (section.tls?.caFile !== undefined) {
    const caPath = path.resolve(context.baseDir, section.tls.caFile);
    try {
      ca = readFileSync(caPath, 'utf8');
    } catch (err) {
      throw new GraphConfigError(`connectors.graph.tls.caFile: the file ${caPath} could not be read (${errorMessage(err)}).`);
    }
  }

  return {
    source: 'graph',
    councilName: context.councilName,
    timeZone: context.timeZone,
    tenantId,
    clientId,
    signIn,
    serviceAddress: context.serviceAddress.toLowerCase(),
    mailboxes,
    calendars,
    window: section.calendarWindow,
    pollMs: Math.round(section.pollSeconds * 1000),
    pageSize: section.pageSize,
    backfillDays: section.backfillDays,
    ...(notifications ? { notifications } : {}),
    authorityHost: (section.endpoints?.authority ?? 'https://login.microsoftonline.com').replace(/\/+$/, ''),
    graphBaseUrl: (section.endpoints?.graph ?? 'https://graph.microsoft.com/v1.0').replace(/\/+$/, ''),
    ...(ca !== undefined ? { ca } : {}),
  };
}
