/**
 * The sources the service watches, from the config:
 * - the folder source (`--source DIR` or `connectors.folder.dir`), positions kept in the state store;
 * - the IMAP/SMTP/CalDAV connector (`connectors.imap`), which can also be the mail sender
 *   (`sender: { kind: connector, connector: imap }`).
 * Each calendar belongs to the source that reads it, so the executor can ask that source to
 * change it where it can (CalDAV can; the folder source cannot, and the executor falls back).
 */
import { createFolderConnector, type FolderConnectorOptions } from '../../connectors/folder/index.js';
import type { ImapConnector } from '../../connectors/imap/index.js';
import type { LoadedConfig } from '../config/load.js';
import type { CursorStore, SourceConnector } from '../sources/types.js';
import type { ServiceLogger } from './logger.js';

export interface ConfiguredSources {
  sources: SourceConnector[];
  /** The source holding a calendar (undefined when none does). */
  calendarOwner: (calendarId: string) => SourceConnector | undefined;
  /** Whether a source is watched for changes (the folder source: `connectors.folder.watch`, default true). */
  watch: (source: SourceConnector) => boolean;
  /** The IMAP connector, when configured (it can send mail too). */
  imap?: ImapConnector;
  /** Connectors named in the config that this installation does not include, with the reason. */
  unavailable: { name: string; reason: string }[];
}

const MISSING_CONNECTORS = { graph: 'Microsoft 365', google: 'Google' } as const;

export interface SourceOptions {
  logger: ServiceLogger;
  folder?: Omit<FolderConnectorOptions, 'cursors'>;
  env?: NodeJS.ProcessEnv;
}

/**
 * Rejects (ImapConfigError) when `connectors.imap` cannot be used as written. The IMAP connector
 * and its libraries (imapflow, tsdav, nodemailer: some 40 MB of resident memory) are loaded only
 * when `connectors.imap` is configured.
 */
export async function configuredSources(
  loaded: LoadedConfig,
  folderDir: string | undefined,
  cursors: CursorStore,
  options: SourceOptions,
): Promise<ConfiguredSources> {
  const config = loaded.config;
  const sources: SourceConnector[] = [];
  const unavailable: ConfiguredSources['unavailable'] = [];

  let imap: ImapConnector | undefined;
  if (config.connectors.imap !== undefined) {
    const { createImapConnector, resolveImapSettings } = await import('../../connectors/imap/index.js');
    imap = createImapConnector(resolveImapSettings(config, options.env ?? process.env), cursors, options.logger.child({ source: 'imap' }));
    sources.push(imap);
  }
  let folder: SourceConnector | undefined;
  if (folderDir !== undefined) {
    const settleMs = config.connectors.folder?.settleMs;
    folder = createFolderConnector(folderDir, { ...(settleMs !== undefined ? { settleMs } : {}), ...options.folder, cursors });
    sources.push(folder);
  }
  for (const name of ['graph', 'google'] as const) {
    if (config.connectors[name] !== undefined) {
      unavailable.push({
        name,
        reason: `connectors.${name} is configured, but this installation of Wardwatch has no ${MISSING_CONNECTORS[name]} connector, so those mailboxes and calendars are not watched.`,
      });
    }
  }
  const imapCalendars = new Set(imap?.calendarIds ?? []);
  const result: ConfiguredSources = {
    sources,
    // CalDAV calendars belong to the IMAP connector; the folder source reads the rest from DIR/calendars/.
    calendarOwner: (calendarId) => (imap && imapCalendars.has(calendarId) ? imap : folder),
    watch: (source) => source !== folder || (config.connectors.folder?.watch ?? true),
    unavailable,
  };
  if (imap) result.imap = imap;
  return result;
}
