/**
 * The standards connector as a connector module: IMAP for the watched mailboxes, SMTP for
 * Wardwatch's own mail, CalDAV for calendars. Its settings (`connectors.imap`) are checked with
 * the light schema in config.ts; the connector itself and its libraries (imapflow, tsdav,
 * nodemailer: some 40 MB of resident memory) are loaded with `import()` only when the service
 * creates it, so a command that never starts it never loads them.
 */
import type { ConnectorModule } from '../../src/sources/connector-module.js';
import { ImapConfigError, ImapConnectorSchema, parseImapSettings, type ImapConnectorSection } from './config.js';

const NO_SMTP =
  'sender.kind is "connector" with the imap connector, but connectors.imap has no smtp settings, so Wardwatch could not send any mail. Please add connectors.imap.smtp, or choose sender.kind "file" or "smtp".';

function contextOf(config: Parameters<NonNullable<ConnectorModule['verify']>>[1]): Parameters<typeof parseImapSettings>[1] {
  return {
    councilName: config.council.name,
    timeZone: config.council.timezone,
    serviceAddress: config.council.serviceAddress,
    mailboxes: config.mailboxes,
    calendarIds: config.calendars.map((c) => c.id),
  };
}

export const imapModule: ConnectorModule<ImapConnectorSection> = {
  name: 'imap',
  title: 'IMAP/SMTP/CalDAV',
  configSchema: ImapConnectorSchema,
  cannotSend: (settings) => (settings.smtp === undefined ? NO_SMTP : undefined),
  verify(settings, config, env) {
    try {
      parseImapSettings(settings, contextOf(config), env);
      return [];
    } catch (err) {
      if (err instanceof ImapConfigError) return [err.message];
      throw err;
    }
  },
  async create(context) {
    if (context.settings === undefined) throw new ImapConfigError('connectors.imap is not configured.');
    const settings = parseImapSettings(context.settings, contextOf(context.config), context.env);
    const { createImapConnector } = await import('./connector.js');
    // The connector keeps to the real clock for its backfill window, Date headers and DTSTAMPs, as
    // the servers it talks to do, whatever clock the service judges by.
    const connector = createImapConnector(settings, context.cursors, context.logger);
    return {
      name: connector.name,
      source: connector,
      calendars: { editor: connector, ids: connector.calendarIds },
      ...(connector.canSend ? { sender: connector } : { cannotSend: NO_SMTP }),
      health: () => connector.health(),
      close: () => connector.close(),
    };
  },
};
