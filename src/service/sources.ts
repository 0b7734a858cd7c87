/**
 * The connectors the service runs, from the config and the registry (connectors/index.ts): every
 * registered connector with a section under `connectors:`, and the one that reads a folder when
 * the command is given one (`--source DIR`). Each calendar belongs to the connector that reads it,
 * so the executor can ask that connector to change it where it can.
 */
import { CONNECTOR_MODULES, configForConnector } from '../../connectors/index.js';
import type { LoadedConfig } from '../config/load.js';
import type { Environment } from '../config/secrets.js';
import type { ConnectorInstance, ConnectorModule, ScheduledJob, WebhookRoute } from '../sources/connector-module.js';
import type { CalendarEditor, CursorStore, Source } from '../sources/types.js';
import type { ServiceLogger } from './logger.js';

export interface ConfiguredSources {
  /** Every connector started, in the registry's order. */
  connectors: ConnectorInstance[];
  sources: Source[];
  /** The connector that can change a calendar's events (undefined when none reads it). */
  calendarOwner: (calendarId: string) => CalendarEditor | undefined;
  /** Whether a source is watched for changes (else synced every minute). */
  watch: (source: Source) => boolean;
  /** The connector of that name, when it was started. */
  connector: (name: string) => ConnectorInstance | undefined;
  /** Webhook routes, each with the connector it belongs to. */
  routes: { connector: string; route: WebhookRoute }[];
  jobs: { connector: string; job: ScheduledJob }[];
  /** Closes every connector (their sources are closed by the service as it stops them). */
  close(): Promise<void>;
}

export interface SourceOptions {
  logger: ServiceLogger;
  /** Settings for tests and benchmarks, by connector name (checked by each module). */
  tuning?: Readonly<Record<string, unknown>>;
  env?: Environment;
  now?: () => Date;
  /** The connector modules to choose from (default: the registry's). */
  modules?: readonly ConnectorModule[];
}

/**
 * Starts the configured connectors. Rejects with the module's own error (naming the setting to
 * change) when one cannot be used as written; those already created are closed first.
 */
export async function configuredSources(loaded: LoadedConfig, sourceDir: string | undefined, cursors: CursorStore, options: SourceOptions): Promise<ConfiguredSources> {
  const config = loaded.config;
  const connectors: ConnectorInstance[] = [];
  const watched = new Map<Source, boolean>();
  try {
    for (const module of options.modules ?? CONNECTOR_MODULES) {
      const settings = config.connectors[module.name];
      const wanted = settings !== undefined || (module.readsSourceDir === true && sourceDir !== undefined);
      if (!wanted) continue;
      const instance = await module.create({
        config: configForConnector(module, config),
        configFile: loaded.file,
        settings,
        ...(module.readsSourceDir === true && sourceDir !== undefined ? { sourceDir } : {}),
        ...(options.tuning?.[module.name] !== undefined ? { tuning: options.tuning[module.name] } : {}),
        env: options.env ?? process.env,
        logger: options.logger.child({ source: module.name }),
        cursors,
        now: options.now ?? ((): Date => new Date()),
      });
      connectors.push(instance);
      if (instance.source) watched.set(instance.source, instance.watchSource ?? true);
    }
  } catch (err) {
    await Promise.allSettled(connectors.map((c) => c.close()));
    throw err;
  }
  // A connector that lists its calendars wins over one that reads whichever it finds.
  const listed = new Map<string, CalendarEditor>();
  let anyCalendar: CalendarEditor | undefined;
  for (const c of connectors) {
    if (!c.calendars) continue;
    if (c.calendars.ids === 'any') anyCalendar ??= c.calendars.editor;
    else for (const id of c.calendars.ids) if (!listed.has(id)) listed.set(id, c.calendars.editor);
  }
  return {
    connectors,
    sources: connectors.flatMap((c) => (c.source ? [c.source] : [])),
    calendarOwner: (calendarId) => listed.get(calendarId) ?? anyCalendar,
    watch: (source) => watched.get(source) ?? true,
    connector: (name) => connectors.find((c) => c.name === name),
    routes: connectors.flatMap((c) => (c.routes ?? []).map((route) => ({ connector: c.name, route }))),
    jobs: connectors.flatMap((c) => (c.jobs ?? []).map((job) => ({ connector: c.name, job }))),
    close: async () => {
      await Promise.allSettled(connectors.map((c) => c.close()));
    },
  };
}
