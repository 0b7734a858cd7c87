import { describe, expect, it } from 'vitest';
import { LruCache, MEMORY_SOURCES, StoredItemMemory } from '../../src/service/item-memory.js';
import type { CursorStore } from '../../src/sources/types.js';
import { A, event, mail } from '../support/council.js';

class MapCursors implements CursorStore {
  readonly values = new Map<string, string>();
  reads = 0;
  getCursor(source: string, key: string): string | undefined {
    this.reads += 1;
    return this.values.get(`${source}|${key}`);
  }
  setCursor(source: string, key: string, value: string): void {
    this.values.set(`${source}|${key}`, value);
  }
}

describe('the LRU cache', () => {
  it('forgets the least recently used entry beyond its capacity', () => {
    const cache = new LruCache<number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1);
    cache.set('c', 3);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe(1);
    expect(cache.get('c')).toBe(3);
    expect(cache.size).toBe(2);
  });
});

describe('the stored item memory', () => {
  it('keeps a body-less summary of each message, found again after the cache forgot it (or a restart)', () => {
    const cursors = new MapCursors();
    const first = new StoredItemMemory(cursors, { cacheSize: 1 });
    const m = mail({ from: A.sam, to: [A.tom], bcc: [A.alice], subject: 'Potholes', text: 'The body stays private.' });
    first.setMail(m);
    const second = new StoredItemMemory(cursors, { cacheSize: 1 });
    const back = second.getMail(m.key);
    expect(back?.bcc.map((a) => a.address)).toEqual([A.alice]);
    expect(back?.subject).toBe('Potholes');
    expect(back?.text).toBe('');
    expect(JSON.stringify([...cursors.values.values()])).not.toContain('The body stays private.');

    const e = event({ uid: 'surgery@millbrook-tc.gov.uk', calendarId: 'community-room', summary: 'Ward surgery' });
    second.setEvent(e);
    expect(new StoredItemMemory(cursors).getEvent(e.key)).toEqual(e);
  });

  it('treats an unreadable summary as none', () => {
    const cursors = new MapCursors();
    cursors.setCursor(MEMORY_SOURCES.mail, '<x@millbrook-tc.gov.uk>', '{"kind":"mail","key":');
    cursors.setCursor(MEMORY_SOURCES.event, 'y@millbrook-tc.gov.uk', '{"kind":"event","key":"y@millbrook-tc.gov.uk"}');
    const memory = new StoredItemMemory(cursors);
    expect(memory.getMail('<x@millbrook-tc.gov.uk>')).toBeUndefined();
    expect(memory.getEvent('y@millbrook-tc.gov.uk')).toBeUndefined();
  });
});
