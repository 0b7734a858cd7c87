/**
 * IMAP bookkeeping helpers: UID sets, folder cursors, fetch batches, backoff and the per-key lock.
 */
import { describe, expect, test } from 'vitest';
import { batches, formatCursor, parseCursor, uidSet } from '../../../connectors/imap/uid-set.js';
import { backoffDelay, pause } from '../../../connectors/imap/timing.js';
import { KeyedLock } from '../../../connectors/imap/keyed-lock.js';

describe('UID sets', () => {
  test('compresses runs and ignores order and duplicates', () => {
    expect(uidSet([10, 1, 2, 3, 7, 9, 3])).toBe('1:3,7,9:10');
    expect(uidSet([5])).toBe('5');
    expect(uidSet([])).toBe('');
  });
});

describe('folder cursors', () => {
  test('round-trip, and anything unreadable counts as no cursor', () => {
    expect(parseCursor(formatCursor({ uidValidity: '1795347010', lastUid: 42 }))).toEqual({ uidValidity: '1795347010', lastUid: 42 });
    expect(parseCursor(undefined)).toBeUndefined();
    expect(parseCursor('garbage')).toBeUndefined();
    expect(parseCursor('12:')).toBeUndefined();
  });
});

describe('fetch batches', () => {
  test('split by count and by size, in UID order', () => {
    const entries = [
      { uid: 5, size: 10 },
      { uid: 1, size: 10 },
      { uid: 2, size: 100 },
      { uid: 3, size: 10 },
    ];
    expect(batches(entries, 2, 1000).map((b) => b.map((e) => e.uid))).toEqual([[1, 2], [3, 5]]);
    expect(batches(entries, 10, 50).map((b) => b.map((e) => e.uid))).toEqual([[1], [2], [3, 5]]);
    expect(batches([], 10, 50)).toEqual([]);
  });
});

describe('reconnection backoff', () => {
  test('doubles from the first pause up to the cap, within ±20 %', () => {
    const b = { initialMs: 1000, maxMs: 60_000 };
    expect(backoffDelay(1, b, () => 0.5)).toBe(1000);
    expect(backoffDelay(2, b, () => 0.5)).toBe(2000);
    expect(backoffDelay(4, b, () => 0.5)).toBe(8000);
    expect(backoffDelay(40, b, () => 0.5)).toBe(60_000);
    expect(backoffDelay(1, b, () => 0)).toBe(800);
    expect(backoffDelay(1, b, () => 1)).toBe(1200);
  });

  test('a pause ends at once when the watch is stopped', async () => {
    const stop = new AbortController();
    stop.abort();
    await expect(pause(3_600_000, stop.signal)).resolves.toBeUndefined();
  });
});

describe('per-key lock', () => {
  test('runs tasks of one key one after another, other keys freely', async () => {
    const lock = new KeyedLock();
    const order: string[] = [];
    let releaseFirst!: () => void;
    const first = lock.run('inbox', async () => {
      order.push('a-start');
      await new Promise<void>((r) => {
        releaseFirst = r;
      });
      order.push('a-end');
    });
    const second = lock.run('inbox', async () => {
      order.push('b');
    });
    const other = lock.run('sent', async () => {
      order.push('c');
    });
    await other;
    expect(order).toEqual(['a-start', 'c']);
    releaseFirst();
    await Promise.all([first, second]);
    expect(order).toEqual(['a-start', 'c', 'a-end', 'b']);
  });

  test('a failing task does not block the next one', async () => {
    const lock = new KeyedLock();
    await expect(lock.run('k', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(lock.run('k', async () => 'next')).resolves.toBe('next');
  });
});
