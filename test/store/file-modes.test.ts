/**
 * The state file holds raw messages: it, its WAL and shared-memory files, and a folder made for it,
 * are readable by the service's user alone.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite-store.js';

const modeOf = (file: string): number => statSync(file).mode & 0o777;

describe('the state file’s permissions', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'wardwatch-modes-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it.skipIf(process.platform === 'win32')('creates the state file, its -wal and -shm files 0600 and a new folder 0700', async () => {
    const file = path.join(dir, 'state', 'wardwatch.sqlite');
    const store = new SqliteStore(file);
    try {
      await store.saveOriginal('<raw@millbrook-tc.gov.uk>', Buffer.from('From: clerk@millbrook-tc.gov.uk\r\n\r\nPrivate.\r\n'), '2027-03-08T09:00:00.000Z');
      expect(existsSync(`${file}-wal`)).toBe(true);
      expect(modeOf(file)).toBe(0o600);
      expect(modeOf(`${file}-wal`)).toBe(0o600);
      expect(modeOf(`${file}-shm`)).toBe(0o600);
      expect(modeOf(path.join(dir, 'state'))).toBe(0o700);
    } finally {
      await store.close();
    }
  });
});
