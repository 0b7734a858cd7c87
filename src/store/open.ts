/**
 * Where the service and the CLI open their store: the one place that names an adapter. SQLite is
 * the embedded default; another adapter (PostgreSQL for a multi-council deployment) is chosen
 * here, from the configuration, and must pass the contract suite in test/store/contract/.
 */
import { SqliteStore } from './sqlite-store.js';
import type { Store } from './types.js';

/** The store at `location` (a file path, or `:memory:` for a throwaway one). Throws when it cannot be opened. */
export function openStore(location: string): Store {
  return new SqliteStore(location);
}
