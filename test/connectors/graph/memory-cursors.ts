/** A cursor store in memory, for the connector's tests. */
import type { CursorStore } from '../../../src/sources/types.js';

export class MemoryCursors implements CursorStore {
  readonly values = new Map<string, string>();
  async getCursor(source: string, key: string): Promise<string | undefined> {
    return this.values.get(`${source}|${key}`);
  }
  async setCursor(source: string, key: string, value: string): Promise<void> {
    this.values.set(`${source}|${key}`, value);
  }
}
