/**
 * The sources the service watches, from the config: the folder source (`--source DIR` or
 * `connectors.folder.dir`), with its positions kept in the state store. Each calendar belongs
 * to the source that reads it, so the executor can ask that source to change it where it can.
 */
import { createFolderConnector, type FolderConnectorOptions } from '../../connectors/folder/index.js';
import type { LoadedConfig } from '../config/load.js';
import type { CursorStore, SourceConnector } from '../sources/types.js';

export interface ConfiguredSources {
  sources: SourceConnector[];
  /** The source holding a calendar (undefined when none does). */
  calendarOwner: (calendarId: string) => SourceConnector | undefined;
  /** Whether the sources are watched for changes (`connectors.folder.watch`, default true). */
  watch: boolean;
  /** Connectors named in the config that this build of the service cannot run, with the reason. */
  unavailable: { name: string; reason: string }[];
}

const LIVE_CONNECTORS = ['imap', 'graph', 'google'] as const;

export function configuredSources(
  loaded: LoadedConfig,
  folderDir: string | undefined,
  cursors: CursorStore,
  folderOptions: Omit<FolderConnectorOptions, 'cursors'> = {},
): ConfiguredSources {
  const sources: SourceConnector[] = [];
  const unavailable: ConfiguredSources['unavailable'] = [];
  let folder: SourceConnector | undefined;
  if (folderDir !== undefined) {
    folder = createFolderConnector(folderDir, { ...folderOptions, cursors });
    sources.push(folder);
  }
  for (const name of LIVE_CONNECTORS) {
    if (loaded.config.connectors[name] !== undefined) {
      unavailable.push({
        name,
        reason: `connectors.${name} is configured, but \`wardwatch run\` does not start the ${name} connector yet; it watches the folder source only.`,
      });
    }
  }
  return {
    sources,
    // The folder source reads every calendar under DIR/calendars/.
    calendarOwner: () => folder,
    watch: loaded.config.connectors.folder?.watch ?? true,
    unavailable,
  };
}
