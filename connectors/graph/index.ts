/**
 * The Microsoft 365 connector as a connector module: mail, calendars and room mailboxes through
 * Microsoft Graph, signed in app-only as the council's Entra ID app. Its settings
 * (`connectors.graph`) are checked with the light schema in config.ts; the connector and its
 * libraries (@azure/identity, @microsoft/microsoft-graph-client) are loaded with `import()` only
 * when the service creates it.
 */
import type { ConnectorModule } from '../../src/sources/connector-module.js';
import { GraphConfigError, GraphConnectorSchema, graphContextOf, parseGraphSettings, type GraphConnectorSection } from './config.js';

export const graphModule: ConnectorModule<GraphConnectorSection> = {
  name: 'graph',
  title: 'Microsoft 365',
  configSchema: GraphConnectorSchema,
  claimedMailboxes: (settings) => settings.mailboxes,
  verify(settings, config, env, configDir) {
    try {
      parseGraphSettings(settings, { ...graphContextOf(config, 'wardwatch.yaml'), baseDir: configDir }, env);
      return [];
    } catch (err) {
      if (err instanceof GraphConfigError) return [err.message];
      throw err;
    }
  },
  async create(context) {
    if (context.settings === undefined) throw new GraphConfigError('connectors.graph is not configured.');
    const settings = parseGraphSettings(context.settings, graphContextOf(context.config, context.configFile), context.env);
    const { createGraphConnector } = await import('./connector.js');
    return createGraphConnector({ settings, cursors: context.cursors, logger: context.logger, tuning: context.tuning });
  },
};
