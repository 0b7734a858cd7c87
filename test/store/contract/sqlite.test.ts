import { SqliteStore } from '../../../src/store/sqlite-store.js';
import type { Store } from '../../../src/store/types.js';
import { tempDir } from '../../outbox/fixtures.js';
import { describeStoreContract } from './store-contract.js';

describeStoreContract('SQLite in a file', () => {
  const dir = tempDir();
  const path = dir.file('wardwatch.sqlite');
  const opened: Store[] = [];
  const open = (): Store => {
    const store = new SqliteStore(path);
    opened.push(store);
    return store;
  };
  return {
    store: open(),
    connect: open,
    dispose: async () => {
      for (const store of opened) await store.close();
      dir.remove();
    },
  };
}, { shared: true });

describeStoreContract('SQLite in memory', () => {
  const store = new SqliteStore(':memory:');
  return { store, dispose: () => store.close() };
}, { shared: false });
