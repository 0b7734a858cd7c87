/**
 * The Google Workspace connector as a connector module: Gmail and Google Calendar through
 * googleapis, signed in as the council's service account with domain-wide delegation. Its
 * settings (`connectors.google`) are checked with the light schema in config.ts; the connector and
 * its libraries (google-auth-library, googleapis) are loaded with `import()` only when the service
 * creates it.
 */
import type { ConnectorModule } from '../../src/sources/connector-module.js';
import { GoogleConfigError, GoogleConnectorSchema, googleContextOf, parseGoogleSettings, parseGoogleTuning, type GoogleConnectorSection } from './config.js';

export const googleModule: ConnectorModule<GoogleConnectorSection> = {
  name: 'google',
  title: 'Google Workspace',
  configSchema: GoogleConnectorSchema,
  claimedMailboxes: (settings) => settings.mailboxes,
  verify(settings, config, env, configDir) {
    try {
      parseGoogleSettings(settings, { ...googleContextOf(config, 'wardwatch.yaml'), baseDir: configDir }, env);
      return [];
    } catch (err) {
      if (err instanceof GoogleConfigError) return [err.message];
      throw err;
    }
  },
  async create(context) {
    if (context.settings === undefined) throw new GoogleConfigError('connectors.google is not configured.');
    const settings = parseGoogleSettings(context.settings, googleContextOf(context.config, context.configFile), context.env);
    const tuning = parseGoogleTuning(context.tuning);
    const { createGoogleConnector } = await import('./connector.js');
    // The connector keeps to the real clock for its backfill and Date headers, as the servers it talks to do.
    return createGoogleConnector({ settings, cursors: context.cursors, logger: context.logger, tuning });
  },
};
