/** A state file in a fresh temporary folder for each test, and the stores opened on it closed afterwards. */
import { afterEach, beforeEach } from 'vitest';
import { MIGRATIONS, type Migration } from '../../src/store/migrations.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { tempDir } from '../outbox/fixtures.js';

export interface StoreFiles {
  /** Open (another) store on the test's state file, with these migrations (default: all). */
  open(migrations?: readonly Migration[]): SqliteStore;
  /** Close every store opened so far (to change the file behind their back, say). */
  closeAll(): void;
  /** The path of the state file. */
  readonly file: string;
}

/** Call inside a `describe`: hooks give each test its own folder and close what it opened. */
export function useStoreFiles(): StoreFiles {
  let dir: ReturnType<typeof tempDir> | undefined;
  const opened: SqliteStore[] = [];
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
    dir?.remove();
  });
  const file = (): string => {
    if (!dir) throw new Error('useStoreFiles: the state file exists only inside a test');
    return dir.file('wardwatch.sqlite');
  };
  return {
    open(migrations = MIGRATIONS) {
      const store = new SqliteStore(file(), { migrations });
      opened.push(store);
      return store;
    },
    async closeAll() {
      for (const s of opened.splice(0)) await s.close();
    },
    get file() {
      return file();
    },
  };
}
