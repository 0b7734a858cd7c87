/** What every capability of the Google Workspace connector is given: the transport, the settings, where cursors live, a log and the clock. */
import type { ConnectorLog } from '../../src/sources/connector-module.js';
import type { CursorStore } from '../../src/sources/types.js';
import type { GoogleSettings } from './config.js';
import type { GoogleTransport } from './transport.js';

export interface GoogleDeps {
  transport: GoogleTransport;
  settings: GoogleSettings;
  cursors: CursorStore;
  logger: ConnectorLog;
  now: () => Date;
}

/** What one round of a mailbox or calendar handed over. */
export interface RoundResult {
  records: number;
  removed: number;
}
