import type { LoadedConfig } from '../config/load.js';
import type { Engine } from '../engine/engine.js';

/** A council's configuration as read, with the engine built from it: what every command and the service start from. */
export interface Setup {
  loaded: LoadedConfig;
  engine: Engine;
}
