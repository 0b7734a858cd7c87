/** What every capability of the Microsoft 365 connector is given: the transport, the settings, where cursors live, a log and the clock. */
import type { ConnectorLog } from '../../src/sources/connector-module.js';
import type { CursorStore } from '../../src/sources/types.js';
import type { GraphSettings } from './config.js';
import type { GraphTransport } from './transport.js';

export interface GraphDeps {
  transport: GraphTransport;
  settings: GraphSettings;
  cursors: CursorStore;
  logger: ConnectorLog;
  now: () => Date;
}

/** What one delta round of a folder or calendar handed over. */
export interface RoundResult {
  records: number;
  removed: number;
}
